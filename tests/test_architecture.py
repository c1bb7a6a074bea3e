"""The package's imports run one way (docs/architecture.md): ``scripts/check_imports.py``
finds no import cycle in ``moderation/`` and no view that imports the tables; and the
checker does fail on a package that has either."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import ROOT


def _load_checker() -> ModuleType:
    path = ROOT / "scripts" / "check_imports.py"
    spec = importlib.util.spec_from_file_location("check_imports", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def make_package(root: Path, files: dict[str, str]) -> Path:
    """A package ``pkg`` under ``root`` with the given modules (path -> source)."""
    package = root / "pkg"
    for name, source in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    for folder in {p.parent for p in package.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return package


def test_moderation_has_no_import_cycle_and_no_view_imports_the_tables() -> None:
    report = checker.check(ROOT / "moderation")
    assert report.cycles == []
    assert report.view_violations == []


def test_a_cycle_through_a_function_local_import_fails_and_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = make_package(
        tmp_path,
        {
            "a.py": "from pkg.b import helper\n",
            "b.py": """
                def helper() -> None:
                    from pkg import c  # function-local: still an edge

                    c.run()
            """,
            "c.py": "from . import a\n",  # relative, and `from pkg import x` names module x
            "d.py": "import pkg.a\n",  # imports into the circle, is not part of it
        },
    )
    assert checker.main([str(package)]) == 1
    out = capsys.readouterr().out
    assert "import cycle: pkg.a -> pkg.b -> pkg.c -> pkg.a" in out
    assert "pkg.d" not in out


def test_an_import_under_type_checking_counts_for_cycles(tmp_path: Path) -> None:
    package = make_package(
        tmp_path,
        {
            "a.py": "import pkg.b\n",
            "b.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from pkg.a import X
            """,
        },
    )
    assert [cycle for cycle, _ in checker.check(package).cycles] == [["pkg.a", "pkg.b", "pkg.a"]]


def test_a_package_without_cycles_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = make_package(
        tmp_path, {"a.py": "from pkg import b\n", "b.py": "import json\n", "c.py": "import pkg\n"}
    )
    assert checker.main([str(package)]) == 0
    assert "no cycles" in capsys.readouterr().out


def test_views_may_import_the_tables_only_for_annotations(tmp_path: Path) -> None:
    package = make_package(
        tmp_path,
        {
            "tables.py": "class Site: ...\n",
            "dashboard/pages.py": "from pkg.tables import Site\n",
            "api/routes.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from pkg.tables import Site
            """,
            "integrations/hook.py": "def f() -> None:\n    from pkg import tables\n",
            "services/sites.py": "from pkg.tables import Site\n",  # services may
        },
    )
    report = checker.check(package)
    assert sorted(v.source for v in report.view_violations) == [
        "pkg.dashboard.pages",
        "pkg.integrations.hook",
    ]
    assert report.cycles == []


def test_commands_importing_the_tables_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = make_package(
        tmp_path, {"tables.py": "X = 1\n", "cli/users.py": "from pkg.tables import X\n"}
    )
    assert checker.main([str(package)]) == 1
    assert "command imports tables: pkg.cli.users (line 1)" in capsys.readouterr().out
