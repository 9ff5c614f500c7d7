"""Post-mortem templates and the factor taxonomy: built-ins from data files, admins' own edits."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...errors import Conflict, NotFound, ValidationError
from ...extensions import db
from ...models import FactorCategory, Template, TemplateSection
from ...schemas import CategoryIn
from ...schemas.types import KEY_RE, KEY_RULE

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@cache
def builtin_templates() -> list[dict[str, Any]]:
    return yaml.safe_load((DATA_DIR / "templates.yaml").read_text(encoding="utf-8"))


@cache
def builtin_taxonomy() -> list[dict[str, Any]]:
    return yaml.safe_load((DATA_DIR / "taxonomy.yaml").read_text(encoding="utf-8"))


def ensure_builtins() -> None:
    """Create the built-in templates and categories that are missing; never overwrite edits."""
    existing = set(db.session.scalars(select(Template.key)))
    for spec in builtin_templates():
        if spec["key"] in existing:
            continue
        template = Template(
            key=spec["key"], name=spec["name"], description=spec.get("description"), builtin=True
        )
        for position, section in enumerate(spec["sections"]):
            template.sections.append(
                TemplateSection(
                    position=position,
                    key=section["key"],
                    title=section["title"],
                    guidance=section.get("guidance"),
                    required=bool(section.get("required")),
                )
            )
        db.session.add(template)
    categories = set(db.session.scalars(select(FactorCategory.key)))
    for position, spec in enumerate(builtin_taxonomy()):
        if spec["key"] not in categories:
            db.session.add(
                FactorCategory(
                    key=spec["key"], name=spec["name"], description=spec.get("description"),
                    position=position,
                )
            )
    db.session.commit()


def list_templates() -> list[Template]:
    """Every template with its sections loaded: the pages and the API list both show them."""
    stmt = select(Template).options(selectinload(Template.sections))
    return list(db.session.scalars(stmt.order_by(Template.builtin.desc(), Template.name)))


def get_template(key: str) -> Template:
    """The template with this key; built-ins are created on first use. NotFound otherwise."""
    template = db.session.scalar(select(Template).where(Template.key == key))
    if template is None and key in {spec["key"] for spec in builtin_templates()}:
        ensure_builtins()
        template = db.session.scalar(select(Template).where(Template.key == key))
    if template is None:
        raise NotFound(f"No template '{key}'.")
    return template


def find_template(key: str) -> Template | None:
    try:
        return get_template(key)
    except NotFound:
        return None


def save_template(
    *, key: str, name: str, description: str | None, sections: list[dict[str, Any]],
    template: Template | None = None,
) -> Template:
    """Create (template=None) or replace a template's fields and sections.

    Existing post-mortems keep the sections they were created with: they hold copies.
    """
    errors: dict[str, list[str]] = {}
    if template is None:
        if not KEY_RE.match(key or ""):
            errors["key"] = [KEY_RULE]
        elif db.session.scalar(select(Template.id).where(Template.key == key)) is not None:
            raise Conflict(f"A template with key '{key}' exists already.")
    if not (name or "").strip():
        errors["name"] = ["is required"]
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, section in enumerate(sections):
        s_key = (section.get("key") or "").strip()
        title = (section.get("title") or "").strip()
        if not s_key and not title:
            continue  # an empty row of the form
        if not title:
            errors.setdefault("sections", []).append(f"section {index + 1}: a title is required")
        if not s_key:
            s_key = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or f"section_{index}"
        if not KEY_RE.match(s_key):
            errors.setdefault("sections", []).append(
                f"section {index + 1}: key must be lowercase letters, digits, '-' or '_'"
            )
        if s_key in seen:
            errors.setdefault("sections", []).append(f"section {index + 1}: key '{s_key}' repeats")
        seen.add(s_key)
        cleaned.append({
            "key": s_key, "title": title, "guidance": (section.get("guidance") or "").strip(),
            "required": bool(section.get("required")),
        })
    if not cleaned and "sections" not in errors:
        errors["sections"] = ["a template needs at least one section"]
    if errors:
        raise ValidationError("The template could not be saved.", fields=errors)
    if template is None:
        template = Template(key=key, builtin=False)
        db.session.add(template)
    template.name = name.strip()
    template.description = (description or "").strip() or None
    template.sections.clear()
    db.session.flush()
    for position, section in enumerate(cleaned):
        template.sections.append(TemplateSection(position=position, **section))
    db.session.commit()
    return template


def list_categories(include_inactive: bool = False) -> list[FactorCategory]:
    stmt = select(FactorCategory).order_by(FactorCategory.position, FactorCategory.name)
    if not include_inactive:
        stmt = stmt.where(FactorCategory.active.is_(True))
    return list(db.session.scalars(stmt))


def category_keys() -> set[str]:
    return set(db.session.scalars(select(FactorCategory.key).where(FactorCategory.active.is_(True))))


def save_category(data: CategoryIn) -> FactorCategory:
    """Create or update a taxonomy category by key."""
    category = db.session.scalar(select(FactorCategory).where(FactorCategory.key == data.key))
    if category is None:
        position = len(list_categories(include_inactive=True))
        category = FactorCategory(key=data.key, position=position)
        db.session.add(category)
    category.name = data.name or ""
    category.description = data.description
    category.active = bool(data.active)
    db.session.commit()
    return category
