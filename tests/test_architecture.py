"""The layout holds: no import cycle between modules of postmortem/ (function-level imports
count; TYPE_CHECKING blocks do not), no module using another's private names, and the doors
(web, api, cli) never querying the database themselves."""

from __future__ import annotations

import ast
from pathlib import Path

from postmortem import PACKAGE_DIR

MODULES = {
    ".".join(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts).removesuffix(".__init__"):
    path
    for path in PACKAGE_DIR.rglob("*.py") if "migrations" not in path.parts
}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def _imports(module: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text())
    skipped = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((candidate, []) if candidate in MODULES else (base, [alias.name]))
    return found


def _graph() -> dict[str, set[str]]:
    return {module: {target for target, _ in _imports(module, path)
                     if target in MODULES and target != module}
            for module, path in MODULES.items()}


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == [], "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_no_private_name_is_used_across_modules() -> None:
    offences = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        imported_modules = {}
        for target, names in _imports(module, path):
            offences += [f"{module} imports {target}.{name}" for name in names
                         if name.startswith("_") and not name.startswith("__")]
            if target in MODULES:
                imported_modules[target.rsplit(".", 1)[-1]] = target
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in imported_modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                offences.append(f"{module} uses {node.value.id}.{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr == "_get_current_object":
                offences.append(f"{module} uses werkzeug's private _get_current_object")
    assert offences == []


def test_doors_do_not_query_the_database() -> None:
    offences = []
    for module, path in MODULES.items():
        if not module.startswith(("postmortem.web", "postmortem.api", "postmortem.cli")):
            continue
        source = path.read_text()
        for needle in ("db.session", "select(", "db.paginate"):
            if needle in source:
                offences.append(f"{module}: {needle}")
    assert offences == []
