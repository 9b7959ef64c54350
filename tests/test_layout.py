"""Data flows one way: each module imports only the modules below it in this table."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "corpus_search"

ALLOWED = {
    "errors": set(),
    "model": set(),
    "normalize": set(),
    "loader": {"normalize", "errors"},
    "analysis": set(),
    "store": {"analysis", "loader", "userdict", "errors"},
    "userdict": {"analysis", "normalize", "errors"},
    "query": {"normalize", "errors"},
    "variants": set(),
    "search": {"analysis", "store", "query", "loader", "normalize", "variants", "model", "errors"},
    "concordance": {"analysis", "search", "normalize", "model", "errors"},
    "output": {"model"},
    "cli": {"store", "search", "concordance", "query", "output", "normalize", "errors"},
    "__init__": {"errors", "model", "search", "store"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("corpus_search"):
            found.add(node.module.split(".")[1] if "." in node.module else "__init__")
    return found - {""}


def test_every_module_is_in_the_table():
    assert {path.stem for path in PACKAGE.glob("*.py")} == set(ALLOWED)


def test_imports_follow_the_table():
    for path in PACKAGE.glob("*.py"):
        assert imported_modules(path) <= ALLOWED[path.stem], path.name


def test_nothing_imports_the_cli():
    for path in PACKAGE.glob("*.py"):
        assert "cli" not in imported_modules(path), path.name
