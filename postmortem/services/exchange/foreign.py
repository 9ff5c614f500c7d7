"""Importing a post-mortem written elsewhere (Markdown without front matter, HTML, .docx),
one file or a zip of many: read it (`archive.py`), then create it through the interchange
importer's own checks, in one transaction."""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from ...errors import Conflict, DomainError, Forbidden, ValidationError
from ...extensions import db
from ...models import Incident, IncidentStatus, Role, User, utcnow
from ...schemas.types import EMAIL_RE, URL_RE
from ..incidents import revisions
from ..setup import templates
from . import importer
from .archive import read_archive
from .archive_meta import Draft
from .blocks import Source
from .html_blocks import read_docx, read_html
from .markdown import Document, DocumentError, ParsedItem, ParsedSection, parse_document
from .markdown_blocks import read_markdown

log = logging.getLogger(__name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KINDS = {"text/markdown": "markdown", "text/x-markdown": "markdown", "text/plain": "markdown",
         "text/html": "html", "application/xhtml+xml": "html", DOCX: "docx"}
EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".txt": "markdown", ".mdown": "markdown",
              ".html": "html", ".htm": "html", ".xhtml": "html", ".docx": "docx"}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ZIP_FILES = 2000
MAX_ZIP_BYTES = 200 * 1024 * 1024
Render = Callable[[Incident], dict[str, Any]]


@dataclass
class Outcome:
    """One file's import: the post-mortem made (or, for a dry run, what it would be)."""

    incident: Incident | None
    notes: list[str]
    preview: dict[str, Any] | None = None
    duplicate: str | None = None
    draft: Draft | None = None


def kind_of(media_type: str | None, filename: str | None = None, data: bytes = b"") -> str | None:
    """markdown, html or docx from a media type, else a file name, else the first bytes."""
    if filename:
        extension = posixpath.splitext(filename.lower())[1]
        if extension in EXTENSIONS:
            return EXTENSIONS[extension]
    kind = KINDS.get((media_type or "").lower())
    head = data[:512].lstrip().lower()
    if data[:2] == b"PK" and kind in (None, "docx"):
        return "docx"
    if kind == "markdown" and (head.startswith(b"<!doctype html") or head.startswith(b"<html")):
        return "html"
    if kind is None and (head.startswith(b"<!doctype html") or head.startswith(b"<html")):
        return "html"
    return kind


def has_front_matter(text: str) -> bool:
    for line in text.lstrip("\ufeff").split("\n"):
        if line.strip():
            return line.strip() == "---"
    return False


def read_source(data: bytes, kind: str) -> Source:
    """The document's blocks; DocumentError when it cannot be read."""
    if not data.strip():
        raise DocumentError(1, "the document is empty")
    if kind == "docx":
        return read_docx(data)
    if kind == "html":
        return read_html(data)
    text = _text(data)
    if "\x00" in text:
        raise DocumentError(text[:text.index("\x00")].count("\n") + 1,
                            "the document contains a NUL character")
    return read_markdown(text.lstrip("\ufeff").replace("\r\n", "\n"))


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise DocumentError(1, "the document is not UTF-8 text") from None


def _find_person(value: str) -> str | None:
    """The email of the person a document names: an email, or a user's name or handle."""
    text = value.strip().strip("@")
    emails = [w.strip("<>(),;") for w in text.split() if EMAIL_RE.match(w.strip("<>(),;"))]
    if emails:
        return emails[0].lower()
    if not text or len(text) > 100:
        return None
    user = db.session.scalar(select(User).where(func.lower(User.name) == text.lower()).limit(1))
    if user is None and " " not in text:
        user = db.session.scalar(select(User).where(
            func.lower(User.email).like(text.lower().replace("%", "") + "@%")).limit(1))
    return user.email if user is not None else None


def draft_of(data: bytes, kind: str, name: str = "") -> Draft:
    """The document read into our terms, before anything touches the database but lookups."""
    template = templates.find_template("standard")
    titles = {s.key: s.title for s in template.sections} if template else {}
    try:
        source = read_source(data, kind)
        source.name = name
        return read_archive(source, titles, _find_person)
    except DomainError:
        raise
    except (ValueError, RecursionError, IndexError, KeyError, TypeError, AttributeError,
            OverflowError, UnicodeError) as error:
        log.exception("reading a %s document failed", kind)
        raise DocumentError(1, f"the document could not be read ({error.__class__.__name__})") \
            from None


def document_of(draft: Draft, overrides: dict[str, Any] | None = None) -> Document:
    """The interchange importer's Document for a draft; `overrides` (title, severity,
    started_at…, services) are corrections made by the person importing."""
    title = draft.title.strip()
    if len(title) > 200:
        draft.metadata["Title (in full)"] = title
        draft.note(draft.title_line, "the title is longer than 200 characters; it was shortened "
                                     "and kept whole as metadata")
        title = title[:199].rsplit(" ", 1)[0] + "…"
    front: dict[str, Any] = {"title": title, "severity": draft.severity, "template": "standard",
                             "services": draft.services, "tags": draft.tags}
    for name, moment in draft.times.items():
        front[name] = moment.isoformat()
    if draft.commander:
        front["commander"] = draft.commander
    for key, value in (overrides or {}).items():
        if value not in (None, ""):
            front[key] = value
    lines = {"title": draft.title_line, **draft.lines}
    for key, value in draft.metadata.items():
        front.setdefault(key, value)
    sections = [ParsedSection(line, title, [markdown]) for line, title, markdown, _ in draft.sections]
    timeline: list[tuple[int, str, str | None, str]] = [
        (e.line, e.at.isoformat(), e.kind, e.text[:5000]) for e in draft.events]
    factors = [(f.line, f.category, f.text[:5000]) for f in draft.factors if f.text.strip()]
    items = []
    for item in draft.items:
        attrs = {k: v for k, v in item.attrs.items() if v}
        if attrs.get("url") and not URL_RE.match(attrs["url"]):
            attrs["description"] = (attrs.get("description", "") + "\n" + attrs.pop("url")).strip()
        for note in item.notes:
            draft.note(item.line, note)
        if item.owner_name:
            email = _find_person(item.owner_name)
            if email:
                attrs["owner"] = email
            elif re.search(r"team|squad|group|-", item.owner_name, re.IGNORECASE) \
                    and not attrs.get("team"):
                attrs["team"] = item.owner_name[:100]
                draft.note(item.line, f"'{item.owner_name}' was read as the owning team")
            else:
                attrs["description"] = (f"Owner: {item.owner_name}\n"
                                        + attrs.get("description", "")).strip()
                draft.note(item.line, f"the owner '{item.owner_name}' is not someone we know by "
                                      "name or email; kept in the description")
        items.append(ParsedItem(item.line, item.title, item.done, attrs))
    return Document(front, lines, sections, timeline, factors, items)


def import_foreign(data: bytes, kind: str, actor: User | None, *, publish: bool = False,
                   allow_duplicate: bool = False, dry_run: bool = False,
                   render: Render | None = None, overrides: dict[str, Any] | None = None,
                   name: str = "") -> Outcome:
    """Create a post-mortem from a document written elsewhere. It lands as a draft; with
    `publish` (reviewer, admin or the command line) as published, keeping its own dates.
    A dry run builds everything, renders it with `render`, and keeps nothing.

    DocumentError (422) when it cannot be read; Forbidden for `publish` below reviewer;
    Conflict (409, `extra.key`) for a duplicate unless allow_duplicate (a dry run notes it)."""
    if publish and actor is not None and not actor.can(Role.REVIEWER):
        raise Forbidden("Importing as published needs the reviewer role.")
    draft = draft_of(data, kind, name)
    document = document_of(draft, overrides)
    outcome = Outcome(None, [], draft=draft)
    try:
        fresh = importer.build_incident(document, actor)
        fresh.status = IncidentStatus.DRAFT
        if publish:
            _publish(fresh)
        elif draft.status == IncidentStatus.PUBLISHED.value:
            draft.note(0, "the document says it is final; it was imported as a draft (a reviewer "
                          "can import it as published)")
        existing = importer.find_duplicate(fresh.title, fresh.started_at, actor)
        if existing is not None and not allow_duplicate:
            if not dry_run:
                raise Conflict(
                    f"{existing.key} already has this title and start time; import a second "
                    "copy only with ?allow_duplicate=true.", extra={"key": existing.key})
            outcome.duplicate = existing.key
            draft.note(0, f"{existing.key} already has this title and start time")
        db.session.add(fresh)
        importer.attach(fresh, document)
        db.session.flush()
        _place_sections(fresh, draft)
        who = actor.email if actor is not None else "the command line"
        summary = f"Imported from a {kind} document by {who}"
        if publish:
            summary += ", as published (reviewed elsewhere)"
        db.session.flush()
        revisions.record_revision(fresh, actor, summary)
        outcome.incident = fresh
        outcome.notes = draft.note_texts()
        if dry_run:
            db.session.flush()
            outcome.preview = render(fresh) if render is not None else None
            db.session.rollback()
            outcome.incident = None
        else:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome


def _publish(incident: Incident) -> None:
    """Published as it was elsewhere: its dates are the incident's own, not today's."""
    when = incident.resolved_at or incident.mitigated_at or incident.started_at
    incident.status = IncidentStatus.PUBLISHED
    incident.published_at = min(when, utcnow())
    incident.created_at = min(incident.started_at, utcnow())
    incident.updated_at = incident.published_at


def _place_sections(incident: Incident, draft: Draft) -> None:
    """Extra sections sit where the document had them: after the template section that came
    before them (or first, when none did)."""
    extras = [s for s in incident.sections if s.key not in _template_keys(incident)]
    if not extras:
        return
    anchors: list[str | None] = []
    last: str | None = None
    for _, _, _, key in draft.sections:
        if key is not None:
            last = key
        else:
            anchors.append(last)
    ordered = [s for s, anchor in zip(extras, anchors, strict=False) if anchor is None]
    for section in incident.sections:
        if section in extras:
            continue
        ordered.append(section)
        ordered += [s for s, anchor in zip(extras, anchors, strict=False) if anchor == section.key]
    ordered += [s for s in extras if s not in ordered]
    for position, section in enumerate(ordered):
        section.position = position
    incident.sections.sort(key=lambda s: s.position)


def _template_keys(incident: Incident) -> set[str]:
    template = templates.find_template(incident.template_key)
    return {s.key for s in template.sections} if template else set()


# ---- many files --------------------------------------------------------------------------

@dataclass
class BatchResult:
    imported: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates, "failed": self.failed}


def import_file(name: str, data: bytes, actor: User | None, *, publish: bool = False,
                allow_duplicate: bool = False, dry_run: bool = False,
                keep_status: bool = True, render: Render | None = None) -> Outcome:
    """One file, its form told by its name (or its first bytes)."""
    kind = kind_of(None, name, data)
    if kind is None:
        raise ValidationError(f"{name}: not a post-mortem file (.md, .html or .docx)",
                              fields={"file": ["is not .md, .html or .docx"]})
    return import_upload(data, kind, actor, publish=publish, allow_duplicate=allow_duplicate,
                         dry_run=dry_run, keep_status=keep_status, render=render,
                         name=posixpath.basename(name.split(":")[-1]))


def import_upload(data: bytes, kind: str, actor: User | None, *, publish: bool = False,
                  allow_duplicate: bool = False, dry_run: bool = False,
                  keep_status: bool = True, render: Render | None = None,
                  overrides: dict[str, Any] | None = None, name: str = "") -> Outcome:
    """An interchange document (Markdown with front matter) as before, anything else read as a
    post-mortem written elsewhere."""
    if kind == "markdown":
        text = _text(data)
        if has_front_matter(text):
            if dry_run:
                return _dry_run_interchange(text, actor, keep_status, render)
            if publish and actor is not None and not actor.can(Role.REVIEWER):
                raise Forbidden("Importing as published needs the reviewer role.")
            result = importer.import_markdown(text, actor, keep_status=keep_status or publish,
                                              allow_duplicate=allow_duplicate)
            return Outcome(result.incident, result.notes)
    return import_foreign(data, kind, actor, publish=publish, allow_duplicate=allow_duplicate,
                          dry_run=dry_run, render=render, overrides=overrides, name=name)


def _dry_run_interchange(text: str, actor: User | None, keep_status: bool,
                         render: Render | None) -> Outcome:
    document = parse_document(text)
    notes = importer.kind_notes(document)
    try:
        fresh = importer.build_incident(document, actor)
        if not keep_status or (actor is not None and not actor.can(Role.REVIEWER)):
            if fresh.status != IncidentStatus.DRAFT.value:
                notes.append(f"The document says '{fresh.status}'; it would be imported as a "
                             "draft, because publishing needs a reviewer.")
            fresh.status = IncidentStatus.DRAFT
        existing = importer.find_duplicate(fresh.title, fresh.started_at, actor)
        duplicate = existing.key if existing is not None else None
        db.session.add(fresh)
        importer.attach(fresh, document)
        db.session.flush()
        preview = render(fresh) if render is not None else None
    finally:
        db.session.rollback()
    return Outcome(None, notes, preview, duplicate)


def zip_members(data: bytes) -> list[tuple[str, bytes | str]]:
    """(name, bytes) of each file in a zip, or (name, why it was not read); ValidationError
    when the zip itself cannot be read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValidationError("The upload is not a readable zip file.",
                              fields={"file": ["is not a zip file"]}) from None
    members: list[tuple[str, bytes | str]] = []
    total = 0
    files = [i for i in infos if not i.is_dir()]
    if len(files) > MAX_ZIP_FILES:
        raise ValidationError(f"The zip holds more than {MAX_ZIP_FILES} files.",
                              fields={"file": [f"holds more than {MAX_ZIP_FILES} files"]})
    for info in files:
        name = info.filename
        base = posixpath.basename(name)
        if name.startswith("__MACOSX/") or base.startswith((".", "~$")) or not base:
            continue
        if kind_of(None, name) is None:
            members.append((name, "not a post-mortem file (.md, .html or .docx); skipped"))
            continue
        if info.file_size > MAX_FILE_BYTES:
            members.append((name, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"))
            continue
        total += info.file_size
        if total > MAX_ZIP_BYTES:
            members.append((name, "the zip unpacks to more than 200 MB; not read"))
            continue
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                RuntimeError) as error:
            members.append((name, f"could not be unpacked ({error.__class__.__name__})"))
            continue
        if len(content) > MAX_FILE_BYTES:
            members.append((name, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"))
            continue
        members.append((name, content))
    return members


def import_batch(files: list[tuple[str, bytes | str]], actor: User | None, *,
                 publish: bool = False, allow_duplicate: bool = False, dry_run: bool = False,
                 keep_status: bool = True,
                 progress: Callable[[int, int, str, str], None] | None = None) -> BatchResult:
    """Each file imported or refused on its own: a refused file never stops the others."""
    if publish and actor is not None and not actor.can(Role.REVIEWER):
        raise Forbidden("Importing as published needs the reviewer role.")
    result = BatchResult()
    for index, (name, content) in enumerate(files, start=1):
        verdict = "failed"
        if isinstance(content, str):
            result.failed.append({"file": name, "message": content})
        else:
            try:
                outcome = import_file(name, content, actor, publish=publish,
                                      allow_duplicate=allow_duplicate, dry_run=dry_run,
                                      keep_status=keep_status)
            except Conflict as error:
                result.duplicates.append({"file": name, "key": error.extra.get("key")})
                verdict = "duplicate"
            except DomainError as error:
                entry: dict[str, Any] = {"file": name, "message": error.message}
                if isinstance(error, DocumentError):
                    entry["line"] = error.line
                result.failed.append(entry)
            except Exception as error:  # noqa: BLE001 - one broken file must not stop the rest
                db.session.rollback()
                log.exception("importing %s failed", name)
                result.failed.append({"file": name, "message": "the file could not be imported "
                                      f"({error.__class__.__name__})"})
            else:
                if outcome.duplicate and dry_run:
                    result.duplicates.append({"file": name, "key": outcome.duplicate})
                    verdict = "duplicate"
                else:
                    key = outcome.incident.key if outcome.incident is not None else None
                    result.imported.append({"file": name, "key": key, "notes": outcome.notes})
                    verdict = f"imported as {key}" if key else "would be imported"
        if progress is not None:
            progress(index, len(files), name, verdict)
    return result
