"""A built wheel carries the templates, static files, migrations and data the app needs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_static_migrations_and_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--disable-pip-version-check", "-w", str(tmp_path), str(ROOT)],
        check=True, timeout=300, capture_output=True,
    )
    wheel = next(tmp_path.glob("postmortem-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("postmortem/__init__.py", "postmortem/templates/base.html",
                     "postmortem/templates/pdf/incident.html", "postmortem/static/css/app.css",
                     "postmortem/static/vendor/htmx/htmx.min.js",
                     "postmortem/migrations/env.py", "postmortem/migrations/alembic.ini",
                     "postmortem/data/templates.yaml", "postmortem/data/blameless.yaml",
                     "postmortem/data/demo/01-checkout-cache-ttl.md"):
        assert expected in names, expected
    assert any(n.startswith("postmortem/migrations/versions/") for n in names)
    assert not any(n.startswith(("instance/", "tests/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "postmortem = postmortem.console:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
