"""Running a list query one page at a time, for the API and the HTML lists alike."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..schemas.queries import MAX_PAGE


def page_of(stmt: Select[Any], page: int, per_page: int, total: int | None = None) -> Pagination:
    """One page of stmt's rows (page 1 first) with the total count (counted, unless the caller
    knows it); an empty page past the end (page numbers are held to 1..MAX_PAGE, so no offset
    overflows the database's integers)."""
    pagination = db.paginate(stmt, page=min(max(page, 1), MAX_PAGE), per_page=per_page,
                             error_out=False, count=total is None)
    if total is not None:
        pagination.total = total
    return pagination


def database_reachable() -> bool:
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
