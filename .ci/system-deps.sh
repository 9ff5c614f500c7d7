#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when they are missing:
# chromium (browser tests), poppler-utils (PDF text), libharfbuzz-subset0 and fonts
# (WeasyPrint), PostgreSQL (the second database the suite runs on).
set -euo pipefail

PACKAGES=(chromium poppler-utils libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 postgresql)
# `make bench-scale` also needs wrk, the load generator.
if [ "${BENCH:-}" = "1" ]; then PACKAGES+=(wrk); fi
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
# A PostgreSQL server of any version will do.
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    missing=("${missing[@]/postgresql}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if [ ${#missing[@]} -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi

echo "system packages: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
        echo "error: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
