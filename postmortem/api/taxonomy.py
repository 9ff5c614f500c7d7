"""/api/v1/taxonomy and /api/v1/templates: the vocabularies post-mortems are written with."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..models import Role
from ..schemas import CategoryIn, parse
from ..services import setup
from .auth import requires
from .common import json_body

bp = Blueprint("taxonomy", __name__)

@bp.get("/taxonomy")
def taxonomy() -> Any:
    return [
        {"key": c.key, "name": c.name, "description": c.description}
        for c in setup.list_categories()
    ]


@bp.put("/taxonomy/<key>")
@requires(Role.ADMIN)
def save_category(key: str) -> Any:
    category = setup.save_category(parse(CategoryIn, {**json_body(), "key": key}))
    return {"key": category.key, "name": category.name, "description": category.description}


@bp.get("/templates")
def list_templates() -> Any:
    return [
        {
            "key": t.key, "name": t.name, "description": t.description, "builtin": t.builtin,
            "sections": [
                {"key": s.key, "title": s.title, "guidance": s.guidance, "required": s.required}
                for s in t.sections
            ],
        }
        for t in setup.list_templates()
    ]
