"""Commands go through services: no CLI module builds a query on the tables itself."""

from __future__ import annotations

import ast
from pathlib import Path

import moderation.cli

CLI = Path(moderation.cli.__file__).parent
#: What a command may take from moderation.tables at run time: nothing (the clock is in
#: moderation.clock, the statuses in moderation.statuses). Types go under TYPE_CHECKING.
ALLOWED_FROM_TABLES: set[str] = set()


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in type_only:
            found.append(node)
    return found


def test_cli_modules_do_not_query_tables() -> None:
    modules = sorted(CLI.glob("*.py"))
    assert len(modules) > 5
    for path in modules:
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
                assert not any(n.split(".")[0] == "sqlalchemy" for n in names), path.name
            elif node.module == "moderation.tables":
                taken = {alias.name for alias in node.names}
                assert taken <= ALLOWED_FROM_TABLES, f"{path.name} imports {taken} from tables"
            else:
                assert (node.module or "").split(".")[0] != "sqlalchemy", path.name
