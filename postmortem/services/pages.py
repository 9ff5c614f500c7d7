"""Running a list query one page at a time, for the API and the HTML lists alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Incident
from ..schemas.queries import MAX_PAGE
from .kept import digest_of


def page_of(stmt: Select[Any], page: int, per_page: int) -> Pagination:
    """One page of stmt's rows (page 1 first) with the total count; an empty page past the end
    (page numbers are held to 1..MAX_PAGE, so no offset overflows the database's integers)."""
    return db.paginate(stmt, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)


def stamps_of_page(stmt: Select[Any], page: int, per_page: int) -> tuple[int, str]:
    """(the total, a digest of the ids and stamps of one page's post-mortems) for a query of
    post-mortems built without loader options: what a kept list page is keyed on, read from
    the rows' own columns without loading them. A write to any post-mortem on the page, one
    joining or leaving the filter, or a new order changes it."""
    page = min(max(page, 1), MAX_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    _, digest = digest_of(db.session.execute(
        stmt.with_only_columns(Incident.id, Incident.stamp)
        .limit(per_page).offset((page - 1) * per_page)))
    return int(total or 0), digest


def database_reachable() -> bool:
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


@dataclass
class ListPage:
    """A page of an ordered list whose ids are already known (same fields as Pagination)."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None
