"""Issue 2's acceptance, through the public contract only: factory, CLI and HTTP."""

from __future__ import annotations

from pathlib import Path

from .builders import assert_error


def test_fresh_install_through_factory_cli_and_api(tmp_path: Path) -> None:
    from postmortem import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        "SECRET_KEY": "contract-test",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    })
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    tokens = {}
    for role in ("viewer", "deployer", "author", "reviewer", "admin"):
        created = runner.invoke(args=["users", "create", "--email", f"{role}@example.com",
                                      "--name", role.title(), "--role", role])
        assert created.exit_code == 0, created.output
        token = runner.invoke(args=["tokens", "create", "--email", f"{role}@example.com"])
        assert token.exit_code == 0, token.output
        tokens[role] = token.output.strip().splitlines()[-1]

    client = app.test_client()

    def auth(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "ok"
    assert_error(client.get("/api/v1/services"), 401)
    assert_error(client.get("/api/v1/services", headers={"Authorization": "Bearer nope"}), 401)
    assert client.get("/api/v1/services", headers=auth("viewer")).status_code == 200
    assert_error(client.post("/api/v1/services", json={"name": "checkout"},
                             headers=auth("viewer")), 403)
    created = client.post("/api/v1/services", json={"name": "checkout"}, headers=auth("author"))
    assert created.status_code == 201 and created.get_json()["name"] == "checkout"
    assert_error(client.post("/api/v1/services", data="{oops",
                             headers={**auth("author"), "Content-Type": "application/json"}), 400)
    assert_error(client.post("/api/v1/services", data={"name": "x"}, headers=auth("author")), 415)
    assert_error(client.post("/api/v1/services", json={"name": "Not A Slug"},
                             headers=auth("author")), 422, "name")
    assert_error(client.get("/api/v1/nothing-here", headers=auth("viewer")), 404)
    listing = client.get("/api/v1/services", headers=auth("viewer")).get_json()
    assert [item["name"] for item in listing["items"]] == ["checkout"]
    assert listing["total"] == 1
