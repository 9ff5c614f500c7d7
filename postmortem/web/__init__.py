"""The HTML side: one blueprint per feature, thin adapters over the services."""

from __future__ import annotations

from flask import Flask

from . import (
    account,
    actions,
    admin,
    admin_templates,
    auth,
    category_suggestions,
    editor,
    exports,
    health,
    incidents,
    main,
    reports,
    review,
    services,
    theme_edits,
    themes,
)


def register_web(app: Flask) -> None:
    """Register every blueprint explicitly; exports before incidents, because
    '/incidents/import' and '/incidents/<key>.md' are not keys."""
    for module in (main, auth, account, admin, admin_templates, health, exports, incidents, editor,
                   review, services, actions, reports, themes, theme_edits,
                   category_suggestions):
        app.register_blueprint(module.bp)
