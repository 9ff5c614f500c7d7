"""Benchmarks (`make bench`): PDF render time of a long post-mortem, next to the time
WeasyPrint alone takes for the same HTML. Prints a table; timings are medians."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from postmortem import create_app  # noqa: E402
from postmortem.extensions import db  # noqa: E402
from postmortem.services import exchange  # noqa: E402
from postmortem.services.exchange import pdf  # noqa: E402
from postmortem.services.setup import seed_builtins  # noqa: E402

RUNS = 5


def long_document(events: int = 300, items: int = 40) -> str:
    lines = ["---", "title: A long post-mortem of a multi-region checkout outage", "severity: SEV1",
             "status: published", "started_at: 2026-03-14T09:00:00Z",
             "detected_at: 2026-03-14T09:07:00Z", "mitigated_at: 2026-03-14T13:40:00Z",
             "resolved_at: 2026-03-14T18:00:00Z", "services: [checkout, payments-api, edge-cache]",
             "tags: [bench]", "---", "", "## Summary",
             "A long incident with a long write-up, for measuring the PDF renderer.", "",
             "## Timeline"]
    for i in range(events):
        lines.append(f"- 2026-03-14T{9 + i // 60:02d}:{i % 60:02d}:00Z [note] Event {i}: the "
                     "responders checked another hypothesis and wrote down what they saw.")
    lines += ["", "## Contributing factors"]
    lines += [f"- [config-change] Factor {i} in a sentence of ordinary length." for i in range(12)]
    lines += ["", "## Action items"]
    lines += [f"- [ ] Follow-up {i} with a realistic title (team: edge, due: 2026-05-01, "
              "kind: prevent)" for i in range(items)]
    paragraph = ("The response went through several phases, each described here in enough "
                 "detail for a reader who was not there. " * 12)
    for title in ("Impact", "Detection", "Response", "Recovery", "Lessons learned",
                  "What went well", "What went poorly", "Where we got lucky"):
        lines += ["", f"## {title}", *(paragraph for _ in range(4))]
    return "\n".join(lines) + "\n"


def median_time(function, runs: int = RUNS) -> tuple[float, object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                          "SECRET_KEY": "bench", "INSTANCE_PATH": tmp})
        with app.test_request_context():
            db.create_all()
            seed_builtins()
            incident = exchange.import_markdown(long_document(), None).incident
            import weasyprint

            html = exchange.incident_html(incident)
            exchange.render_incident_pdf(incident)  # warm up fonts and imports
            ours, data = median_time(lambda: exchange.render_incident_pdf(incident))
            template, _ = median_time(lambda: exchange.incident_html(incident))
            alone, _ = median_time(lambda: weasyprint.HTML(
                string=html, url_fetcher=pdf.static_url_fetcher(Path(app.static_folder)),
                base_url="static:/").write_pdf())
            import io

            from pypdf import PdfReader

            pages = len(PdfReader(io.BytesIO(data)).pages)
    print(f"Long post-mortem: 300 timeline events, 40 action items, {pages} pages, "
          f"{len(data) // 1024} KB (median of {RUNS} runs)")
    print(f"{'step':<44}{'seconds':>10}")
    print(f"{'Postmortem PDF (template + WeasyPrint)':<44}{ours:>10.3f}")
    print(f"{'  of which: template rendering':<44}{template:>10.3f}")
    print(f"{'WeasyPrint alone, same HTML':<44}{alone:>10.3f}")
    print(f"{'overhead over WeasyPrint':<44}{(ours - alone) / alone * 100:>9.1f}%")


if __name__ == "__main__":
    main()
