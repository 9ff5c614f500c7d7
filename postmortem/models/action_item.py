"""Action items: the follow-ups of a post-mortem, tracked until done or deliberately dropped."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, and_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .enums import UNFINISHED, ActionKind, ActionStatus, Priority
from .types import UTCDateTime, enum_column, utcnow
from .user import User

if TYPE_CHECKING:
    from .incident import Factor, Incident


class ActionItem(Model):
    __tablename__ = "action_items"
    # A person's unfinished items by due date: the home page's list and count, the board's
    # "mine" (read through this index instead of every item the person ever owned).
    __table_args__ = (Index("ix_action_items_owner_status_due", "owner_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    team: Mapped[str | None] = mapped_column(String(100), index=True)
    priority: Mapped[Priority | None] = mapped_column(enum_column(Priority, 2))
    kind: Mapped[ActionKind] = mapped_column(enum_column(ActionKind))
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.OPEN,
                                                 index=True)
    due_on: Mapped[date | None] = mapped_column(index=True)
    factor_id: Mapped[int | None] = mapped_column(ForeignKey("factors.id", ondelete="SET NULL"),
                                                  index=True)
    verification: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(String(500))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    incident: Mapped[Incident] = relationship(back_populates="action_items")
    owner: Mapped[User | None] = relationship()
    factor: Mapped[Factor | None] = relationship()
    events: Mapped[list[ActionItemEvent]] = relationship(
        back_populates="action_item", cascade="all, delete-orphan", order_by="ActionItemEvent.id"
    )

    @property
    def is_finished(self) -> bool:
        return ActionStatus(self.status).finished

    @hybrid_method
    def is_overdue(self, today: date) -> bool:
        """True while unfinished past its due date (in Python, and as a SQL condition)."""
        return not self.is_finished and self.due_on is not None and self.due_on < today

    # hybrid_method is untyped for mypy; the expression is the same rule in SQL.
    @is_overdue.inplace.expression  # type: ignore[attr-defined]
    @classmethod
    def _is_overdue_expression(cls, today: date) -> ColumnElement[bool]:
        return and_(cls.status.in_(UNFINISHED), cls.due_on.is_not(None), cls.due_on < today)


class ActionItemEvent(Model):
    """One status change of an action item: who moved it, when, from what to what."""

    __tablename__ = "action_item_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    from_status: Mapped[ActionStatus | None] = mapped_column(enum_column(ActionStatus))
    to_status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus))
    note: Mapped[str | None] = mapped_column(Text)

    action_item: Mapped[ActionItem] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
