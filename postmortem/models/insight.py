"""What the archive teaches, stored so that every worker and every instance reads the same:
the search document of each post-mortem, its nearest neighbours, the themes and their members,
and the state of the job that recomputes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class SearchDocument(Model):
    """One post-mortem's searchable text, rewritten in the transaction of every write to it.
    The database indexes it: an FTS5 table kept by triggers on SQLite, a generated tsvector
    with a GIN index on PostgreSQL (see SEARCH_DDL)."""

    __tablename__ = "incident_search"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # sections, timeline, factors, items
    people: Mapped[str] = mapped_column(Text, default="")  # commander, author and owners
    artifacts: Mapped[str] = mapped_column(Text, default="")  # linked versions and references
    services: Mapped[str] = mapped_column(Text, default="")  # service names and tags


class IncidentNeighbour(Model):
    """A post-mortem's most similar others, computed by the insight job."""

    __tablename__ = "incident_neighbours"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    neighbour_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)  # the words they share most


class Theme(Model):
    """A recurring failure theme: a factor category of the taxonomy, or a group of post-mortems
    the insight job found in their text. Its id survives recomputation."""

    __tablename__ = "themes"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # "taxonomy" or "detected"
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    incident_count: Mapped[int] = mapped_column(Integer, default=0)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The theme over the whole archive as the API gives it, serialised by the job, so the
    # unfiltered list sends stored text instead of reading (and encoding) every member...
    document: Mapped[str] = mapped_column(Text, default="{}")
    # ...and as the list gives it by default (engine.brief_of; NULL until the job runs again)...
    brief: Mapped[str | None] = mapped_column(Text)
    # ...and what the themes page shows of it (no member lists).
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A detected theme's centre and how close its members are to it (profiles.profile_of).
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set by a person's correction (ThemeCorrection): hidden from the lists, and who named it.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    named_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ThemeCorrection(Model):
    """What a person changed on a detected theme: its name, description, hidden, the theme it
    was merged into, the post-mortems taken out of it. Kept apart from the theme so that every
    recomputation that finds the theme again (most of `members` again) applies it again."""

    __tablename__ = "theme_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[str] = mapped_column(String(80), unique=True)  # the theme it is on now
    members: Mapped[list[int]] = mapped_column(JSON, default=list)  # when last applied
    name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into: Mapped[str | None] = mapped_column(String(80))
    removed: Mapped[list[int]] = mapped_column(JSON, default=list)  # incident ids taken out
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    by_name: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CategoryModel(Model):
    """One row: the classifier that suggests a category for a contributing factor, as the
    insight job last trained it on the factors already categorised (suggestions.train)."""

    __tablename__ = "category_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    factors: Mapped[int] = mapped_column(Integer, default=0)  # how many it learned from
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ThemeMember(Model):
    """A post-mortem in a theme. `after` lists the earlier fixes it came back after:
    [{"incident", "action_item_id", "title", "completed_at"}], newest first; empty when it
    is not a recurrence."""

    __tablename__ = "theme_members"

    theme_id: Mapped[str] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    after: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class InsightState(Model):
    """One row: when the archive's content last changed, what the last recomputation saw, and
    the lock that lets one worker of one instance recompute at a time."""

    __tablename__ = "insight_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    changes: Mapped[int] = mapped_column(Integer, default=0)  # bumped by a forced refresh
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    computed_changes: Mapped[int] = mapped_column(Integer, default=-1)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seconds: Mapped[float | None] = mapped_column(Float)  # how long the last one took
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    # The last full recomputation's vocabulary and idf weights (zlib-compressed JSON), which
    # the incremental step uses to place a post-mortem written since.
    model: Mapped[bytes | None] = mapped_column(LargeBinary)


FTS_COLUMNS = "title, body, people, artifacts, services"
SQLITE_SEARCH_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS incident_search_fts USING fts5({FTS_COLUMNS}, "
    "content='incident_search', content_rowid='incident_id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS incident_search_ai AFTER INSERT ON incident_search BEGIN "
    f"INSERT INTO incident_search_fts(rowid, {FTS_COLUMNS}) VALUES (new.incident_id, new.title, "
    "new.body, new.people, new.artifacts, new.services); END",
    "CREATE TRIGGER IF NOT EXISTS incident_search_ad AFTER DELETE ON incident_search BEGIN "
    f"INSERT INTO incident_search_fts(incident_search_fts, rowid, {FTS_COLUMNS}) VALUES "
    "('delete', old.incident_id, old.title, old.body, old.people, old.artifacts, old.services); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS incident_search_au AFTER UPDATE ON incident_search BEGIN "
    f"INSERT INTO incident_search_fts(incident_search_fts, rowid, {FTS_COLUMNS}) VALUES "
    "('delete', old.incident_id, old.title, old.body, old.people, old.artifacts, old.services); "
    f"INSERT INTO incident_search_fts(rowid, {FTS_COLUMNS}) VALUES (new.incident_id, new.title, "
    "new.body, new.people, new.artifacts, new.services); END",
]
SQLITE_SEARCH_DROP = ["DROP TABLE IF EXISTS incident_search_fts"]
POSTGRES_SEARCH_DDL = [
    "ALTER TABLE incident_search ADD COLUMN IF NOT EXISTS document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(people, '')), 'B') || "
    "setweight(to_tsvector('simple', coalesce(artifacts, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(services, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'D')) STORED",
    "CREATE INDEX IF NOT EXISTS ix_incident_search_document ON incident_search "
    "USING gin (document)",
]


def include_name(name: str | None, type_: str, parents: Any) -> bool:
    """For Alembic's comparison: the search index (FTS5 and its shadow tables on SQLite, the
    tsvector column and its index on PostgreSQL) is made by SEARCH_DDL, not by the models."""
    name = name or ""
    if type_ == "table":
        return not name.startswith("incident_search_fts")
    if (parents or {}).get("table_name") != "incident_search":
        return True
    return name not in ("document", "ix_incident_search_document")


def search_ddl(dialect: str) -> list[str]:
    """The statements that index incident_search on this database (also run by the migration)."""
    return {"sqlite": SQLITE_SEARCH_DDL, "postgresql": POSTGRES_SEARCH_DDL}.get(dialect, [])


for _statement in SQLITE_SEARCH_DDL:
    event.listen(SearchDocument.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_SEARCH_DROP:
    event.listen(SearchDocument.__table__, "after_drop",
                 DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_SEARCH_DDL:
    event.listen(SearchDocument.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="postgresql"))


class InputVersion(Model):
    """How many times one kind of input has changed: the part of a kept answer's key that says
    what it shows (services.kept). Each kind is its own row, bumped in the transaction of the
    write that changed it, so a save of a draft's text leaves the board's figures kept."""

    __tablename__ = "input_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class InsightQueue(Model):
    """Post-mortems written since the insight job last placed them: their similar list and the
    theme they join are worked out by its incremental step, a few seconds after the writes stop
    (or at the latest a little after the first one). The rows left since the last full
    recomputation say how much of the archive changed since."""

    __tablename__ = "insight_queue"

    incident_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no FK: deletions too
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
