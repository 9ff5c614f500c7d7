"""JSON shapes of the API's resources, exactly as api-v1.md names their fields."""

from __future__ import annotations

from typing import Any

from ..models import Service
from ..services import catalog


def service_json(service: Service) -> dict[str, Any]:
    counts = catalog.service_counts(service)
    return {
        "name": service.name,
        "team": service.team,
        "description": service.description,
        "incident_count": counts["incidents"],
        "deployment_count": counts["deployments"],
    }
