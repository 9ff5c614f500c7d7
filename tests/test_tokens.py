"""Personal API tokens: shown once, stored hashed, last-used time, revocation."""

from __future__ import annotations

import re

from sqlalchemy import select

from postmortem.extensions import db
from postmortem.models import ApiToken
from postmortem.services.accounts import hash_token

from .builders import assert_error


def test_token_lifecycle_through_the_account_page(app, client, login) -> None:
    login("deployer")
    created = client.post("/account/tokens", data={"label": "GitHub Actions"})
    assert created.status_code == 201
    token = re.search(r'<pre class="token" id="new-token">(pm_[^<]+)</pre>', created.text).group(1)

    with app.app_context():
        record = db.session.scalar(select(ApiToken))
        assert record.label == "GitHub Actions"
        assert record.token_hash == hash_token(token) and token not in record.token_hash
        assert record.last_used_at is None
        token_id = record.id

    # Shown once: the account page lists the prefix, never the token.
    page = client.get("/account/").text
    assert "GitHub Actions" in page and token not in page and token[:10] in page

    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/services", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is not None

    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert_error(api.get("/api/v1/services", headers=headers), 401)
    assert "revoked" in client.get("/account/").text


def test_token_needs_a_label(client, login) -> None:
    login("author")
    response = client.post("/account/tokens", data={"label": ""})
    assert response.status_code == 422
    assert "This field is required" in response.text


def test_cannot_revoke_someone_elses_token(app, client, login) -> None:
    from . import builders

    with app.app_context():
        other = builders.make_user(role="author")
        builders.make_token(other)
        token_id = db.session.scalar(select(ApiToken.id))
    login("author")
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_token_of_a_deactivated_user_stops_working(app, api) -> None:
    from postmortem.models import User

    viewer = api("viewer")
    assert viewer.get("/api/v1/services").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == viewer.email))
        user.active = False
        db.session.commit()
    assert_error(viewer.get("/api/v1/services"), 401)


def test_token_acts_with_the_users_current_role(app, api) -> None:
    from postmortem.models import User

    author = api("author")
    assert author.post("/api/v1/services", json={"name": "one"}).status_code == 201
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == author.email))
        user.role = "viewer"
        db.session.commit()
    assert_error(author.post("/api/v1/services", json={"name": "two"}), 403)
