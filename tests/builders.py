"""Builders with sensible defaults, and an API client that signs requests with a token."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from postmortem.extensions import db
from postmortem.models import Service, User
from postmortem.schemas import IncidentIn, parse
from postmortem.services import accounts, incidents

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(role: str = "author", email: str | None = None, name: str | None = None,
              password: str = PASSWORD) -> User:
    n = next(_counter)
    return accounts.create_user(
        email=email or f"{role}{n}@example.com",
        name=name or f"{role.capitalize()} {n}",
        role=role,
        password=password,
    )


def make_token(user: User, label: str = "test") -> str:
    _, clear = accounts.create_token(user, label)
    return clear


def make_service(name: str = "checkout", team: str | None = "payments") -> Service:
    service = Service(name=name, team=team)
    db.session.add(service)
    db.session.commit()
    return service


class ApiClient:
    """Wraps the test client: every call carries the bearer token and JSON by default."""

    def __init__(self, client: FlaskClient, token: str | None, email: str | None = None) -> None:
        self.client = client
        self.token = token
        self.email = email

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def open(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
        return self.client.open(url, method=method, headers=self._headers(kwargs.pop("headers", None)),
                                **kwargs)

    def post(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        headers = self._headers(kwargs.pop("headers", None))
        if json is not None:
            return self.client.post(url, json=json, headers=headers, **kwargs)
        return self.client.post(url, headers=headers, **kwargs)

    def patch(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        headers = self._headers(kwargs.pop("headers", None))
        if json is not None:
            return self.client.patch(url, json=json, headers=headers, **kwargs)
        return self.client.patch(url, headers=headers, **kwargs)


class ApiClientFactory:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._cache: dict[str, ApiClient] = {}

    def __call__(self, role: str = "author") -> ApiClient:
        if role not in self._cache:
            with self.app.app_context():
                user = make_user(role=role)
                self._cache[role] = ApiClient(self.app.test_client(), make_token(user), user.email)
        return self._cache[role]

    def anonymous(self) -> ApiClient:
        return ApiClient(self.app.test_client(), None)

    def refresh_insights(self) -> Any:
        """Run the insight job (similar post-mortems, themes) as the worker would after writes."""
        from postmortem.services import insights

        with self.app.app_context():
            return insights.refresh()


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert the contract's error shape and return the error object."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.mimetype == "application/json", response.text
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert field in error["fields"], error
    return error


STANDARD_SECTIONS = {
    "summary": "Checkout returned errors for 40 minutes after a cache TTL change.",
    "impact": "12% of checkout requests failed; about 1,900 orders were delayed.",
    "detection": "The checkout error-rate alert fired seven minutes after the rollout.",
    "response": "The on-call engineer paged the edge team and rolled the config back.",
    "recovery": "Rolling back to the previous config restored service.",
    "lessons_learned": "Config values need range validation, not only type checks.",
}


def incident_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "Checkout errors after cache config rollout",
        "severity": "SEV2",
        "started_at": "2026-03-14T09:02:00Z",
        "detected_at": "2026-03-14T09:09:00Z",
        "services": ["checkout", "edge-cache"],
        "tags": ["config", "cache"],
    }
    payload.update(overrides)
    return payload


def submit_for_review(client: ApiClient, key: str) -> Any:
    """Write something (an empty draft cannot be reviewed), then submit it."""
    version = client.get(f"/api/v1/incidents/{key}").get_json()["version"]
    client.patch(f"/api/v1/incidents/{key}", json={
        "version": version, "sections": {"impact": "Errors for some users for 20 minutes."}})
    response = client.post(f"/api/v1/incidents/{key}/transition", json={"to": "in_review"})
    assert response.status_code == 200, response.text
    return response


def new_incident(author: User | None, **overrides: Any) -> Any:
    """A post-mortem made through the service (no HTTP), from incident_payload's defaults."""
    return incidents.create_incident(author, parse(IncidentIn, incident_payload(**overrides)))


def create_incident(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/incidents", json=incident_payload(**overrides))
    assert response.status_code == 201, response.text
    return response.get_json()


def make_publishable(client: ApiClient, key: str, owner: str | None = None) -> dict[str, Any]:
    """Fill in everything the review checklist asks for; returns the incident."""
    incident = client.get(f"/api/v1/incidents/{key}").get_json()
    response = client.patch(f"/api/v1/incidents/{key}", json={
        "version": incident["version"], "sections": STANDARD_SECTIONS,
        "detected_at": "2026-03-14T09:09:00Z", "mitigated_at": "2026-03-14T09:41:00Z",
        "resolved_at": "2026-03-14T11:30:00Z",
    })
    assert response.status_code == 200, response.text
    factor = client.post(f"/api/v1/incidents/{key}/factors", json={
        "text": "The TTL was validated for type but not for range", "category": "config-change"})
    assert factor.status_code == 201, factor.text
    item = client.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Add range validation to the cache config schema", "kind": "prevent",
        "team": "edge", "due_date": "2099-04-01", "factor_id": factor.get_json()["id"],
        **({"owner": owner} if owner else {})})
    assert item.status_code == 201, item.text
    return client.get(f"/api/v1/incidents/{key}").get_json()


def rename(email: str, name: str) -> None:
    """Give the person with this email another name (inside an app context)."""
    user = accounts.find_user_by_email(email)
    assert user is not None
    user.name = name
    db.session.commit()
