"""PDF rendering with WeasyPrint. The renderer may fetch only our own static files: no
network, no file:// outside static/."""

from __future__ import annotations

import mimetypes
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from sqlalchemy import select

from ...extensions import db
from ...models import Revision, today
from ..deployments import overview
from ..incidents.visibility import Sight
from ..insights import digest
from ..setup import templates

STATIC_SCHEME = "static"


class FetchRefused(ValueError):
    """WeasyPrint asked for something outside our static files."""


def static_url_fetcher(static_dir: Path) -> Any:
    """A WeasyPrint URL fetcher that serves static:/… and file:// URLs inside static_dir only."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_dir.resolve()

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            return URLFetcherResponse(url, body=read_static(root, url),
                                      headers={"Content-Type": _mime(url)})

    return StaticOnlyFetcher(allowed_protocols=[STATIC_SCHEME, "file"])


def _mime(url: str) -> str:
    mime_type, _ = mimetypes.guess_type(urlsplit(url).path)
    return mime_type or "application/octet-stream"


def read_static(root: Path, url: str) -> bytes:
    """The bytes of a static file named by a static:/ or file:// URL; FetchRefused otherwise."""
    parts = urlsplit(url)
    if parts.scheme == STATIC_SCHEME:
        path = (root / unquote(parts.path).lstrip("/")).resolve()
    elif parts.scheme == "file":
        path = Path(unquote(parts.path)).resolve()
    else:
        raise FetchRefused(f"refused to fetch {url}: only our static files are allowed")
    if not path.is_relative_to(root) or not path.is_file():
        raise FetchRefused(f"refused to fetch {url}: not one of our static files")
    return path.read_bytes()


def html_to_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes with the static-only fetcher (WeasyPrint imported lazily)."""
    import weasyprint

    static_dir = Path(current_app.static_folder or "static")
    document = weasyprint.HTML(string=html, base_url=f"{STATIC_SCHEME}:/",
                               url_fetcher=static_url_fetcher(static_dir))
    return document.write_pdf()


def incident_html(incident: Any) -> str:
    return render_template(
        "pdf/incident.html",
        incident=incident,
        today=today(),
        timeline_entries=overview.incident_timeline(incident),
        published_by=published_by(incident),
        categories={c.key: c for c in templates.list_categories(include_inactive=True)},
    )


def published_by(incident: Any) -> str | None:
    """The name of whoever published the post-mortem (from its history), while published."""
    if not incident.is_published:
        return None
    revision = db.session.scalar(
        select(Revision).where(Revision.incident_id == incident.id,
                               Revision.summary.startswith("Published"))
        .order_by(Revision.number.desc()).limit(1))
    return revision.author.name if revision is not None and revision.author else None


def sight_text(seen: Sight) -> str:
    """`seen` as the digest command's --sight takes it: 'all', or restricted ids by commas."""
    return seen if isinstance(seen, str) else ",".join(str(int(i)) for i in seen)


def sight_of_text(text: str | None) -> Sight:
    """The Sight a --sight value names ('' or None: no restricted post-mortem); ValueError."""
    if text == "all":
        return "all"
    return [int(part) for part in (text or "").split(",") if part.strip()]


def render_incident_pdf(incident: Any) -> bytes:
    """The stakeholder PDF of one post-mortem."""
    return html_to_pdf(incident_html(incident))


def render_digest_pdf(since: datetime, until: datetime, *, seen: Sight) -> bytes:
    """The stakeholder digest over a period (aware UTC datetimes, both inclusive), of the
    post-mortems shown to a reader who sees `seen` (services.incidents.visibility)."""
    html = render_template("pdf/digest.html", d=digest.build_digest(since, until, seen=seen),
                           today=today())
    return html_to_pdf(html)


def render_digest_pdf_apart(since: datetime, until: datetime, *, seen: Sight) -> bytes:
    """render_digest_pdf in a child process (`postmortem digest`): laying out a year of
    post-mortems takes WeasyPrint well over 100 MB, which a serving worker would keep."""
    if not current_app.config.get("PDF_DIGEST_APART", True):
        return render_digest_pdf(since, until, seen=seen)
    from ...database import child_environment

    with tempfile.TemporaryDirectory(prefix="postmortem-digest-") as folder:
        output = Path(folder) / "digest.pdf"
        done = subprocess.run(
            [sys.executable, "-m", "postmortem", "digest", "--since", since.isoformat(),
             "--until", until.isoformat(), "--sight", sight_text(seen), "-o", str(output)],
            env=child_environment(current_app), capture_output=True, text=True, timeout=600,
            check=False)
        if done.returncode != 0 or not output.exists():
            raise RuntimeError(f"the digest could not be rendered: {done.stderr[-2000:]}")
        return output.read_bytes()


# A page that uses what the PDFs use (the stylesheet and its fonts, bold, italic, code, tables).
WARM_UP = ('<!doctype html><html><head><link rel="stylesheet" href="static:/css/pdf.css"></head>'
           '<body class="draft"><div class="draft-mark">DRAFT</div><section class="cover">'
           '<p class="eyebrow">Post-mortem</p><h1>Warm-up</h1><table class="facts"><tr><th>'
           'Severity</th><td>SEV2</td></tr></table></section><h2>Summary</h2><p>Some '
           '<strong>bold</strong>, <em>italic</em> and <code>code</code>.</p><ul><li>One</li>'
           '</ul><pre>pre</pre></body></html>')


def warm_up() -> None:
    """Import WeasyPrint, load its fonts and compile the PDF templates: `postmortem serve` does
    it once before forking its workers, so no reader's first PDF pays for it (about 0.7 s).
    Best effort: a machine that cannot render PDFs still serves everything else."""
    try:
        for name in ("pdf/incident.html", "pdf/digest.html"):
            current_app.jinja_env.get_template(name)
        html_to_pdf(WARM_UP)
    except Exception as error:  # noqa: BLE001 — any failure here only means a slower first PDF
        current_app.logger.warning("PDF warm-up failed: %s", error)
