"""Demo data for a first look. The set: fictional people, five services with six months of deployment history,
and a dozen post-mortems kept as interchange documents in data/demo/."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from ..extensions import db
from ..models import Incident, IncidentStatus, Service, utcnow
from ..schemas import DeploymentIn, parse
from . import incidents
from .accounts import users as accounts
from .deployments import recording as deployments
from .exchange import importer

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"

SERVICES = [
    ("checkout", "payments", "Takes the basket to a paid order."),
    ("payments-api", "payments", "Card and wallet authorisations, refunds."),
    ("edge-cache", "edge", "The CDN and its configuration."),
    ("search", "discovery", "Product search and autocomplete."),
    ("identity", "platform", "Login, sessions and API tokens."),
]

PEOPLE = [
    ("ana@example.com", "Ana Lima", "reviewer"),
    ("sam@example.com", "Sam Okafor", "author"),
    ("lee@example.com", "Lee Chen", "reviewer"),
    ("vera@example.com", "Vera Santos", "viewer"),
    ("ci@example.com", "CI pipeline", "deployer"),
]

# Releases between the incidents: (version, date), deployed to staging the day before.
RELEASES = {
    "checkout": ["8.1.0 06-01", "8.2.0 06-22", "8.3.0 07-08", "8.3.1 07-20", "8.3.2 07-29",
                 "8.4.1 08-12", "8.5.0 09-02", "8.6.0 09-23", "8.7.0 10-14", "8.8.0 11-04",
                 "8.9.0 11-18"],
    "payments-api": ["3.12.0 06-02", "3.13.0 06-12", "3.14.1 06-26", "3.15.0 07-15",
                     "3.16.0 08-19", "3.17.0 09-16", "3.17.1 10-06", "3.18.1 10-29",
                     "3.19.0 11-17"],
    "search": ["5.1.0 06-04", "5.1.3 07-01", "5.2.1 07-14", "5.3.0 08-11", "5.4.0 09-08",
               "5.5.0 10-13"],
    "identity": ["11.7.0 06-10", "11.8.0 07-29", "11.9.0 09-09", "11.9.1 09-30", "12.0.1 10-15",
                 "12.1.0 11-10"],
    "edge-cache": [f"2026.{d} {d}" for d in (
        "05-28", "06-10", "06-24", "07-08", "07-22", "08-05", "08-19", "09-02", "09-22",
        "10-06", "10-20", "11-03", "11-17")],
}
HOTFIXES = [("checkout", "8.5.0-hotfix1", "2026-09-05T16:20:00Z",
             "Payment retry limit patched in place on two hosts during a partner outage")]


def artifact(service: str, version: str) -> str:
    """The demo's image digest for a version (the demo documents use the same)."""
    digest = hashlib.sha256(f"{service}:{version}".encode()).hexdigest()
    return f"registry.example.com/{service}@sha256:{digest}"


def _history() -> int:
    count = 0
    for service, releases in RELEASES.items():
        for release in releases:
            version, day = release.split()
            version += "-1" if service == "edge-cache" else ""
            when = datetime.fromisoformat(f"2026-{day}T10:00:00").replace(tzinfo=UTC)
            for environment, at in (("staging", when - timedelta(hours=19)), ("production", when)):
                deployments.record_deployment(parse(DeploymentIn, {
                    "service": service, "version": version, "environment": environment,
                    "deployed_at": at.isoformat(), "artifact": artifact(service, version),
                    "commit": hashlib.sha1(version.encode()).hexdigest()[:12],
                    "url": f"https://ci.example.com/{service}/{version}",
                }))
                count += 1
    for service, version, stamp, notes in HOTFIXES:
        deployments.record_deployment(parse(DeploymentIn, {
            "service": service, "version": version, "environment": "production",
            "deployed_at": stamp, "kind": "manual", "notes": notes}))
        count += 1
    return count


# Days from resolution to publication, one per published demo post-mortem in turn.
DAYS_TO_PUBLISH = (4, 6, 3, 8, 5, 7, 4, 9, 6, 5, 7, 3)


def _reviews() -> None:
    """What a real review leaves: a reviewer named on each post-mortem past its draft (Ana,
    or Lee on Ana's own), and on the published ones the day it was published, by them."""
    ana = accounts.find_user_by_email("ana@example.com")
    lee = accounts.find_user_by_email("lee@example.com")
    reviewed = [incident for incident in db.session.scalars(select(Incident).order_by(Incident.id))
                if incident.status != IncidentStatus.DRAFT.value]
    for turn, incident in enumerate(reviewed):
        reviewer = lee if incident.commander is not None and incident.commander == ana else ana
        if reviewer is None:
            continue
        incident.reviewers = [reviewer]
        if incident.status != IncidentStatus.PUBLISHED.value:
            continue
        finished = incident.resolved_at or incident.started_at
        published = finished + timedelta(days=DAYS_TO_PUBLISH[turn % len(DAYS_TO_PUBLISH)])
        published = min(published.replace(hour=15, minute=30, second=0, microsecond=0), utcnow())
        incident.published_at = published
        incidents.record_revision(incident, reviewer, "Published").created_at = published
    db.session.commit()


def load() -> str:
    password = accounts.generate_password()
    for email, name, role in PEOPLE:
        if accounts.find_user_by_email(email) is None:
            accounts.create_user(email=email, name=name, role=role, password=password)
    for name, team, description in SERVICES:
        db.session.add(Service(name=name, team=team, description=description))
    db.session.commit()
    deployed = _history()
    imported = 0
    for path in sorted(DEMO_DIR.glob("*.md")):
        importer.import_markdown(path.read_text(encoding="utf-8"), None)
        imported += 1
    _reviews()
    return (
        f"Demo data loaded: {imported} post-mortems, {len(SERVICES)} services, {deployed} "
        f"deployments, {len(PEOPLE)} people (their password: {password})."
    )


def database_is_empty() -> bool:
    """True when there are neither post-mortems nor services yet."""
    incidents = db.session.scalar(select(func.count(Incident.id))) or 0
    services = db.session.scalar(select(func.count(Service.id))) or 0
    return incidents == 0 and services == 0


def load_demo() -> str:
    """Load the demo data when the database is empty; a summary of what was done."""
    if not database_is_empty():
        return "The database already holds data: demo data not loaded."
    return load()
