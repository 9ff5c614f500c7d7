"""The post-mortem aggregate: incident, its sections, timeline, factors, tags and reviews."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from ..markup import render_markdown
from .enums import IncidentStatus, Severity, TimelineKind
from .service import Service
from .types import UTCDateTime, enum_column, utcnow
from .user import User

if TYPE_CHECKING:
    from .action_item import ActionItem
    from .deployment import IncidentDeployment

incident_services = Table(
    "incident_services",
    db.metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


# The people asked to review a post-mortem.
incident_reviewers = Table(
    "incident_reviewers",
    db.metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

# The people named to read a restricted post-mortem (besides its author, commander, reviewers
# and the admins): services.incidents.visibility.
incident_readers = Table(
    "incident_readers",
    db.metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Incident(Model):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, 4), index=True)
    status: Mapped[IncidentStatus] = mapped_column(enum_column(IncidentStatus),
                                                   default=IncidentStatus.DRAFT, index=True)
    template_key: Mapped[str] = mapped_column(String(50), default="standard")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    commander_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                     index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Front matter keys of an imported document that we do not model, kept for the round trip.
    extra_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Bumped in the transaction of every write to the post-mortem or one of its rows (sections,
    # timeline, factors, action items, tags, links, comments): what a kept answer about it is
    # keyed on (services.kept). Every write takes the row first, so two never share a stamp.
    stamp: Mapped[int] = mapped_column(default=0, server_default="0")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Archived post-mortems leave lists, search, themes and reports; their key still answers.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Restricted: only its author, commander, reviewers, readers and admins learn it exists
    # (services.incidents.visibility holds the rule).
    restricted: Mapped[bool] = mapped_column(default=False, server_default="0", index=True)
    # The blameless-language findings as of the last write (lists read them; None: not yet).
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    # Optimistic locking: every UPDATE says "WHERE version = <the version we read>", so a
    # concurrent save of the same version fails instead of silently winning.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    # Lists read live post-mortems newest first: an index that serves both the filter and the
    # order, so a page reads 25 entries instead of sorting them all.
    __table_args__ = (Index("ix_incidents_live_started", "archived_at", "started_at", "id"),
                      Index("ix_incidents_live_updated", "archived_at", "updated_at"),
                      Index("ix_incidents_status_updated", "status", "updated_at"),
                      # The home page's owed post-mortems: by severity and unfinished status,
                      # the longest resolved first.
                      Index("ix_incidents_owed", "severity", "status", "resolved_at"))

    commander: Mapped[User | None] = relationship(foreign_keys=[commander_id])
    reviewers: Mapped[list[User]] = relationship(secondary="incident_reviewers", order_by="User.email")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    readers: Mapped[list[User]] = relationship(secondary="incident_readers", order_by="User.email")
    services: Mapped[list[Service]] = relationship(
        secondary=incident_services, order_by=Service.name
    )
    tag_rows: Mapped[list[IncidentTag]] = relationship(
        cascade="all, delete-orphan", order_by="IncidentTag.tag"
    )
    sections: Mapped[list[IncidentSection]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentSection.position"
    )
    timeline: Mapped[list[TimelineEvent]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        order_by="(TimelineEvent.at, TimelineEvent.id)",
    )
    factors: Mapped[list[Factor]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Factor.id"
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="ActionItem.id"
    )
    deployment_links: Mapped[list[IncidentDeployment]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Revision.number"
    )
    comments: Mapped[list[ReviewComment]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="ReviewComment.id"
    )

    @property
    def key(self) -> str:
        return f"INC-{self.id}"

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def is_published(self) -> bool:
        return self.status == IncidentStatus.PUBLISHED.value

    def metrics(self) -> dict[str, int | None]:
        """Seconds from started_at to detection, mitigation and resolution (None while unknown)."""

        def since_start(moment: datetime | None) -> int | None:
            return None if moment is None else int((moment - self.started_at).total_seconds())

        return {
            "time_to_detect_s": since_start(self.detected_at),
            "time_to_mitigate_s": since_start(self.mitigated_at),
            "time_to_resolve_s": since_start(self.resolved_at),
        }

    def section(self, key: str) -> IncidentSection | None:
        return next((s for s in self.sections if s.key == key), None)

    def __repr__(self) -> str:
        return f"<Incident {self.key} {self.title!r}>"


class IncidentTag(Model):
    __tablename__ = "incident_tags"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class IncidentSection(Model):
    """A section copied from the template when the post-mortem was created (or imported)."""

    __tablename__ = "incident_sections"
    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(120))
    guidance: Mapped[str | None] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(default=False)
    markdown: Mapped[str] = mapped_column(Text, default="")
    # The markdown rendered (and sanitised) whenever it is set, so pages and the API read it
    # instead of rendering every section of every post-mortem on every request.
    html: Mapped[str | None] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="sections")

    @property
    def rendered(self) -> str:
        return self.html if self.html is not None else render_markdown(self.markdown or "")


@event.listens_for(IncidentSection.markdown, "set")
def _render_section(target: IncidentSection, value: str | None, _old: Any, _initiator: Any) -> None:
    target.html = render_markdown(value or "")


class TimelineEvent(Model):
    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[TimelineKind] = mapped_column(enum_column(TimelineKind), default=TimelineKind.NOTE)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Bumped on every change: a stale edit of the row is refused, not silently applied.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    incident: Mapped[Incident] = relationship(back_populates="timeline")


class Factor(Model):
    """A contributing factor: one of several conditions that together allowed the incident."""

    __tablename__ = "factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(50), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    incident: Mapped[Incident] = relationship(back_populates="factors")


class Revision(Model):
    """An immutable snapshot of the whole post-mortem, written on every save."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    summary: Mapped[str] = mapped_column(String(300))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()


class ReviewComment(Model):
    """A reviewer's comment on one section (or on the whole post-mortem), resolvable."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    section_key: Mapped[str | None] = mapped_column(String(50))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # The passage of the section the comment is about, as the reviewer selected it.
    quote: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    incident: Mapped[Incident] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    mentioned: Mapped[list[User]] = relationship(secondary="comment_mentions",
                                                 order_by="User.email")


comment_mentions = Table(
    "comment_mentions",
    db.metadata,
    Column("comment_id", Integer, ForeignKey("review_comments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Presence(Model):
    """Who has a post-mortem open, and since when they were last seen there (a ping from the
    page every few seconds): how the editor shows who else is on it."""

    __tablename__ = "presence"
    __table_args__ = (UniqueConstraint("incident_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    activity: Mapped[str] = mapped_column(String(20))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User] = relationship()
