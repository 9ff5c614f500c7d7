"""Services and their immutable deployments: the catalogue, recording rollouts, last known-good
and the service overview."""

from .catalog import (
    counts_by_service,
    create_service,
    ensure_service,
    find_service,
    get_service,
    list_services,
    service_counts,
    service_names,
    services_query,
    update_service,
    validate_service_name,
)
from .known_good import environments_of, last_known_good, last_known_good_by_environment, lkg_json
from .overview import deploy_events_matched, incident_timeline, service_incidents, service_overview
from .recording import (
    SUGGEST_HOURS_AFTER,
    SUGGEST_HOURS_BEFORE,
    deployments_query,
    find_deployments,
    get_deployment,
    last_before_start,
    out_of_band_near,
    parse_deployment_filters,
    position,
    record_deployment,
    stage_deployment,
    suggested_deployments,
)

__all__ = [
    "SUGGEST_HOURS_AFTER", "SUGGEST_HOURS_BEFORE",
    "counts_by_service", "create_service", "deployments_query", "ensure_service",
    "deploy_events_matched", "find_deployments", "last_before_start",
    "environments_of", "find_service", "get_deployment", "get_service", "list_services",
    "service_names", "incident_timeline",
    "last_known_good", "last_known_good_by_environment", "lkg_json", "out_of_band_near",
    "parse_deployment_filters", "position", "record_deployment", "service_counts", "service_incidents",
    "service_overview", "services_query", "stage_deployment", "suggested_deployments",
    "update_service", "validate_service_name",
]
