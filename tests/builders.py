"""Builders with sensible defaults, and an API client that signs requests with a token."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from postmortem.extensions import db
from postmortem.models import Service, User
from postmortem.services import accounts, tokens

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
    _, clear = tokens.create_token(user, label)
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
