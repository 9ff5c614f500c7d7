"""Each page kind's own work (bench/team.py): the median time a page takes rendered in the app,
with kept answers off, signed in as the bench's admin. Reads {kind: [paths]} as JSON on
standard input; prints {kind: median ms} as JSON."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from postmortem import create_app  # noqa: E402

PASSWORD = "bench-password-1"
TIMES = 5


def main() -> None:
    kinds: dict[str, list[str]] = json.load(sys.stdin)
    app = create_app({"INSIGHTS_WORKER": False, "KEEP_ANSWERS": False, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    signed_in = client.post("/login", data={"email": "person1@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code
    medians: dict[str, float] = {}
    for kind, paths in kinds.items():
        times = []
        for path in paths:
            client.get(path)  # the first request warms the process, not the archive
            for _ in range(TIMES):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
        medians[kind] = round(statistics.median(times), 1)
    print(json.dumps(medians))


if __name__ == "__main__":
    main()
