"""GET /healthz."""

from __future__ import annotations

from pathlib import Path

from postmortem import create_app


def test_healthz_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database_with_503(tmp_path: Path) -> None:
    # A SQLite file inside a directory that does not exist cannot be opened.
    app = create_app({
        "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}",
    })
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_healthz_reports_an_unreachable_postgres_with_503(tmp_path: Path) -> None:
    app = create_app({
        "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
    })
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"
