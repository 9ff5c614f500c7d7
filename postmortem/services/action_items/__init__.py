"""Action items across every post-mortem: writing and completing them, the board's figures,
reminders and the outbound webhook."""

from ..outbox import mail_configured, send_mail, sign
from .board import (
    board_figures,
    board_page,
    board_page_ids,
    cached_stats,
    csv_rows,
    group_counts,
    group_items,
    overdue_by_team,
    stamps_of_items,
    stats,
    weekly_progress,
)
from .items import (
    action_items_query,
    bulk_update,
    complete_action_item,
    create_action_item,
    drop_action_item,
    get_action_item,
    get_action_items,
    mark_reviewed,
    own_filters,
    parse_action_item_filters,
    teams,
    update_action_item,
)
from .notify import reminder_digests, status_changed, subject_for

__all__ = [
    "action_items_query", "board_figures", "bulk_update", "complete_action_item", "create_action_item",
    "drop_action_item", "get_action_item", "get_action_items", "own_filters", "mail_configured",
    "mark_reviewed", "overdue_by_team", "parse_action_item_filters", "reminder_digests", "send_mail",
    "sign", "stats", "status_changed", "subject_for", "teams",
    "update_action_item", "weekly_progress",
    "board_page", "board_page_ids", "stamps_of_items", "cached_stats", "csv_rows", "group_counts",
    "group_items",
]
