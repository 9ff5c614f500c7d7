"""API plumbing: authentication, the role matrix, and the error shape for every status."""

from __future__ import annotations

import pytest

from .builders import assert_error


def test_no_or_unknown_token_is_401(api) -> None:
    assert_error(api.anonymous().get("/api/v1/services"), 401)
    response = api.anonymous().get("/api/v1/services",
                                   headers={"Authorization": "Bearer pm_not-a-token"})
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(api.anonymous().get("/api/v1/services",
                                     headers={"Authorization": "Basic abc"}), 401)


def test_viewer_reads_but_cannot_write(api) -> None:
    viewer = api("viewer")
    listing = viewer.get("/api/v1/services")
    assert listing.status_code == 200
    assert listing.get_json() == {"items": [], "page": 1, "per_page": 50, "total": 0}
    error = assert_error(viewer.post("/api/v1/services", json={"name": "checkout"}), 403)
    assert "author" in error["message"]


@pytest.mark.parametrize(("role", "status"), [
    ("viewer", 403), ("deployer", 403), ("author", 201), ("reviewer", 201), ("admin", 201),
])
def test_role_matrix_for_creating_services(api, role: str, status: int) -> None:
    response = api(role).post("/api/v1/services", json={"name": f"svc-{role}"})
    assert response.status_code == status, response.text
    if status == 403:
        assert_error(response, 403)


def test_create_and_get_a_service(api) -> None:
    author = api("author")
    created = author.post("/api/v1/services", json={
        "name": "checkout", "team": "payments", "description": "Takes the money."})
    assert created.status_code == 201
    assert created.get_json() == {
        "name": "checkout", "team": "payments", "description": "Takes the money.",
        "incident_count": 0, "deployment_count": 0,
    }
    shown = api("viewer").get("/api/v1/services/checkout").get_json()
    assert shown["name"] == "checkout" and shown["last_known_good"] == {}
    assert_error(author.post("/api/v1/services", json={"name": "checkout"}), 409)
    assert_error(api("viewer").get("/api/v1/services/nope"), 404)


@pytest.mark.parametrize("name", ["Checkout", "-lead", "", "a b", "x" * 64, 42, None, "ümlaut"])
def test_invalid_service_names_are_422(api, name) -> None:
    error = assert_error(api("author").post("/api/v1/services", json={"name": name}), 422, "name")
    assert "slug" in error["fields"]["name"][0]


def test_valid_slug_edge_cases(api) -> None:
    for name in ("a", "a.b_c-d", "0" + "x" * 62):
        assert api("author").post("/api/v1/services", json={"name": name}).status_code == 201


def test_malformed_json_is_400(api) -> None:
    response = api("author").post("/api/v1/services", data="{not json",
                                  headers={"Content-Type": "application/json"})
    assert_error(response, 400)
    response = api("author").post("/api/v1/services", data="[1, 2]",
                                  headers={"Content-Type": "application/json"})
    assert_error(response, 400)


def test_form_encoded_body_is_415(api) -> None:
    response = api("author").post("/api/v1/services", data={"name": "checkout"})
    assert_error(response, 415)


def test_unknown_api_path_is_json_404(api) -> None:
    for client in (api("viewer"), api.anonymous()):
        error = assert_error(client.get("/api/v1/does-not-exist"), 404)
        assert error["message"]


def test_wrong_method_is_json_405(api) -> None:
    response = api("admin").delete("/api/v1/services")
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_too_large_body_is_json_413(api, app) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api("author").post("/api/v1/services", data="{" + " " * 5000 + "}",
                                  headers={"Content-Type": "application/json"})
    assert_error(response, 413)


def test_paging_parameters(api) -> None:
    author = api("author")
    for n in range(5):
        author.post("/api/v1/services", json={"name": f"svc{n}"})
    page = author.get("/api/v1/services?page=2&per_page=2").get_json()
    assert page["page"] == 2 and page["per_page"] == 2 and page["total"] == 5
    assert [item["name"] for item in page["items"]] == ["svc2", "svc1"]  # newest first
    assert author.get("/api/v1/services?per_page=1000").get_json()["per_page"] == 200
    assert_error(author.get("/api/v1/services?page=zero"), 422, "page")
    assert_error(author.get("/api/v1/services?per_page=0"), 422, "per_page")


def test_html_pages_never_answer_json_errors_outside_api(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "couldn" in response.text


def test_session_caller_needs_csrf_token_to_write(app, tmp_path) -> None:
    import re

    from postmortem.extensions import db

    from . import builders

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    with app.app_context():
        builders.make_user(role="author", email="s@example.com")
        db.session.remove()
    html = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", data={"email": "s@example.com", "password": builders.PASSWORD,
                                "csrf_token": token})
    assert client.get("/api/v1/services").status_code == 200
    assert_error(client.post("/api/v1/services", json={"name": "x1"}), 400)
    response = client.post("/api/v1/services", json={"name": "x1"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201
