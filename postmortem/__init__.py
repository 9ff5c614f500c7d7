"""Postmortem: self-hosted blameless post-mortems. `create_app` is the table of contents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """Return the templates/static folder: inside the package in a wheel, at the repo root otherwise."""
    packaged = PACKAGE_DIR / name
    return str(packaged if packaged.is_dir() else PACKAGE_DIR.parent / name)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; configuration is code defaults, instance/config.py, env, then test_config."""
    from . import config as defaults
    from .database import init_database
    from .settings import finalise_config, load_environment

    instance_path = os.environ.get("POSTMORTEM_INSTANCE_PATH") or None
    if test_config and test_config.get("INSTANCE_PATH"):
        instance_path = str(test_config["INSTANCE_PATH"])
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=_asset_dir("templates"),
        static_folder=_asset_dir("static"),
    )
    app.config.from_object(defaults)
    app.config.from_pyfile("config.py", silent=True)
    load_environment(app)
    if test_config:
        app.config.from_mapping(test_config)
    finalise_config(app)

    init_database(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_cli(app)
    _register_template_helpers(app)
    _register_security_headers(app)
    return app


def _init_extensions(app: Flask) -> None:
    from .auth import init_auth
    from .extensions import csrf, db, migrate
    from .models.insight import include_name

    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True,
                     include_name=include_name)
    csrf.init_app(app)
    init_auth(app)
    _init_insights(app)
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _init_insights(app: Flask) -> None:
    """Search documents follow every write; the insight job runs in each serving process's
    worker thread, started by its first request (after gunicorn forks)."""
    from .services import insights

    insights.track_changes()

    @app.before_request
    def start_insight_worker() -> None:
        insights.ensure_worker(app)


def _register_blueprints(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    from .api import register_api
    from .web import register_web

    class DatabaseId(IntegerConverter):
        """<int:…> in our URLs matches only what a 64-bit id column can hold (else 404)."""

        def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
            kwargs.setdefault("max", 2**63 - 1)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = DatabaseId

    register_web(app)
    register_api(app)


def _register_error_handlers(app: Flask) -> None:
    from .handlers import init_error_handlers

    init_error_handlers(app)


def _register_cli(app: Flask) -> None:
    from .cli import register_cli

    register_cli(app)


def _register_template_helpers(app: Flask) -> None:
    from .web.helpers import init_template_helpers

    init_template_helpers(app)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Our own scripts only; inline styles are needed by the SVG charts; Markdown may embed
    # images from https sites.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: https:; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'"
    ),
}


def _register_security_headers(app: Flask) -> None:
    from flask import abort, request

    limit = app.config["MAX_URL_LENGTH"]

    @app.before_request
    def refuse_long_urls() -> None:
        if len(request.full_path) > limit:
            abort(414, description=f"The URL is longer than {limit} characters.")

    @app.after_request
    def add_headers(response: Any) -> Any:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
