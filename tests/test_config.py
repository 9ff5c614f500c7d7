"""Configuration layering, the database default and the generated secret key."""

from __future__ import annotations

from pathlib import Path

import pytest

from postmortem import create_app
from postmortem.settings import normalise_database_url


def test_defaults_use_sqlite_in_the_instance_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'postmortem.db'}"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_precedence_defaults_instance_env_test_config(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "config.py").write_text(
        "PER_PAGE_DEFAULT = 11\nPER_PAGE_MAX = 111\nBASE_URL = 'http://instance'\n"
        "LOGIN_MAX_FAILURES = 7\n"
    )
    monkeypatch.setenv("POSTMORTEM_PER_PAGE_MAX", "222")
    monkeypatch.setenv("POSTMORTEM_BASE_URL", "http://env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/pm")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "BASE_URL": "http://test"})
    assert app.config["PER_PAGE_DEFAULT"] == 11  # instance/config.py beats the defaults
    assert app.config["PER_PAGE_MAX"] == 222  # the environment beats instance/config.py
    assert app.config["BASE_URL"] == "http://test"  # test_config beats everything
    assert app.config["LOGIN_MAX_FAILURES"] == 7
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/pm"


def test_environment_is_read_when_the_app_is_made_not_at_import(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("POSTMORTEM_PER_PAGE_DEFAULT", "7")
    first = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    monkeypatch.setenv("POSTMORTEM_PER_PAGE_DEFAULT", "9")
    second = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert (first.config["PER_PAGE_DEFAULT"], second.config["PER_PAGE_DEFAULT"]) == (7, 9)


def test_secret_key_is_generated_once_and_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("POSTMORTEM_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    secret_file = tmp_path / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert secret_file.read_text().strip() == first.config["SECRET_KEY"]
    assert secret_file.stat().st_mode & 0o777 == 0o600
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other")})
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_secret_key_from_environment_is_a_string(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("POSTMORTEM_SECRET_KEY", "12345")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "12345"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://a@h/db", "postgresql+psycopg://a@h/db"),
        ("postgresql://a@h/db", "postgresql+psycopg://a@h/db"),
        ("postgresql+psycopg://a@h/db", "postgresql+psycopg://a@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_spellings(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    from sqlalchemy import text

    from postmortem.extensions import db

    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.db'}"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        db.session.remove()
        db.engine.dispose()
