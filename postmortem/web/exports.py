"""Exports and imports on the HTML side: Markdown and PDF of a post-mortem, the digest, and
the upload form. Each accepts the browser session or a bearer token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import role_required
from ..errors import DomainError, ValidationError
from ..models import Role
from ..services import exchange, incidents
from .incidents import load_incident

bp = Blueprint("exports", __name__)
MAX_UPLOAD_BYTES = 1024 * 1024


@bp.get("/incidents/<key>.md")
@login_required
def incident_markdown(key: str) -> Any:
    incident = load_incident(key)
    return Response(exchange.export_markdown(incident), mimetype="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="{incident.key}.md"'})


@bp.route("/incidents/import", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def import_form() -> Any:
    error: DomainError | None = None
    text = ""
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            raw = upload.read(MAX_UPLOAD_BYTES + 1)
            if len(raw) > MAX_UPLOAD_BYTES:
                error = ValidationError("The file is larger than 1 MB.")
            else:
                text = raw.decode("utf-8", errors="replace")
        else:
            text = request.form.get("markdown", "")
        keep_status = bool(request.form.get("keep_status"))
        action = request.form.get("action", "check")
        if error is None and action == "check":
            preview = exchange.preview_import(text, current_user, keep_status=keep_status)
            return render_template("incidents/import.html", error=None, text=text,
                                   preview=preview, keep_status=keep_status)
        if error is None:
            try:
                if action == "into" and request.form.get("into"):
                    target = incidents.get_incident(request.form["into"])
                    result = exchange.import_into(target, text, current_user)
                else:
                    result = exchange.import_markdown(
                        text, current_user, keep_status=keep_status,
                        allow_duplicate=action == "duplicate")
            except DomainError as exc:
                error = exc
            else:
                verb = "Imported as" if result.created else "Replaced the content of"
                flash(f"{verb} {result.incident.key}.", "success")
                for note in result.notes:
                    flash(note, "info")
                return redirect(url_for("incidents.show", key=result.incident.key))
    return render_template("incidents/import.html", error=error, text=text, preview=None,
                           keep_status=True), (422 if error else 200)


@bp.get("/incidents/<key>.pdf")
@login_required
def incident_pdf(key: str) -> Any:
    """The PDF opens in the browser; ?download=1 saves it instead."""
    incident = load_incident(key)
    disposition = "attachment" if request.args.get("download") else "inline"
    return Response(exchange.render_incident_pdf(incident), mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{incident.key}.pdf"'})
