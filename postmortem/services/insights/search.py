"""Full-text search on the database's own engine (SQLite FTS5, PostgreSQL tsvector).

Each post-mortem has one search document (models.SearchDocument). One path keeps it in step:
every ORM flush that touches a post-mortem or one of its rows (sections, timeline, factors,
action items, tags, services, linked deployments) notes the post-mortem, and before the
transaction commits its document is rewritten in that same transaction. So a search right
after any write finds the new words and no longer the old ones.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from ...errors import ValidationError
from ...extensions import db
from ...models import (
    ActionItem,
    ActionItemEvent,
    ApiToken,
    Artifact,
    Deployment,
    Factor,
    FactorCategory,
    Incident,
    IncidentDeployment,
    IncidentSection,
    IncidentStatus,
    IncidentTag,
    InsightQueue,
    InsightState,
    ReviewComment,
    SearchDocument,
    Service,
    Setting,
    Template,
    TemplateSection,
    TimelineEvent,
    User,
    incident_services,
    utcnow,
)
from .. import kept
from ..incidents.visibility import hidden_in, sight

CHANGED = "postmortem.changed_incidents"
TOUCHED = "postmortem.touched_inputs"  # the kinds of input (services.kept) a write changed
INCIDENT_ROWS = (IncidentSection, TimelineEvent, Factor, ActionItem, IncidentTag,
                 IncidentDeployment)
# What pages show of a person: a person counts when added, removed, renamed or given another
# role, or when their password changes; not when they sign in.
USER_SHOWN = ("email", "name", "role", "active", "password_hash")
# An API token counts when made or revoked (the home page's first steps), not when used.
TOKEN_SHOWN = ("revoked_at", "label", "user_id")
# A change to these makes a post-mortem's place in the published record change (the digest
# and the insights page count published post-mortems and list the others by period).
RECORD_SHOWN = ("status", "archived_at", "started_at", "severity", "title", "detected_at",
                "mitigated_at", "resolved_at")
# A change to these, on a restricted post-mortem, changes who may read it.
ACCESS_SHOWN = ("restricted", "readers", "reviewers", "commander", "created_by")
MAX_QUERY = 500
MAX_TERMS = 12
# Marks around matched words in a snippet, replaced by <mark> once the text is escaped.
OPEN, CLOSE = "\x02", "\x03"
TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
HEX_RE = re.compile(r"[0-9a-f]{6,}")


# -- keeping documents in step -------------------------------------------------------------


def _note_changes(session: Session, _context: Any) -> None:
    changed = session.info.setdefault(CHANGED, set())
    touched = session.info.setdefault(TOUCHED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        touched |= _inputs_of(obj, session)
        if isinstance(obj, Incident):
            if obj not in session.deleted and obj.id is not None:
                changed.add(obj.id)
        elif isinstance(obj, (*INCIDENT_ROWS, ReviewComment)):
            incident_id = getattr(obj, "incident_id", None)
            if incident_id is not None:
                changed.add(incident_id)


def _inputs_of(obj: Any, session: Session) -> set[str]:
    """The kinds of input (services.kept) a new, changed or deleted object belongs to."""
    if isinstance(obj, Incident):
        found = {kept.INCIDENTS}
        state: Any = inspect(obj)
        if (obj in session.new or obj in session.deleted
                or any(state.attrs[name].history.has_changes() for name in RECORD_SHOWN)):
            found.add(kept.PUBLISHED)
        if obj in session.deleted or state.attrs.archived_at.history.has_changes():
            found.add(kept.ACTION_ITEMS)  # the board leaves archived post-mortems' items out
        if (obj.restricted or state.attrs.restricted.history.has_changes()) and any(
                state.attrs[name].history.has_changes() for name in ACCESS_SHOWN):
            # Who may read it changed: every answer that lists post-mortems is keyed anew.
            found |= {kept.PUBLISHED, kept.ACTION_ITEMS, kept.DEPLOYMENTS, kept.THEMES}
        return found
    if isinstance(obj, ActionItem | ActionItemEvent):
        return {kept.ACTION_ITEMS, kept.INCIDENTS}
    if isinstance(obj, (*INCIDENT_ROWS, ReviewComment)):
        return {kept.INCIDENTS}
    if isinstance(obj, Deployment | Artifact | Service):
        return {kept.DEPLOYMENTS}
    if isinstance(obj, FactorCategory | Template | TemplateSection | Setting):
        return {kept.CATALOG}
    if isinstance(obj, User) and _shown_change(obj, session):
        return {kept.PEOPLE}
    if isinstance(obj, ApiToken) and _token_change(obj, session):
        return {kept.PEOPLE}
    return set()


def _shown_change(user: User, session: Session) -> bool:
    """A person added or removed, or changed in what pages show of them: their name, address,
    role, whether they are active, and their password (which ends their other sessions)."""
    if user in session.new or user in session.deleted:
        return True
    state: Any = inspect(user)
    return any(state.attrs[name].history.has_changes() for name in USER_SHOWN)


def _token_change(token: ApiToken, session: Session) -> bool:
    """A token made, removed or revoked (its use, which writes its time, does not count)."""
    if token in session.new or token in session.deleted:
        return True
    state: Any = inspect(token)
    return any(state.attrs[name].history.has_changes() for name in TOKEN_SHOWN)


def _write_changes(session: Session) -> None:
    if not (session.info.get(CHANGED) or session.info.get(TOUCHED)
            or session.new or session.dirty or session.deleted):
        return
    session.flush()
    changed = session.info.pop(CHANGED, set())
    touched = session.info.pop(TOUCHED, set())
    if changed:
        ids = sorted(changed)
        write_documents(ids, session)
        write_findings(ids, session)
        queue_for_insights(ids, session)
        session.execute(update(Incident).where(Incident.id.in_(ids))
                        .values(stamp=Incident.stamp + 1)
                        .execution_options(synchronize_session=False))
        if kept.PUBLISHED not in touched and session.scalar(
                select(Incident.id).where(Incident.id.in_(ids),
                                          Incident.status != IncidentStatus.DRAFT).limit(1)):
            touched.add(kept.PUBLISHED)  # a published (or in review) post-mortem's rows
    kept.bump(session, touched)


def _forget_changes(session: Session, *_args: Any) -> None:
    for name in (CHANGED, TOUCHED):
        session.info.pop(name, None)


def track_changes() -> None:
    """Install the session hooks (once per process)."""
    if not event.contains(Session, "after_flush", _note_changes):
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "before_commit", _write_changes)
        event.listen(Session, "after_soft_rollback", _forget_changes)


def queue_for_insights(ids: Iterable[int], session: Any = None) -> None:
    """Tell the insight job's incremental step that these post-mortems were written (their
    similar list and theme are placed again once their writes pause)."""
    session = session or db.session
    now = utcnow()
    insert_ = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for incident_id in ids:
        statement = insert_(InsightQueue).values(incident_id=incident_id, queued_at=now,
                                                 written_at=now, placed_at=None)
        session.execute(statement.on_conflict_do_update(
            index_elements=[InsightQueue.incident_id], set_={"written_at": now}))


def mark_changed(session: Any = None) -> None:
    """Ask for a full recomputation of similar post-mortems and themes (the job's next run)."""
    session = session or db.session
    updated: Any = session.execute(update(InsightState).where(InsightState.id == 1).values(
        changes=InsightState.changes + 1, changed_at=utcnow()))
    if not updated.rowcount:
        session.execute(insert(InsightState).values(id=1, changes=1, changed_at=utcnow(),
                                                    computed_changes=-1))


def _people(*users: User | None) -> list[str]:
    """Names and addresses, and each address's local part alone (PostgreSQL reads a whole
    address as one word)."""
    return [f"{user.name} {user.email} {re.sub(r'[._+-]', ' ', user.email.split('@')[0])}"
            for user in users if user is not None]


def build_documents(ids: list[int], session: Any) -> list[dict[str, Any]]:
    """The search documents of these post-mortems, read in a few queries (not one per row)."""
    if not ids:
        return []
    parts: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    users = {u.id: u for u in session.scalars(select(User))}
    incidents = session.execute(select(Incident.id, Incident.title, Incident.commander_id,
                                       Incident.created_by_id)
                                .where(Incident.id.in_(ids))).all()
    for incident_id, title, commander_id, author_id in incidents:
        parts[incident_id]["title"].append(title)
        parts[incident_id]["people"] += _people(users.get(commander_id or 0),
                                                users.get(author_id or 0))
    for incident_id, markdown in session.execute(
            select(IncidentSection.incident_id, IncidentSection.markdown)
            .where(IncidentSection.incident_id.in_(ids))
            .order_by(IncidentSection.incident_id, IncidentSection.position)):
        parts[incident_id]["body"].append(markdown or "")
    for incident_id, event_text in session.execute(
            select(TimelineEvent.incident_id, TimelineEvent.text)
            .where(TimelineEvent.incident_id.in_(ids))
            .order_by(TimelineEvent.incident_id, TimelineEvent.at, TimelineEvent.id)):
        parts[incident_id]["body"].append(event_text)
    for incident_id, factor_text in session.execute(
            select(Factor.incident_id, Factor.text).where(Factor.incident_id.in_(ids))
            .order_by(Factor.id)):
        parts[incident_id]["body"].append(factor_text)
    for incident_id, title, description, owner_id in session.execute(
            select(ActionItem.incident_id, ActionItem.title, ActionItem.description,
                   ActionItem.owner_id).where(ActionItem.incident_id.in_(ids))
            .order_by(ActionItem.id)):
        parts[incident_id]["body"] += [title, description or ""]
        parts[incident_id]["people"] += _people(users.get(owner_id or 0))
    for incident_id, name in session.execute(
            select(incident_services.c.incident_id, Service.name)
            .join(Service, Service.id == incident_services.c.service_id)
            .where(incident_services.c.incident_id.in_(ids))):
        parts[incident_id]["services"].append(name)
    for incident_id, tag in session.execute(
            select(IncidentTag.incident_id, IncidentTag.tag).where(IncidentTag.incident_id.in_(ids))):
        parts[incident_id]["services"].append(tag)
    for incident_id, version, reference, posted in session.execute(
            select(IncidentDeployment.incident_id, Artifact.version, Artifact.reference,
                   Deployment.artifact_ref)
            .join(Deployment, Deployment.id == IncidentDeployment.deployment_id)
            .join(Artifact, Artifact.id == Deployment.artifact_id)
            .where(IncidentDeployment.incident_id.in_(ids))):
        for value in {v for v in (version, reference, posted) if v}:
            # The reference whole, and split at its separators so a digest stands alone.
            parts[incident_id]["artifacts"] += [value, re.sub(r"[@:/]", " ", value)]
    return [{"incident_id": incident_id,
             **{column: "\n".join(dict.fromkeys(p for p in values.get(column, []) if p))
                for column in ("title", "body", "people", "artifacts", "services")}}
            for incident_id, values in parts.items()]


def write_documents(ids: Iterable[int], session: Any = None) -> None:
    """Rewrite the search documents of these post-mortems (gone ones are simply dropped)."""
    session = session or db.session
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        documents = build_documents(chunk, session)
        session.execute(delete(SearchDocument).where(SearchDocument.incident_id.in_(chunk)))
        if documents:
            session.execute(insert(SearchDocument), documents)


def write_findings(ids: list[int], session: Any) -> None:
    """Store each changed post-mortem's blameless findings (lists show them without checking
    every text on every request)."""
    from ..incidents import check_incident

    # What the check reads (check_incident): the title, sections, timeline and factors.
    for incident in session.scalars(select(Incident).where(Incident.id.in_(ids)).options(
            selectinload(Incident.sections), selectinload(Incident.timeline),
            selectinload(Incident.factors))):
        findings = check_incident(incident)
        session.execute(update(Incident).where(Incident.id == incident.id)
                        .values(findings=findings).execution_options(synchronize_session=False))
        session.expire(incident, ["findings"])


def reindex_all() -> int:
    """Rebuild every search document (after a bulk load, or from `postmortem insights
    reindex`); returns how many."""
    ids = list(db.session.scalars(select(Incident.id).order_by(Incident.id)))
    write_documents(ids)
    for start in range(0, len(ids), 200):
        write_findings(ids[start:start + 200], db.session)
    mark_changed()
    db.session.commit()
    return len(ids)


# -- searching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing the user typed: a word, a run of tokens to match in order (a version such as
    8.10.0, a hyphenated name), or the start of a digest."""

    tokens: tuple[str, ...]
    prefix: bool = False
    raw: str = ""


def parse_query(query: object) -> list[Term]:
    """The terms of a search query; ValidationError when it has none."""
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("Give a search query.", fields={"q": ["is required"]})
    terms: list[Term] = []
    for raw in query[:MAX_QUERY].split():
        tokens = tuple(t.lower() for t in TOKEN_RE.findall(raw))
        if not tokens or (len(tokens) == 1 and len(tokens[0]) == 1 and not tokens[0].isdigit()):
            continue
        prefix = raw.endswith("*") or bool(HEX_RE.fullmatch(tokens[-1]) and
                                           any(c.isdigit() for c in tokens[-1]))
        terms.append(Term(tokens, prefix, raw.strip("*\"'")))
    if not terms:
        raise ValidationError("The query has no searchable words.",
                              fields={"q": ["type a word, a version or a name"]})
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def _fts5_query(terms: list[Term]) -> str:
    return " ".join(f'"{" ".join(term.tokens)}"' + ("*" if term.prefix else "")
                    for term in terms)


def _postgres_query(terms: list[Term]) -> tuple[str, dict[str, str]]:
    pieces, params = [], {}
    for index, term in enumerate(terms):
        name = f"t{index}"
        if term.prefix:
            # The digest's own token: a prefix of a lexeme, whatever the configuration.
            params[name] = " <-> ".join(term.tokens[:-1] + (term.tokens[-1] + ":*",))
            pieces.append(f"to_tsquery('simple', :{name})")
        elif len(term.tokens) > 1:
            # A version (8.10.0) is one token to the parser; a hyphenated name is several.
            params[name] = term.raw
            pieces.append(f"(plainto_tsquery('english', :{name}) || "
                          f"phraseto_tsquery('simple', :{name}))")
        else:
            params[name] = term.tokens[0]
            pieces.append(f"(plainto_tsquery('english', :{name}) || "
                          f"to_tsquery('simple', quote_literal(:{name})))")
    return " && ".join(pieces), params


def marked_html(marked: str) -> str:
    """A snippet with OPEN/CLOSE marks → escaped HTML with <mark>."""
    return html.escape(marked).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")


def _flat(value: str) -> str:
    return " ".join(value.split())


def search_incidents(query: object, page: int = 1, per_page: int = 20, *, reader: User | None
                     ) -> tuple[list[dict[str, Any]], int]:
    """One page of the post-mortems this reader may read matching every term of query, best
    first, and the total: [{"key", "title", "snippet", "snippet_html", "score", "status"}].
    Archived ones are left out. ValidationError when the query has no searchable word."""
    terms = parse_query(query)
    offset = (max(page, 1) - 1) * per_page
    hidden: list[int] = list(db.session.scalars(hidden_in(sight(reader))))
    if db.engine.dialect.name == "postgresql":
        rows, total = _kept_postgres(terms, offset, per_page, hidden)
    else:
        rows, total = _search_sqlite(terms, offset, per_page, hidden)
    results = []
    for incident_id, title, status, score, marked in rows:
        marked = _flat(marked or "")
        results.append({
            "key": f"INC-{incident_id}", "title": title, "status": status,
            "snippet": marked.replace(OPEN, "").replace(CLOSE, ""),
            "snippet_html": marked_html(marked), "score": round(float(score), 4),
        })
    return results, total


def _kept_postgres(terms: list[Term], offset: int, per_page: int, hidden: list[int]
                   ) -> tuple[list[Any], int]:
    """A page of matches on PostgreSQL, kept by what it shows and checked before it is served.

    ts_rank reads only the document and the query, so a match that was not written since
    ranks as it did. The kept page holds the stamp of every match; it is served again when
    the matches are the same post-mortems, none on the page was written since, and each one
    written since (a draft saved elsewhere) still ranks after the page's last row (the first
    page) — worked out for those few alone. Otherwise the page is worked out afresh (its
    headlines are the costly part of a search)."""
    tsquery, params = _postgres_query(terms)
    # Through the full-text index: for a word in half the archive the planner would rather
    # read every document (detoasting each: 52 ms at 10,000) than the index (7 ms), not
    # counting what a large document costs to read.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    stamps: dict[int, int] = dict(db.session.execute(text(
        "SELECT s.incident_id, i.stamp FROM incident_search s "
        f"JOIN incidents i ON i.id = s.incident_id, (SELECT {tsquery} AS q) query "
        "WHERE s.document @@ query.q AND i.archived_at IS NULL"
        + _hiding("i.id", hidden)), params).all())
    db.session.execute(text("SET LOCAL enable_seqscan = on"))
    key = ([(t.tokens, t.prefix, t.raw) for t in terms], offset, per_page, hidden)
    held = kept.recall("search", key)
    if held is not None and _still_shown(held, stamps, offset, tsquery, params):
        return held["rows"], held["total"]
    rows, total = _search_postgres(terms, offset, per_page, hidden)
    kept.remember("search", key, {"rows": [tuple(row) for row in rows], "total": total,
                                  "stamps": stamps})
    return rows, total


def _still_shown(held: dict[str, Any], stamps: dict[int, int], offset: int, tsquery: str,
                 params: dict[str, str]) -> bool:
    """True when a kept page of matches is what the search would show now (_kept_postgres)."""
    if held["stamps"].keys() != stamps.keys():
        return False  # a post-mortem matches now, or no longer
    written = [number for number, stamp in stamps.items() if held["stamps"][number] != stamp]
    if not written:
        return True
    page = {row[0] for row in held["rows"]}
    if offset or page.intersection(written) or not held["rows"]:
        return False
    last_id, last_score = held["rows"][-1][0], held["rows"][-1][3]
    for number, score in db.session.execute(text(
            f"SELECT s.incident_id, ts_rank(s.document, {tsquery}) FROM incident_search s "
            f"WHERE s.incident_id IN ({','.join(str(int(n)) for n in written)})"), params):
        if (float(score), int(number)) >= (float(last_score), int(last_id)):
            return False  # it would come onto the page now
    return True


def _hiding(column: str, hidden: list[int]) -> str:
    """SQL leaving out the post-mortems hidden from the reader (ids: integers from the
    database, never from the request)."""
    if not hidden:
        return ""
    return f" AND {column} NOT IN ({','.join(str(int(i)) for i in hidden)})"


def _search_sqlite(terms: list[Term], offset: int, limit: int, hidden: list[int]
                   ) -> tuple[list[Any], int]:
    match = _fts5_query(terms)
    params = {"match": match, "limit": limit, "offset": offset}
    base = ("FROM incident_search_fts JOIN incidents ON incidents.id = incident_search_fts.rowid "
            "WHERE incident_search_fts MATCH :match AND incidents.archived_at IS NULL"
            + _hiding("incidents.id", hidden))
    total = db.session.execute(text(f"SELECT count(*) {base}"), params).scalar() or 0
    if not total:
        return [], 0
    # SQLite works out every selected column of every match before it sorts: the page is
    # chosen first, so only its rows get a snippet (at 10,000, a word in a thousand
    # post-mortems: 49 ms to 35 ms).
    rank = "bm25(incident_search_fts, 8.0, 1.0, 3.0, 3.0, 3.0)"
    rows = db.session.execute(text(
        f"SELECT incidents.id, incidents.title, incidents.status, -{rank} AS score, "
        f"snippet(incident_search_fts, -1, '{OPEN}', '{CLOSE}', '…', 24) "
        f"{base} AND incident_search_fts.rowid IN (SELECT incidents.id {base} "
        f"ORDER BY {rank}, incidents.id DESC LIMIT :limit OFFSET :offset) "
        f"ORDER BY {rank}, incidents.id DESC"), params).all()
    return list(rows), int(total)


def _search_postgres(terms: list[Term], offset: int, limit: int, hidden: list[int]
                     ) -> tuple[list[Any], int]:
    tsquery, params = _postgres_query(terms)
    # One pass ranks the matches and counts them (a window over the same rows); only the page's
    # rows get a headline, the costly part.
    rows = db.session.execute(text(
        "SELECT page.id, page.title, page.status, page.score, page.total, "
        "ts_headline('english', concat_ws(' · ', s.title, s.body, s.services, s.people, "
        "s.artifacts), page.q, "
        f"'StartSel={OPEN}, StopSel={CLOSE}, MaxWords=30, MinWords=12, MaxFragments=1, "
        "FragmentDelimiter=\" … \"') "
        "FROM (SELECT i.id, i.title, i.status, ts_rank(s.document, query.q) AS score, "
        "count(*) OVER () AS total, query.q "
        "FROM incident_search s JOIN incidents i ON i.id = s.incident_id, "
        f"(SELECT {tsquery} AS q) query "
        "WHERE s.document @@ query.q AND i.archived_at IS NULL" + _hiding("i.id", hidden) + " "
        "ORDER BY score DESC, i.id DESC LIMIT :limit OFFSET :offset) page "
        "JOIN incident_search s ON s.incident_id = page.id "
        "ORDER BY page.score DESC, page.id DESC"),
        {**params, "limit": limit, "offset": offset}).all()
    if not rows and offset:
        total = db.session.execute(text(
            "SELECT count(*) FROM incident_search s JOIN incidents i ON i.id = s.incident_id, "
            f"(SELECT {tsquery} AS q) query WHERE s.document @@ query.q "
            "AND i.archived_at IS NULL" + _hiding("i.id", hidden)), params).scalar() or 0
        return [], int(total)
    total = int(rows[0][4]) if rows else 0
    return [(r[0], r[1], r[2], float(r[3]), r[5]) for r in rows], total


def incident_count() -> int:
    return db.session.scalar(select(func.count(Incident.id))) or 0


def document_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchDocument)) or 0
