"""The admin's user management in the browser."""

from __future__ import annotations

import re

from sqlalchemy import select

from postmortem.extensions import db
from postmortem.models import User


def test_only_admins_manage_users(client, login) -> None:
    login("reviewer")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data={"email": "x@example.com", "name": "X",
                                             "role": "viewer"}).status_code == 403


def test_admin_creates_a_user_with_a_generated_password(app, client, login) -> None:
    login("admin")
    response = client.post("/admin/users", data={
        "email": "New@Example.com", "name": "New Person", "role": "reviewer", "password": ""})
    assert response.status_code == 201
    password = re.search(r'<pre class="token">([^<]+)</pre>', response.text).group(1)
    other = app.test_client()
    assert other.post("/login", data={"email": "new@example.com",
                                      "password": password}).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.com"))
        assert user.role == "reviewer"


def test_duplicate_email_is_a_form_error(client, login) -> None:
    email = login("admin")
    response = client.post("/admin/users", data={"email": email, "name": "Twin",
                                                 "role": "viewer"})
    assert response.status_code == 422
    assert "already exists" in response.text


def test_admin_changes_a_role_but_never_removes_the_last_admin(app, client, login) -> None:
    email = login("admin")
    with app.app_context():
        me = db.session.scalar(select(User).where(User.email == email))
        my_id = me.id
    response = client.post(f"/admin/users/{my_id}", data={"name": "Me", "role": "viewer",
                                                           "active": "y"})
    assert response.status_code == 422
    assert "last active admin" in response.text
    with app.app_context():
        assert db.session.get(User, my_id).role == "admin"
        other = User(email="o@example.com", name="O", role="viewer", password_hash="x")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    response = client.post(f"/admin/users/{other_id}", data={"name": "O", "role": "author",
                                                              "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, other_id).role == "author"
