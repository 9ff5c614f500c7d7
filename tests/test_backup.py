"""Backups: `postmortem backup FILE` and `postmortem restore FILE` give back the same data, on
SQLite and on PostgreSQL; a file that is not a backup is refused and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from postmortem.extensions import db
from postmortem.models import Incident

from .builders import create_incident


def _state(app) -> list[tuple]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.execute(select(Incident.id, Incident.title, Incident.version)
                                  .order_by(Incident.id)).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def test_backup_then_restore_gives_back_the_same_data(app, api, runner, tmp_path) -> None:
    author = api("author")
    first = create_incident(author, title="Before the backup")["key"]
    author.patch(f"/api/v1/incidents/{first}", json={"version": 1, "title": "Renamed before"})
    saved = _state(app)
    target = tmp_path / "postmortem.backup"

    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert target.stat().st_size > 0 and "Backed up" in made.output

    create_incident(author, title="After the backup")
    author.patch(f"/api/v1/incidents/{first}", json={"version": 2, "title": "Renamed after"})
    assert _state(app) != saved

    back = runner.invoke(args=["restore", str(target), "--yes"])
    assert back.exit_code == 0, back.output
    assert _state(app) == saved
    # The restored database serves: search and the API read it as it was.
    assert author.get(f"/api/v1/incidents/{first}").get_json()["title"] == "Renamed before"
    assert [i["key"] for i in author.get("/api/v1/search?q=renamed").get_json()["items"]] == [first]


def test_restore_refuses_a_file_that_is_not_a_backup(app, api, runner, tmp_path) -> None:
    create_incident(api("author"), title="Still here")
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database\n" * 100)
    refused = runner.invoke(args=["restore", str(bogus), "--yes"])
    assert refused.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 1
