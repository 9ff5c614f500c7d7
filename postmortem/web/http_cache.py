"""What a browser or a proxy may keep of an answer. Every page and API answer is someone's own
(it is rendered for one reader), so none is stored by a shared cache: `Cache-Control: private,
no-cache`, with an ETag a browser revalidates — a 304 when the answer did not change, so an
unchanged page costs no transfer. An answer that streams (the CSV) says `no-store`.

The ETag is a digest of the body with this request's CSRF token taken out, and of the sign-in
the token belongs to (the session's own secret): two sign-ins of one person never share an
ETag, so a browser never revalidates into a copy that holds another sign-in's token, and the
token in a copy it kept is its own sign-in's, which stays valid as long as the session
(WTF_CSRF_TIME_LIMIT is None). A page that shows a flash message is never revalidated."""

from __future__ import annotations

import hashlib

from flask import Flask, g, request, session
from flask.globals import request_ctx
from werkzeug.wrappers import Response

PRIVATE = "private, no-cache"
NOT_KEPT = "private, no-store"


def _etag(response: Response) -> str | None:
    body = response.get_data()
    token = g.get("csrf_token")
    digest = hashlib.sha256()
    if token:
        body = body.replace(token.encode(), b"")
        digest.update(str(session.get("csrf_token", "")).encode())
    digest.update(body)
    return digest.hexdigest()[:32]


def cache_headers(response: Response) -> Response:
    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return response
    if request.path.startswith("/api/"):
        response.vary.add("Authorization")
    response.vary.add("Cookie")
    streamed = response.is_streamed or response.direct_passthrough
    flashed = bool(session.get("_flashes")) or bool(getattr(request_ctx, "flashes", None))
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or streamed:
        response.headers["Cache-Control"] = NOT_KEPT if streamed else PRIVATE
        return response
    if flashed:
        response.headers["Cache-Control"] = NOT_KEPT
        return response
    response.headers["Cache-Control"] = PRIVATE
    etag = _etag(response)
    if etag:
        response.set_etag(etag, weak=True)
        response.make_conditional(request)
    return response


def init_http_cache(app: Flask) -> None:
    app.after_request(cache_headers)
