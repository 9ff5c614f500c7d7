"""A small JSON client for talking to a remote Postmortem (what a CI pipeline runs)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import click

TIMEOUT_S = 30


class RedirectRefused(urllib.error.URLError):
    """The server redirected an authenticated request; following it would hand the token to
    wherever the redirect points."""

    def __init__(self, location: str) -> None:
        super().__init__(f"redirected to {location}")
        self.location = location


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        fp.close()
        raise RedirectRefused(newurl)


_opener = urllib.request.build_opener(_NoRedirects())


def post_json(url: str, payload: dict[str, Any], token: str) -> tuple[int, Any]:
    """POST payload as JSON with a bearer token; returns (status, parsed body).

    Raises click.ClickException when the server cannot be reached or redirects: a redirect is
    never followed, so the token goes only to the URL given.
    """
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 "Authorization": f"Bearer {token}", "User-Agent": "postmortem-cli"},
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_S) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"error": {"message": raw.decode(errors="replace")[:200]}}
    except RedirectRefused as error:
        raise click.ClickException(
            f"{url} redirects to {error.location}; not following it with your token. "
            "Give the final address with --url (e.g. https:// instead of http://).") from None
    except (urllib.error.URLError, OSError) as error:
        raise click.ClickException(f"Cannot reach {url}: {error}") from error
