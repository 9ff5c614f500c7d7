"""/api/v1/action-items: the follow-ups across every post-mortem."""

from __future__ import annotations

from typing import Any

from flask import request

from ..models import Role
from ..services import actions
from ..services.fields import Fields
from . import bp
from .auth import api_user, requires
from .common import json_body, paged
from .serialise import action_item_json


@bp.get("/action-items")
def list_action_items() -> Any:
    filters = actions.parse_filters(request.args.to_dict())
    return paged(actions.action_items_query(filters), action_item_json)


@bp.get("/action-items/stats")
def action_item_stats() -> Any:
    fields = Fields(request.args.to_dict())
    since = fields.timestamp("since")
    until = fields.timestamp("until")
    fields.raise_if_errors("Invalid period.")
    return actions.stats(since, until)


@bp.get("/action-items/<int:item_id>")
def get_action_item(item_id: int) -> Any:
    return action_item_json(actions.get_action_item(item_id))


@bp.patch("/action-items/<int:item_id>")
@requires(Role.AUTHOR)
def update_action_item(item_id: int) -> Any:
    item = actions.get_action_item(item_id)
    actions.update_action_item(item, api_user(), json_body())
    return action_item_json(item)
