#!/usr/bin/env python3
"""Check the shape of the ``moderation`` package's imports (see ``docs/architecture.md``).

1. **No import cycles.** The graph has an edge A -> B for every ``import`` in A that names B,
   wherever it stands: at module level, inside a function, or under ``if TYPE_CHECKING:``.
   ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.
   Importing ``pkg.mod`` is an edge to ``pkg.mod`` only (not to ``pkg``'s ``__init__``), as in
   import-linter and grimp. Each cycle is reported as a path, e.g. ``a -> b -> a``.
2. **Views and commands do not query tables.** Modules under the view packages (the
   dashboard, the JSON API, the integration blueprints) and the CLI may import
   ``moderation.tables`` only under ``if TYPE_CHECKING:`` (for annotations); queries go
   through ``moderation.services``.

Usage: ``python scripts/check_imports.py [PACKAGE_DIR]``; exit status 1 on a
failure. ``tests/test_architecture.py`` runs it on every test run.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Sub-packages whose modules are views (web entry points): they reach tables through services.
VIEW_PACKAGES = ("dashboard", "api", "integrations")
CLI_PACKAGES = ("cli",)
#: The module of the database tables: views and commands import it only under TYPE_CHECKING.
TABLES = "tables"


@dataclass(frozen=True)
class Import:
    """One import statement's target, as seen in ``source``."""

    source: str
    target: str
    line: int
    type_checking_only: bool


@dataclass
class Report:
    #: (a shortest cycle, every module of the circle it belongs to)
    cycles: list[tuple[list[str], list[str]]] = field(default_factory=list)
    view_violations: list[Import] = field(default_factory=list)
    cli_violations: list[Import] = field(default_factory=list)

    def failed(self) -> bool:
        return bool(self.cycles or self.view_violations or self.cli_violations)


def module_names(package_dir: Path) -> dict[str, Path]:
    """Every module of the package at ``package_dir``, by dotted name."""
    root = package_dir.name
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [root, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    tree: ast.AST, type_checking: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement in ``tree`` (at any depth), with whether it runs only for the
    type checker (inside ``if TYPE_CHECKING:``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_checking
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]), type_checking)
        else:
            yield from _import_nodes(node, type_checking)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The imports in module ``name`` of other modules of the same package."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[Import] = []
    for node, type_checking in _import_nodes(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = name.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                parent = ".".join(base + ([node.module] if node.module else []))
            else:
                parent = node.module or ""
            for alias in node.names:
                submodule = f"{parent}.{alias.name}"
                targets.append(submodule if submodule in modules else parent)
        for target in targets:
            # `import a.b.c` names a.b.c; keep the longest prefix that is one of our modules.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            imp = Import(name, target, node.lineno, type_checking)
            if target and target != name and imp not in found:
                found.append(imp)
    return found


def import_graph(package_dir: Path) -> tuple[dict[str, set[str]], list[Import]]:
    modules = module_names(package_dir)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    every: list[Import] = []
    for name, path in modules.items():
        for imp in imports_of(name, path, modules):
            every.append(imp)
            graph[name].add(imp.target)
    return graph, every


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def shortest_cycle(graph: dict[str, set[str]], component: Iterable[str]) -> list[str]:
    """A shortest cycle through the component's first module, as a path ending where it began."""
    members = set(component)
    start = min(members)
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError("a strongly connected component has a cycle")


def _in_packages(module: str, root: str, packages: tuple[str, ...]) -> bool:
    return any(module == f"{root}.{p}" or module.startswith(f"{root}.{p}.") for p in packages)


def check(package_dir: Path) -> Report:
    graph, every = import_graph(package_dir)
    root = package_dir.name
    report = Report()
    for component in strongly_connected(graph):
        report.cycles.append((shortest_cycle(graph, component), component))
    tables = f"{root}.{TABLES}"
    for imp in every:
        if imp.target != tables or imp.type_checking_only:
            continue
        if _in_packages(imp.source, root, VIEW_PACKAGES):
            report.view_violations.append(imp)
        elif _in_packages(imp.source, root, CLI_PACKAGES):
            report.cli_violations.append(imp)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "package",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "moderation",
    )
    args = parser.parse_args(argv)
    report = check(args.package)
    for cycle, circle in report.cycles:
        print("import cycle: " + " -> ".join(cycle))
        if len(circle) > len(cycle) - 1:
            print(f"  (one of the cycles among these {len(circle)}: {', '.join(circle)})")
    for imp in report.view_violations:
        print(f"view imports tables: {imp.source} (line {imp.line})")
    for imp in report.cli_violations:
        print(f"command imports tables: {imp.source} (line {imp.line})")
    if report.failed():
        return 1
    print(f"imports of {args.package.name}: no cycles, views and commands go through services")
    return 0


if __name__ == "__main__":
    sys.exit(main())
