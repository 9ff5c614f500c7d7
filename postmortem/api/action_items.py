"""/api/v1/action-items: the follow-ups across every post-mortem."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from ..models import Role
from ..schemas import ActionItemChanges, parse
from ..services import action_items
from .auth import api_user, requires
from .common import json_body, paged
from .serialise import action_item_json

bp = Blueprint("action_items", __name__)

@bp.get("/action-items")
def list_action_items() -> Any:
    filters = action_items.parse_action_item_filters(request.args.to_dict())
    return paged(action_items.action_items_query(filters), action_item_json)


@bp.get("/action-items/stats")
def action_item_stats() -> Any:
    filters = action_items.parse_action_item_filters(request.args.to_dict())
    return action_items.cached_stats(filters)


@bp.get("/action-items/<int:item_id>")
def get_action_item(item_id: int) -> Any:
    return action_item_json(action_items.get_action_item(item_id))


@bp.patch("/action-items/<int:item_id>")
@requires(Role.AUTHOR)
def update_action_item(item_id: int) -> Any:
    item = action_items.get_action_item(item_id)
    action_items.update_action_item(item, api_user(), parse(ActionItemChanges, json_body()))
    return action_item_json(item)
