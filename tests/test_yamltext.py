"""The fast YAML loader reads every shipped file as ``yaml.safe_load`` does, and is as safe."""

from __future__ import annotations

import pytest
import yaml

from moderation import yamltext
from tests.support import ROOT

SHIPPED = sorted(
    [*(ROOT / "config").rglob("*.yaml"), *(ROOT / "moderation").rglob("*.yaml")],
    key=str,
)


def test_there_are_files_to_compare() -> None:
    assert len(SHIPPED) >= 5


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_reads_shipped_files_as_safe_load_does(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    text = path.read_text(encoding="utf-8")
    assert yamltext.safe_load(text) == yaml.safe_load(text)


def test_refuses_python_objects_and_malformed_text() -> None:
    with pytest.raises(yaml.YAMLError):
        yamltext.safe_load("!!python/object/apply:os.system ['true']")
    with pytest.raises(yaml.YAMLError):
        yamltext.safe_load("key: [unclosed")
