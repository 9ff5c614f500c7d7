"""Demo data for a first look: services, people and post-mortems in several states."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Incident, Service


def database_is_empty() -> bool:
    """True when there are neither post-mortems nor services yet."""
    incidents = db.session.scalar(select(func.count(Incident.id))) or 0
    services = db.session.scalar(select(func.count(Service.id))) or 0
    return incidents == 0 and services == 0


def load_demo() -> str:
    """Load the demo data when the database is empty; a summary of what was done."""
    from . import demo_data

    if not database_is_empty():
        return "The database already holds data: demo data not loaded."
    return demo_data.load()
