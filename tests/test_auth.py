"""Logging in and out: CSRF, wrong passwords, throttling, the `next` redirect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from postmortem.auth import is_safe_next
from postmortem.extensions import db
from postmortem.models import LoginFailure, User

from . import builders
from .conftest import fresh_app


@pytest.fixture
def csrf_app(tmp_path: Path, database_url: str):
    app = fresh_app(tmp_path, database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        builders.make_user(role="viewer", email="vera@example.com")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_incidents_need_login_then_answer_200(csrf_app) -> None:
    client = csrf_app.test_client()
    response = client.get("/incidents")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fincidents")
    token = csrf_token(client)
    response = client.post("/login", data={
        "email": "vera@example.com", "password": builders.PASSWORD, "csrf_token": token,
    })
    assert response.status_code == 302
    page = client.get("/incidents")
    assert page.status_code == 200
    assert "Incidents" in page.text and "Log out" in page.text


def test_login_without_csrf_token_does_not_log_in(csrf_app) -> None:
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post("/login", data={"email": "vera@example.com",
                                           "password": builders.PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert client.get("/incidents").status_code == 302


def test_wrong_password_does_not_log_in(csrf_app) -> None:
    client = csrf_app.test_client()
    response = client.post("/login", data={
        "email": "vera@example.com", "password": "wrong password!", "csrf_token": csrf_token(client),
    })
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert client.get("/incidents").status_code == 302
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 1


def test_email_is_case_insensitive(client, app) -> None:
    with app.app_context():
        builders.make_user(email="mixed@example.com")
    response = client.post("/login", data={"email": " MIXED@Example.com ",
                                           "password": builders.PASSWORD})
    assert response.status_code == 302


def test_login_is_throttled_after_repeated_failures(client, app) -> None:
    with app.app_context():
        builders.make_user(email="target@example.com")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/login", data={"email": "target@example.com", "password": "nope"})
        assert response.status_code == 401
    # Even the right password is refused while the account is throttled.
    response = client.post("/login", data={"email": "target@example.com",
                                           "password": builders.PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert client.get("/incidents").status_code == 302


def test_success_clears_earlier_failures(client, app) -> None:
    with app.app_context():
        builders.make_user(email="clear@example.com")
    for _ in range(2):
        client.post("/login", data={"email": "clear@example.com", "password": "nope"})
    assert client.post("/login", data={"email": "clear@example.com",
                                       "password": builders.PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 0
        user = db.session.scalar(select(User).where(User.email == "clear@example.com"))
        assert user.last_login_at is not None


def test_inactive_user_cannot_log_in(client, app) -> None:
    with app.app_context():
        user = builders.make_user(email="gone@example.com")
        user.active = False
        db.session.commit()
    response = client.post("/login", data={"email": "gone@example.com",
                                           "password": builders.PASSWORD})
    assert response.status_code == 401


def test_safe_next_redirect(client, app) -> None:
    with app.app_context():
        builders.make_user(email="next@example.com")
    response = client.post("/login?next=/services", data={
        "email": "next@example.com", "password": builders.PASSWORD})
    assert response.headers["Location"] == "/services"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "http:/evil", "\\\\evil",
])
def test_next_never_leaves_the_site(client, app, target: str) -> None:
    with app.app_context():
        builders.make_user(email="safe@example.com")
    response = client.post("/login", data={
        "email": "safe@example.com", "password": builders.PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert not is_safe_next(target)


def test_logout_needs_post_and_ends_the_session(client, login) -> None:
    login("viewer")
    assert client.get("/incidents").status_code == 200
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/incidents").status_code == 302


def test_session_cookie_is_http_only(client, app) -> None:
    with app.app_context():
        builders.make_user(email="cookie@example.com")
    response = client.post("/login", data={"email": "cookie@example.com",
                                           "password": builders.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_changing_the_password_ends_other_sessions(app, client) -> None:
    from postmortem.services import accounts

    with app.app_context():
        builders.make_user(email="moving@example.com")
    client.post("/login", data={"email": "moving@example.com", "password": builders.PASSWORD})
    assert client.get("/incidents").status_code == 200
    with app.app_context():
        user = accounts.find_user_by_email("moving@example.com")
        accounts.set_password(user, "a brand new password")
    assert client.get("/incidents").status_code == 302
    other = app.test_client()
    assert other.post("/login", data={"email": "moving@example.com",
                                      "password": "a brand new password"}).status_code == 302
    assert other.get("/incidents").status_code == 200


def test_changing_your_own_password_keeps_you_logged_in(app, client, login) -> None:
    login("author")
    response = client.post("/account/password", data={"current": builders.PASSWORD,
                                                      "new": "another long password"})
    assert response.status_code == 302
    assert client.get("/incidents").status_code == 200
