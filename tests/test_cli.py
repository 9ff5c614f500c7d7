"""The `postmortem` command group, through Flask's CLI runner."""

from __future__ import annotations

from sqlalchemy import select

from postmortem.extensions import db
from postmortem.models import ApiToken, User
from postmortem.services.accounts import hash_token


def test_users_create_with_generated_password(app, runner) -> None:
    result = runner.invoke(args=["users", "create", "--email", "Ana@Example.com",
                                 "--name", "Ana", "--role", "reviewer"])
    assert result.exit_code == 0, result.output
    assert "Created reviewer ana@example.com" in result.output
    password = result.output.strip().splitlines()[-1].removeprefix("Password: ")
    assert len(password) >= 16
    response = app.test_client().post("/login", data={"email": "ana@example.com",
                                                      "password": password})
    assert response.status_code == 302


def test_users_create_refuses_bad_input_with_non_zero_exit(runner) -> None:
    ok = runner.invoke(args=["users", "create", "--email", "a@example.com", "--name", "A",
                             "--password", "long enough pw"])
    assert ok.exit_code == 0
    for args in (
        ["--email", "a@example.com", "--name", "Again"],
        ["--email", "not-an-email", "--name", "B"],
        ["--email", "c@example.com", "--name", "C", "--password", "short"],
        ["--email", "d@example.com", "--name", "D", "--role", "wizard"],
    ):
        result = runner.invoke(args=["users", "create", *args])
        assert result.exit_code != 0, (args, result.output)
        assert "Error" in result.output


def test_tokens_create_prints_the_token_last(app, runner) -> None:
    runner.invoke(args=["users", "create", "--email", "ci@example.com", "--name", "CI",
                        "--role", "deployer"])
    result = runner.invoke(args=["tokens", "create", "--email", "ci@example.com",
                                 "--label", "pipeline"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("pm_")
    with app.app_context():
        record = db.session.scalar(select(ApiToken))
        assert record.token_hash == hash_token(token) and record.label == "pipeline"
    response = app.test_client().get("/api/v1/services",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_tokens_create_for_unknown_user_fails(runner) -> None:
    result = runner.invoke(args=["tokens", "create", "--email", "ghost@example.com"])
    assert result.exit_code != 0
    assert "No user" in result.output


def test_bootstrap_creates_one_admin_once(app, runner, monkeypatch) -> None:
    monkeypatch.setenv("POSTMORTEM_ADMIN_EMAIL", "boss@example.com")
    monkeypatch.setenv("POSTMORTEM_ADMIN_PASSWORD", "a fine long password")
    first = runner.invoke(args=["bootstrap", "--no-demo"])
    assert first.exit_code == 0, first.output
    assert "boss@example.com" in first.output and "a fine long password" in first.output
    second = runner.invoke(args=["bootstrap", "--no-demo"])
    assert second.exit_code == 0 and "password" not in second.output
    with app.app_context():
        admins = list(db.session.scalars(select(User).where(User.role == "admin")))
        assert [a.email for a in admins] == ["boss@example.com"]


def test_users_set_role_and_list(runner) -> None:
    runner.invoke(args=["users", "create", "--email", "r@example.com", "--name", "R",
                        "--role", "viewer"])
    result = runner.invoke(args=["users", "set-role", "--email", "r@example.com",
                                 "--role", "author"])
    assert result.exit_code == 0
    assert "r@example.com\tauthor\tR" in runner.invoke(args=["users", "list"]).output
