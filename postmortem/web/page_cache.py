"""Whole pages served from the shared figure cache (services.figures): a page is rendered once
per write for each person (and role, day, time zone and URL) and shared by every worker and
instance until the next write. Correct after every write because every write a page may show
bumps the write counter the cache is keyed on; what differs per request is put in at serving
time (the CSRF token) or turns the cache off for that request (flash messages).

A signed-in reader's stored page is served before the person is even loaded (`serve_stored`,
run first for every request): the page is keyed on the session's user id, which is bound to
the person's password (or on the API token's digest), and stored only after that reader was
let in at the same write count. Any change to a person (role, active, password, removed) or a
token (revoked, removed) is a write, so the stored page is stale by then and the request goes
the whole way, through the login and role checks. A token's caller goes the whole way at
least every half minute in each process, so its last use is still recorded."""

from __future__ import annotations

import base64
import gzip
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, make_response, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..auth import bearer_token
from ..models import today
from ..services import figures
from ..services.accounts import hash_token
from ..services.accounts.tokens import LAST_USED_RESOLUTION
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


def _token_digest() -> str | None:
    """The digest of the bearer token the caller is known by: always on the API, on pages only
    without a signed-in session (which flask-login prefers). None: no token counts."""
    if not request.headers.get("Authorization") or not (
            (request.blueprint or "").startswith("api") or not session.get("_user_id")):
        return None
    token = bearer_token(request)
    return hash_token(token) if token else None


def _reader(person: Any) -> tuple[Any, ...]:
    """Whose page it is: the session's user id (as flask-login keeps it, bound to the password)
    for a signed-in reader, the token's digest for a caller with a token."""
    digest = _token_digest()
    if digest:
        return ("token", digest)
    return ("session", session.get("_user_id") or person.get_id())


# Tokens whose last use this process recorded lately (digest → when): their callers are served
# stored answers without loading the token, which would record the use again (once a minute).
_recorded_use: dict[str, float] = {}
RECORDED_FOR = LAST_USED_RESOLUTION.total_seconds() / 2


def _known_reader() -> tuple[Any, ...] | None:
    """The reader a stored answer may be served to without loading them: a session's user id,
    or a token whose use this process recorded lately. None: load them first."""
    if request.headers.get("Authorization"):
        digest = _token_digest()
        if digest is not None:
            recent = time.monotonic() - _recorded_use.get(digest, -1e9) <= RECORDED_FOR
            return ("token", digest) if recent else None
        if (request.blueprint or "").startswith("api"):
            return None  # a malformed token on the API: the API answers it
    user_id = session.get("_user_id")
    return ("session", user_id) if isinstance(user_id, str) and user_id else None


def _key(reader: tuple[Any, ...]) -> str:
    return figure_key("page", request.host, request.full_path, reader, today(),
                      session.get("timezone"), bool(request.headers.get("HX-Request")))


def _may_store() -> bool:
    return bool(current_app.config["PAGE_CACHE"] and request.method in ("GET", "HEAD")
                and not session.get("_flashes") and "timezone" not in request.args)


def serve_stored() -> Response | None:
    """Before any other work: a signed-in reader's page as stored for the archive as it is
    now, or None to go the whole way (not a shared page, no session, nothing stored)."""
    view = current_app.view_functions.get(request.endpoint or "")
    counter = getattr(view, "shared_page", None)
    if counter is None or not _may_store():
        return None
    reader = _known_reader()
    if reader is None:
        return None
    key = _key(reader)
    changes, meta, body, gzipped = figures.fetch(key, with_body=True, gzip=_accepts_gzip(),
                                                 counter=counter)
    if meta is not figures.MISSING and (body is not None or gzipped is not None):
        return _serve(meta, body, gzipped)
    g.page_fetched = (key, changes)  # the view renders it next: no need to ask again
    return None


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


def shared_page(view: F | None = None, *, deployments: bool = True) -> Any:
    """Serve a GET view from the shared cache (per reader, URL, day and time zone), rendering
    and storing it when the archive changed since. Only whole 200 answers that are text are
    stored; anything else passes through. `@shared_page(deployments=False)` marks a page that
    shows no deployment: a pipeline recording new deployments does not make it stale."""
    if view is None:
        return lambda inner: _shared(inner, "writes" if deployments else "content_writes")
    return _shared(view, "writes")


def _shared(view: F, counter: str) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        person = _person()
        if person is None or not _may_store():
            return view(*args, **kwargs)
        reader = _reader(person)
        if reader[0] == "token":  # authenticated just now, which recorded its use
            _recorded_use[reader[1]] = time.monotonic()
        key = _key(reader)
        fetched = g.pop("page_fetched", None)
        if fetched is not None and fetched[0] == key:
            changes = fetched[1]
        else:
            changes, meta, body, gzipped = figures.fetch(key, with_body=True,
                                                         gzip=_accepts_gzip(), counter=counter)
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

    wrapped.shared_page = counter  # type: ignore[attr-defined]  # copied by outer @wraps
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
    app.before_request(serve_stored)
