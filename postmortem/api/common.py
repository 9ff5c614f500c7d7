"""Request parsing and response helpers shared by the API resources."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import abort, current_app, request
from sqlalchemy import Select

from ..schemas import Paging, parse
from ..services import pages
from ..timeutil import isoformat


def json_body() -> dict[str, Any]:
    """The request's JSON object: 415 for another content type, 400 when it does not parse."""
    if request.mimetype != "application/json":
        abort(415, description="Send the body as JSON with 'Content-Type: application/json'.")
    raw = request.get_data(cache=True)
    if not raw.strip():
        abort(400, description="The request body is empty; send a JSON object.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        abort(400, description=f"Malformed JSON: {error}")
    except RecursionError:
        abort(400, description="Malformed JSON: it nests too deeply.")
    if not isinstance(data, dict):
        abort(400, description="The request body must be a JSON object.")
    return data


def page_args() -> tuple[int, int]:
    """page and per_page from the query string; per_page is capped at PER_PAGE_MAX."""
    paging = parse(Paging, {name: request.args.get(name) for name in ("page", "per_page")})
    per_page = paging.per_page or current_app.config["PER_PAGE_DEFAULT"]
    return paging.page or 1, min(per_page, current_app.config["PER_PAGE_MAX"])


def paged(stmt: Select, serialise: Callable[[Any], dict[str, Any]],
          before: Callable[[list[Any]], None] | None = None) -> dict[str, Any]:
    """Run stmt one page at a time: {"items", "page", "per_page", "total"}; `before` gets the
    page's rows first (to load what every row needs in one query)."""
    page, per_page = page_args()
    pagination = pages.page_of(stmt, page, per_page)
    if before is not None:
        before(list(pagination.items))
    return {
        "items": [serialise(item) for item in pagination.items],
        "page": page,
        "per_page": per_page,
        "total": pagination.total or 0,
    }


def paged_list(items: Iterable[Any], serialise: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Page an already computed list the same way as `paged`."""
    page, per_page = page_args()
    items = list(items)
    chunk = items[(page - 1) * per_page : page * per_page]
    return {
        "items": [serialise(item) for item in chunk],
        "page": page,
        "per_page": per_page,
        "total": len(items),
    }


def dt(value: datetime | None) -> str | None:
    return isoformat(value)

