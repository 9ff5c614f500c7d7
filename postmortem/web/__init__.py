"""The HTML side: one blueprint per feature, thin adapters over the services."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import account, admin, auth, editor, health, incidents, main, review, services  # noqa: F401

    for module in (main, auth, account, admin, health, incidents, services):
        app.register_blueprint(module.bp)
