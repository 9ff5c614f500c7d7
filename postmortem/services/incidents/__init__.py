"""Writing post-mortems: create and edit, the edit guard, timeline and factors, deployment links,
review and publishing, revisions, blameless hints."""

from .blameless import check_incident, check_text, findings_of
from .guard import ensure_editable, get_incident, lock, touch
from .links import link_deployment, unlink_deployment
from .presence import leave, others_here, ping
from .queries import (
    INCIDENT_HEAD,
    LIST_ROW,
    WHOLE_INCIDENT,
    archived_incidents,
    incidents_query,
    parse_incident_filters,
    row_counts,
    stamps_of_service,
)
from .review import (
    MENTION,
    add_comment,
    changes_requested,
    changes_requested_of,
    checklist,
    checklist_items,
    mention_handle,
    mention_keys,
    mentioned_users,
    passages_found,
    publish_incident,
    reopen_incident,
    request_changes,
    resolve_comment,
    review_queue_count,
    submit_for_review,
    transition_incident,
)
from .revisions import (
    diff_snapshots,
    get_revision,
    latest_revision,
    list_revisions,
    record_revision,
    revision_of_version,
    snapshot_for,
    snapshot_text,
)
from .snapshots import (
    action_item_dict,
    deployment_dict,
    event_dict,
    factor_dict,
    incident_dict,
    incident_head,
    linked_deployment_dict,
)
from .timeline import (
    add_event,
    add_events,
    add_factor,
    delete_event,
    delete_factor,
    get_event,
    get_factor,
    update_event,
    update_factor,
)
from .transcript import Proposal, guess_kind, propose_events
from .visibility import (
    Sight,
    hidden_in,
    may_read,
    shown,
    sight,
    visible_ids,
    visible_in,
    visible_incident_ids,
    visible_to,
)
from .writing import archive_incident, create_incident, restore_incident, update_incident

__all__ = [
    "Sight", "hidden_in", "may_read", "shown", "sight", "visible_ids", "visible_in",
    "visible_incident_ids", "visible_to",
    "MENTION", "mention_handle", "mention_keys", "mentioned_users", "passages_found", "leave",
    "others_here", "ping",
    "add_events",
    "Proposal", "guess_kind", "propose_events",
    "changes_requested", "changes_requested_of", "review_queue_count",
    "archive_incident", "archived_incidents", "restore_incident",
    "INCIDENT_HEAD", "LIST_ROW", "WHOLE_INCIDENT", "action_item_dict", "add_comment", "add_event",
    "add_factor",
    "check_incident",
    "findings_of",
    "check_text", "checklist", "checklist_items", "create_incident", "delete_event", "delete_factor",
    "deployment_dict", "diff_snapshots", "ensure_editable", "event_dict", "factor_dict",
    "get_event", "get_factor", "get_incident", "get_revision", "latest_revision", "revision_of_version",
    "incident_dict",
    "incident_head", "incidents_query",
    "link_deployment", "linked_deployment_dict", "list_revisions", "lock", "parse_incident_filters",
    "publish_incident", "record_revision", "reopen_incident", "request_changes", "resolve_comment",
    "snapshot_for",
    "row_counts", "stamps_of_service",
    "snapshot_text", "submit_for_review", "touch", "transition_incident", "unlink_deployment",
    "update_event", "update_factor", "update_incident",
]
