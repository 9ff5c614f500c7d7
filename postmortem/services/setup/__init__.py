"""Installing and configuring: migrations, built-in templates and taxonomy, the first admin."""

from .backup import backup, restore
from .builtins import (
    FirstRunStep,
    describe_database,
    ensure_admin,
    first_run_steps,
    owed_after_days,
    save_owed_after_days,
    seed_builtins,
    upgrade_database,
)
from .templates import (
    KEY_RE,
    category_keys,
    find_template,
    get_template,
    list_categories,
    list_templates,
    save_category,
    save_template,
)

__all__ = [
    "backup", "restore",
    "owed_after_days", "save_owed_after_days",
    "FirstRunStep", "first_run_steps",
    "KEY_RE", "category_keys", "describe_database", "ensure_admin", "find_template", "get_template",
    "list_categories", "list_templates", "save_category", "save_template", "seed_builtins",
    "upgrade_database",
]
