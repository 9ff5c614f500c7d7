"""Migrations: an empty database upgrades to exactly the models' schema, and again safely."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from postmortem.extensions import db
from postmortem.models import FactorCategory, Template
from postmortem.models.insight import include_name

from .conftest import reset_database


def test_init_db_on_an_empty_database_matches_the_models(app, runner) -> None:
    with app.app_context():
        reset_database()
        assert inspect(db.engine).get_table_names() == []
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0, second.output
    assert "Database ready" in second.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "api_tokens", "services", "incidents", "alembic_version"} <= tables
        with db.engine.connect() as connection:
            # The FTS5 index and its shadow tables are made by DDL, not by the models.
            context = MigrationContext.configure(connection, opts={"include_name": include_name})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        # Built-in templates and taxonomy are seeded once.
        keys = sorted(db.session.scalars(select(Template.key)))
        assert keys == ["lightweight", "security", "standard"]
        assert len(list(db.session.scalars(select(FactorCategory)))) >= 10


def test_templates_and_static_are_never_inside_the_source_package() -> None:
    from postmortem import PACKAGE_DIR

    # They live at the repository root and are mapped into the package only in built wheels.
    assert not (PACKAGE_DIR / "templates").exists()
    assert not (PACKAGE_DIR / "static").exists()
    assert (PACKAGE_DIR / "migrations" / "env.py").exists()
