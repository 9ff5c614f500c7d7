"""The HTML side: one blueprint per feature, thin adapters over the services."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import (  # noqa: F401  (editor, review and admin_templates add routes)
        account,
        actions,
        admin,
        admin_templates,
        auth,
        editor,
        exports,
        health,
        incidents,
        main,
        reports,
        review,
        services,
        themes,
    )

    # exports before incidents: '/incidents/import' and '/incidents/<key>.md' are not keys.
    for module in (main, auth, account, admin, health, exports, incidents, services, actions,
                   reports, themes):
        app.register_blueprint(module.bp)
