"""Fixtures: the schema is built once per run (on SQLite, or on TEST_DATABASE_URL); each test
gets a fresh app over emptied tables with the built-in data, so tests stay fast as they grow."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from postmortem import create_app
from postmortem.extensions import db
from postmortem.services.setup import seed_builtins

from . import builders
from .browser import chromium, live_server, page, playwright_instance  # noqa: F401
from .listeners import mail_server, webhook_server  # noqa: F401


def reset_database() -> None:
    """Drop every table, Alembic's included, so each test starts empty."""
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def empty_database() -> None:
    """Delete every row of every table, restarting the ids (INC-1 is the first incident again)."""
    db.session.remove()
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in reversed(tables):
            connection.execute(table.delete())
        has_sequence = connection.execute(text(
            "SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")).first()
        if has_sequence:
            connection.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test database, its schema built once for the whole run."""
    folder = tmp_path_factory.mktemp("database")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{folder / 'test.db'}"
    app = make_app(folder, url)
    with app.app_context():
        reset_database()
        db.create_all()
        db.engine.dispose()
    yield url
    with app.app_context():
        reset_database()
        db.engine.dispose()


def make_app(tmp_path: Path, database_url: str, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt costs 0.1 s per user
        "INSIGHTS_WORKER": False,  # tests run the insight job themselves (insights.refresh)
    }
    config.update(overrides)
    return create_app(config)


def fresh_app(tmp_path: Path, database_url: str, **overrides: Any) -> Flask:
    """An app over the emptied test database, with the built-in templates and taxonomy."""
    app = make_app(tmp_path, database_url, **overrides)
    with app.app_context():
        db.create_all()  # no-op unless a test (of migrations) dropped the schema
        empty_database()
        seed_builtins()
        db.session.remove()
    return app


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    app = fresh_app(tmp_path, database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def api(app: Flask) -> builders.ApiClientFactory:
    """api("author").post(...) calls the API with a fresh token of a user holding that role."""
    return builders.ApiClientFactory(app)


@pytest.fixture
def login(app: Flask, client: FlaskClient):  # noqa: ANN201
    """login("reviewer") creates a user with that role and logs the test client in as them."""

    def do_login(role: str = "author", **kwargs: Any) -> Any:
        with app.app_context():
            user = builders.make_user(role=role, **kwargs)
            email = user.email
        response = client.post(
            "/login", data={"email": email, "password": builders.PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 302, response.text
        return email

    return do_login
