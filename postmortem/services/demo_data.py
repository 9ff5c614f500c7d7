"""The demo data set: fictional people and services (post-mortems come from interchange files)."""

from __future__ import annotations

from ..extensions import db
from ..models import Service
from . import accounts

DEMO_PASSWORD_NOTE = "Demo users share the password printed below; change or remove them."

SERVICES = [
    ("checkout", "payments", "Takes the basket to a paid order."),
    ("payments-api", "payments", "Card and wallet authorisations."),
    ("edge-cache", "edge", "The CDN and its configuration."),
    ("search", "discovery", "Product search and autocomplete."),
    ("identity", "platform", "Login, sessions and tokens."),
]

PEOPLE = [
    ("ana@example.com", "Ana Lima", "reviewer"),
    ("sam@example.com", "Sam Okafor", "author"),
    ("lee@example.com", "Lee Chen", "author"),
    ("viewer@example.com", "Vera Stakeholder", "viewer"),
]


def load() -> str:
    password = accounts.generate_password()
    for email, name, role in PEOPLE:
        if accounts.find_user_by_email(email) is None:
            accounts.create_user(email=email, name=name, role=role, password=password)
    for name, team, description in SERVICES:
        db.session.add(Service(name=name, team=team, description=description))
    db.session.commit()
    return (
        f"Demo data loaded: {len(SERVICES)} services, {len(PEOPLE)} people "
        f"(password for the demo people: {password})."
    )
