"""Whole pages served from the shared figure cache (services.figures): a page is rendered once
per write for each person (and role, day, time zone and URL) and shared by every worker and
instance until the next write. Correct after every write because every write a page may show
bumps the write counter the cache is keyed on; what differs per request is put in at serving
time (the CSRF token) or turns the cache off for that request (flash messages)."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, make_response, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..models import today
from ..services import figures
from ..services.figures import figure_key

F = TypeVar("F", bound=Callable[..., Any])

# Stands for the CSRF token in a stored page. Markdown is sanitised and text is escaped, so
# nothing a person writes can contain it.
CSRF_MARK = "<!--csrf-token-->"
LARGEST = 16 * 1024 * 1024  # bigger pages are rendered each time rather than stored
GZIP_FROM = 2048  # smaller answers gain nothing from compression
# Headers that belong to one answer, not to the page.
OWN_HEADERS = {"content-length", "content-type", "set-cookie", "vary", "date"}


def csrf_token() -> str:
    """The template global: the real token, or its mark while a page to be stored renders."""
    return CSRF_MARK if g.get("storing_page") else generate_csrf()


def _person() -> Any:
    """Who is asking: the API's caller, or the signed-in person (None when nobody is)."""
    user = g.get("api_user")
    if user is not None:
        return user
    return current_user if current_user.is_authenticated else None


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _serve(meta: dict[str, Any], body: str | None, gzipped: bytes | None = None) -> Response:
    """A stored answer: its gzip copy for a client that accepts it, else its body as kept (a
    PDF's in base64) with the reader's own CSRF token put in."""
    headers = dict(meta.get("headers") or {})
    if meta.get("gzip"):
        headers["Vary"] = "Accept-Encoding"  # what a proxy keeps depends on it
    if gzipped is not None and _accepts_gzip():
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped, mimetype=meta["mimetype"], headers=headers)
    assert body is not None
    if meta.get("base64"):
        return Response(base64.b64decode(body), mimetype=meta["mimetype"], headers=headers)
    if meta["mimetype"] == "text/html" and CSRF_MARK in body:  # only ours: text is escaped
        body = body.replace(CSRF_MARK, generate_csrf())
    return Response(body, mimetype=meta["mimetype"], headers=headers)


def shared_page(view: F) -> F:
    """Serve a GET view from the shared cache (per person, role, URL, day and time zone),
    rendering and storing it when the archive changed since. Only whole 200 answers that are
    text are stored; anything else passes through."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        person = _person()
        if (person is None or not current_app.config["PAGE_CACHE"]
                or request.method not in ("GET", "HEAD")
                or session.get("_flashes") or "timezone" in request.args):
            return view(*args, **kwargs)
        key = figure_key("page", request.host, request.full_path, person.id, person.role,
                         today(), session.get("timezone"), bool(request.headers.get("HX-Request")))
        changes, meta, body, gzipped = figures.fetch(key, with_body=True, gzip=_accepts_gzip())
        if meta is not figures.MISSING and (body is not None or gzipped is not None):
            return _serve(meta, body, gzipped)
        g.storing_page = True
        try:
            response = make_response(view(*args, **kwargs))
        finally:
            g.storing_page = False
        mimetype = response.mimetype or ""
        if (response.status_code != 200 or response.is_streamed or response.direct_passthrough
                or not mimetype.startswith(("text/", "application/json", "application/pdf"))):
            return _fill_mark(response)
        data = response.get_data()
        kept: dict[str, Any] = {
            "mimetype": mimetype, "base64": mimetype == "application/pdf",
            "headers": {name: value for name, value in response.headers.items()
                        if name.lower() not in OWN_HEADERS}}
        body = base64.b64encode(data).decode() if kept["base64"] else data.decode()
        # Answers with no per-reader part (no CSRF mark: JSON, PDFs, Markdown) are kept
        # compressed too, once, for clients that accept gzip.
        gzipped = None
        if len(data) >= GZIP_FROM and (mimetype != "text/html" or CSRF_MARK.encode() not in data):
            gzipped = gzip.compress(data, compresslevel=6)
            kept["gzip"] = True
        # A page that showed a flash message (or flashed one for later) is this request's own.
        shown = getattr(request_ctx, "flashes", None)
        if len(data) <= LARGEST and not shown and not session.get("_flashes"):
            figures.store(key, changes, kept, body, gzipped)
        return _serve(kept, body, gzipped)

    return wrapped  # type: ignore[return-value]


def _fill_mark(response: Response) -> Response:
    """An answer that is not stored still gets its real CSRF token."""
    if (response.mimetype == "text/html" and not response.is_streamed
            and not response.direct_passthrough):
        body = response.get_data()
        if CSRF_MARK.encode() in body:
            response.set_data(body.replace(CSRF_MARK.encode(), generate_csrf().encode()))
    return response


def init_page_cache(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token
