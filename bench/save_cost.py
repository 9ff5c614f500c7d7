"""What one save costs (bench/team.py): PATCH of a draft's summary through the API, in the
app with no other load, timed SAVES times. With POSTMORTEM_SQLITE_SYNCHRONOUS set the way the
caller wants it (FULL, the default, or NORMAL). Prints "median_ms p99_ms" on its last line."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from postmortem import create_app  # noqa: E402
from postmortem.extensions import db  # noqa: E402
from postmortem.models import Incident, IncidentStatus, User  # noqa: E402
from postmortem.services import accounts  # noqa: E402

SAVES = 40


def main() -> None:
    app = create_app({"INSIGHTS_WORKER": False})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "person1@example.com"))
        _, token = accounts.create_token(user, "save-cost")
        key = f"INC-{db.session.scalar(select(Incident.id).where(Incident.status == IncidentStatus.DRAFT).order_by(Incident.id.desc()).limit(1))}"  # noqa: E501
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    version = client.get(f"/api/v1/incidents/{key}", headers=headers).get_json()["version"]
    times = []
    for number in range(SAVES + 2):
        started = time.perf_counter()
        response = client.patch(f"/api/v1/incidents/{key}", headers=headers, json={
            "version": version, "sections": {"summary": f"Save {number}: what we know so far."}})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        version = response.get_json()["version"]
        if number >= 2:  # the first two warm the process
            times.append(elapsed * 1000)
    times.sort()
    print(f"{statistics.median(times):.1f} {times[int(0.99 * (len(times) - 1))]:.1f}")


if __name__ == "__main__":
    main()
