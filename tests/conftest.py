"""Fixtures: a fresh app and database per test, on SQLite or on TEST_DATABASE_URL."""

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


def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


def reset_database() -> None:
    """Drop every table, Alembic's included, so each test starts empty."""
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    with app.app_context():
        reset_database()
        db.create_all()
        seed_builtins()
        db.session.remove()
    yield app
    with app.app_context():
        reset_database()
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
