"""How the app turns errors into responses: under /api/ every error is the contract's JSON
shape; elsewhere it is an HTML page. Domain errors get their status here, from their kind."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DataError as SQLAlchemyDataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from .errors import Conflict, DomainError, Forbidden, NotFound, Throttled, ValidationError
from .extensions import db

log = logging.getLogger(__name__)

# The status each kind of domain error answers with (a subclass takes its parent's).
STATUSES: dict[type[DomainError], int] = {
    ValidationError: 422, NotFound: 404, Forbidden: 403, Conflict: 409, Throttled: 429,
}


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUSES:
            return STATUSES[kind]
    return 400


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_body(
    status: int, message: str, fields: dict[str, list[str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """The contract's error shape: {"error": {"status", "message", "fields"?, ...}}."""
    error: dict[str, Any] = {"status": status, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def json_error(
    status: int, message: str, fields: dict[str, list[str]] | None = None, **extra: Any
) -> Response:
    response = jsonify(error_body(status, message, fields, **extra))
    response.status_code = status
    return response


HTTP_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication required: send 'Authorization: Bearer <token>'.",
    403: "Your role does not allow this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    414: "The URL is too long.",
    415: "Unsupported media type: send 'Content-Type: application/json'.",
    429: "Too many requests.",
}


def _handle_http_exception(error: HTTPException) -> Any:
    status = error.code or 500
    if is_api_request():
        message = error.description if _is_custom(error) else HTTP_MESSAGES.get(status)
        response = json_error(status, message or error.name)
        for name, value in error.get_headers():
            if name.lower() in ("allow", "www-authenticate", "retry-after"):
                response.headers[name] = value
        return response
    if status in (400, 403, 404, 405, 413, 414, 429, 500):
        template = f"errors/{status if status in (403, 404, 500) else 'generic'}.html"
        return render_template(template, error=error, status=status), status
    return error


def _is_custom(error: HTTPException) -> bool:
    """True when the exception carries a description of ours, not werkzeug's stock text."""
    return bool(error.description) and error.description != type(error).description


def _handle_domain_error(error: DomainError) -> Any:
    db.session.rollback()
    status = status_of(error)
    if is_api_request():
        return json_error(status, error.message, error.fields, **error.extra)
    template = "errors/generic.html"
    return render_template(template, error=error, status=status), status


def _handle_stale_data(error: Exception) -> Any:
    """Two app instances wrote the same row at the same moment: the later one retries."""
    db.session.rollback()
    message = "Someone else saved this at the same moment; reload and try again."
    if is_api_request():
        return json_error(409, message)
    return render_template("errors/generic.html", error=Conflict(message), status=409), 409


def _handle_data_error(error: Exception) -> Any:
    """The database refused a value (e.g. a NUL byte in text on PostgreSQL): bad input."""
    db.session.rollback()
    log.info("database refused a value on %s %s: %s", request.method, request.path, error)
    message = "The request contains a value the database cannot store (such as a NUL byte)."
    if is_api_request():
        return json_error(400, message)
    return render_template("errors/generic.html", error=DomainError(message), status=400), 400


def _handle_unexpected(error: Exception) -> Any:
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if is_api_request():
        return json_error(500, "Internal server error.")
    return render_template("errors/500.html", error=InternalServerError(), status=500), 500


def init_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(StaleDataError, _handle_stale_data)
    app.register_error_handler(SQLAlchemyDataError, _handle_data_error)
    app.register_error_handler(Exception, _handle_unexpected)
