"""Exports and imports on the HTML side: Markdown and PDF of a post-mortem, the digest, and
the upload form. Each accepts the browser session or a bearer token."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import role_required
from ..errors import DomainError, ValidationError
from ..models import Role, Severity, today
from ..services import exchange, incidents
from .incidents import load_incident

bp = Blueprint("exports", __name__)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@bp.get("/incidents/<key>.md")
@login_required
def incident_markdown(key: str) -> Any:
    incident = load_incident(key)
    return Response(exchange.export_markdown(incident), mimetype="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="{incident.key}.md"'})


@bp.route("/incidents/import", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def import_form() -> Any:
    """One document: check it (a preview of what would be made, with its metadata to fix),
    then import it. Several files or a zip: each imported or refused on its own."""
    error: DomainError | None = None
    text = ""
    if request.method == "POST":
        uploads = [u for u in request.files.getlist("file") if u is not None and u.filename]
        publish = bool(request.form.get("publish"))
        if len(uploads) > 1 or (uploads and (uploads[0].filename or "").lower().endswith(".zip")):
            try:
                result = exchange.import_batch(_upload_files(uploads), current_user,
                                               publish=publish)
            except DomainError as exc:
                error = exc
            else:
                return render_template("incidents/import_results.html", result=result)
        if error is None:
            try:
                upload = _single_upload(uploads)
            except ValidationError as exc:
                error = exc
            else:
                name, raw = upload
                kind = exchange.kind_of(None, name, raw) or "markdown"
                text = raw.decode("utf-8", errors="replace") if kind != "docx" else ""
                if kind != "markdown" or not exchange.has_front_matter(text):
                    return _import_foreign(name, raw, kind, publish)
                return _import_interchange(text)
    return render_template("incidents/import.html", error=error, text=text, preview=None,
                           keep_status=True, accept=IMPORT_ACCEPT), (422 if error else 200)


IMPORT_ACCEPT = ".md,.markdown,.txt,.html,.htm,.docx,.zip,text/markdown,text/html"


def _upload_files(uploads: list[Any]) -> list[tuple[str, bytes | str]]:
    files: list[tuple[str, bytes | str]] = []
    for upload in uploads:
        raw = upload.read(exchange.MAX_ZIP_BYTES + 1)
        if upload.filename.lower().endswith(".zip"):
            files += [(f"{upload.filename}:{name}", content)
                      for name, content in exchange.zip_members(raw)]
        elif len(raw) > MAX_UPLOAD_BYTES:
            files.append((upload.filename, "larger than 5 MB"))
        else:
            files.append((upload.filename, raw))
    return files


def _single_upload(uploads: list[Any]) -> tuple[str, bytes]:
    """(file name, bytes) of the uploaded file, the previewed document sent back, or the
    pasted text."""
    if uploads:
        raw = uploads[0].read(MAX_UPLOAD_BYTES + 1)
        if len(raw) > MAX_UPLOAD_BYTES:
            raise ValidationError("The file is larger than 5 MB.")
        return uploads[0].filename, raw
    if request.form.get("document"):
        try:
            raw = base64.b64decode(request.form["document"], validate=True)
        except (ValueError, binascii.Error):
            raise ValidationError("The checked document was not sent back whole; upload it "
                                  "again.") from None
        return request.form.get("filename") or "document.md", raw
    pasted = request.form.get("markdown", "")
    kind = exchange.kind_of("text/markdown", None, pasted.encode("utf-8", "replace"))
    return ("pasted.html" if kind == "html" else "pasted.md"), pasted.encode("utf-8", "replace")


def _import_interchange(text: str) -> Any:
    """The interchange format, as before: check, then import, replace or duplicate."""
    keep_status = bool(request.form.get("keep_status"))
    action = request.form.get("action", "check")
    if action == "check":
        preview = exchange.preview_import(text, current_user, keep_status=keep_status)
        return render_template("incidents/import.html", error=None, text=text,
                               preview=preview, keep_status=keep_status, accept=IMPORT_ACCEPT)
    try:
        if action == "into" and request.form.get("into"):
            target = incidents.get_incident(request.form["into"], reader=current_user)
            result = exchange.import_into(target, text, current_user)
        else:
            result = exchange.import_markdown(
                text, current_user, keep_status=keep_status,
                allow_duplicate=action == "duplicate")
    except DomainError as exc:
        return render_template("incidents/import.html", error=exc, text=text, preview=None,
                               keep_status=True, accept=IMPORT_ACCEPT), 422
    verb = "Imported as" if result.created else "Replaced the content of"
    flash(f"{verb} {result.incident.key}.", "success")
    for note in result.notes:
        flash(note, "info")
    return redirect(url_for("incidents.show", key=result.incident.key))


def _import_foreign(name: str, raw: bytes, kind: str, publish: bool) -> Any:
    """A document written elsewhere: the preview (mapping, notes, the post-mortem as it would
    read, its metadata to correct), then the import with the corrections."""
    action = request.form.get("action", "check")
    overrides = {key: request.form.get(key, "").strip() for key in
                 ("title", "severity", "started_at")}
    services = request.form.get("services")
    if services is not None:
        overrides["services"] = [s.strip() for s in services.split(",") if s.strip()]  # type: ignore[assignment]
    if action == "check" and not request.form.get("document"):
        overrides = {}
    encoded = base64.b64encode(raw).decode()
    try:
        outcome = exchange.import_upload(
            raw, kind, current_user, publish=publish and action != "check",
            allow_duplicate=action == "duplicate", dry_run=action == "check",
            render=_as_read, overrides=overrides,
            name=name if name not in ("pasted.md", "pasted.html") else "")
    except DomainError as exc:
        return render_template("incidents/import.html", error=exc, text="", preview=None,
                               keep_status=True, accept=IMPORT_ACCEPT, document=encoded,
                               filename=name), 422
    if action == "check":
        return render_template("incidents/import_preview.html", incident=outcome.preview,
                               notes=outcome.notes, duplicate=outcome.duplicate,
                               document=encoded, filename=name, kind=kind,
                               can_publish=current_user.can(Role.REVIEWER),
                               severities=[s.value for s in Severity])
    assert outcome.incident is not None
    flash(f"Imported {name} as {outcome.incident.key}.", "success")
    if outcome.notes:
        flash(f"{len(outcome.notes)} import note(s): " + " · ".join(outcome.notes[:8])
              + (" …" if len(outcome.notes) > 8 else ""), "info")
    return redirect(url_for("incidents.show", key=outcome.incident.key))


def _as_read(incident: Any) -> dict[str, Any]:
    return incidents.incident_dict(incident, today())


@bp.post("/incidents/import/one")
@role_required(Role.AUTHOR)
def import_one() -> Any:
    """One file of several dropped at once (the import page's progress bar): JSON with the
    file's outcome, or the outcomes of a zip's files."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return {"results": [{"file": "", "status": "failed", "message": "no file sent"}]}, 400
    publish = bool(request.form.get("publish"))
    try:
        result = exchange.import_batch(_upload_files([upload]), current_user, publish=publish)
    except DomainError as exc:
        return {"results": [{"file": upload.filename, "status": "failed",
                             "message": exc.message}]}, 200
    results = [{"file": e["file"], "status": "imported", "key": e["key"],
                "url": url_for("incidents.show", key=e["key"]), "notes": len(e.get("notes", []))}
               for e in result.imported]
    results += [{"file": e["file"], "status": "duplicate", "key": e["key"],
                 "url": url_for("incidents.show", key=e["key"])} for e in result.duplicates]
    results += [{"file": e["file"], "status": "failed", "message": e["message"],
                 "line": e.get("line")} for e in result.failed]
    return {"results": results}


@bp.get("/incidents/<key>.pdf")
@login_required
def incident_pdf(key: str) -> Any:
    """The PDF opens in the browser; ?download=1 saves it instead."""
    incident = load_incident(key)
    disposition = "attachment" if request.args.get("download") else "inline"
    return Response(exchange.render_incident_pdf(incident), mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{incident.key}.pdf"'})
