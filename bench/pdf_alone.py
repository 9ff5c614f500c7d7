"""One post-mortem's PDF from the archive in DATABASE_URL, next to WeasyPrint alone on the same
HTML (medians of five runs, after a warm-up): `python bench/pdf_alone.py INC-5000` prints
"<ours s> <WeasyPrint alone s>". Run by bench/scale.py for the incident PDF row."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from postmortem import create_app  # noqa: E402
from postmortem.services import exchange, incidents  # noqa: E402
from postmortem.services.exchange import pdf  # noqa: E402

RUNS = 5


def median(function) -> float:  # noqa: ANN001
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    import weasyprint

    app = create_app()
    with app.test_request_context():
        incident = incidents.get_incident(sys.argv[1], reader=None)
        html = exchange.incident_html(incident)
        exchange.render_incident_pdf(incident)  # fonts and imports
        ours = median(lambda: exchange.render_incident_pdf(incident))
        alone = median(lambda: weasyprint.HTML(
            string=html, url_fetcher=pdf.static_url_fetcher(Path(app.static_folder or "static")),
            base_url="static:/").write_pdf())
    print(f"{ours:.3f} {alone:.3f}")


if __name__ == "__main__":
    main()
