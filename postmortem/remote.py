"""A small JSON client for talking to a remote Postmortem (what a CI pipeline runs)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_S = 30


def post_json(url: str, payload: dict[str, Any], token: str) -> tuple[int, Any]:
    """POST payload as JSON with a bearer token; returns (status, parsed body).

    Raises click.ClickException when the server cannot be reached or does not answer JSON.
    """
    import click

    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 "Authorization": f"Bearer {token}", "User-Agent": "postmortem-cli"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"error": {"message": raw.decode(errors="replace")[:200]}}
    except (urllib.error.URLError, OSError) as error:
        raise click.ClickException(f"Cannot reach {url}: {error}") from error
