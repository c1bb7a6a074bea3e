"""The pipeline's compiled rules are built once per configuration and process, and rebuilt
when a file of the configuration changes; its warm-up loads what scoring would load lazily."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from moderation.scoring.pipeline import build_pipeline, compile_rules
from moderation.scoring.rules import RuleConfigError
from tests.support import ROOT, config_copy


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return config_copy(tmp_path)


def test_the_same_files_are_compiled_once(config: Path, tmp_path: Path) -> None:
    first = compile_rules(config)
    assert compile_rules(config) is first
    # A pipeline built afterwards (a worker's pool process, forked after the start-up
    # check) reuses them rather than compiling again.
    pipeline = build_pipeline(config, tmp_path / "no-models")
    assert pipeline.rules is first[0]
    assert pipeline.patterns is first[1]


def test_a_changed_file_is_compiled_again(config: Path) -> None:
    first = compile_rules(config)
    terms = config / "wordlists" / "terms.yaml"
    terms.write_text(terms.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    second = compile_rules(config)
    assert second[0] is not first[0]
    (config / "wordlists" / "patterns.yaml").write_text("patterns: [unclosed\n")
    with pytest.raises(RuleConfigError, match=r"patterns\.yaml"):
        compile_rules(config)


def test_warm_up_loads_what_the_first_batch_would() -> None:
    """After the warm-up, scoring a batch imports nothing: the first comments a worker takes
    do not wait for a module (scipy's sparse matrices) to load. A fresh interpreter, since
    this one has imported everything already."""
    probe = """
import sys
from pathlib import Path
from moderation.scoring.pipeline import CATEGORIES, build_pipeline
pipeline = build_pipeline(Path("config"), Path("models"))
pipeline.warm_up()
before = set(sys.modules)
texts = ["You are an idiot.", "Thanks, a fine report."]
pipeline.score_batch(texts, dict.fromkeys(CATEGORIES, 0.0))
print(sorted(set(sys.modules) - before))
"""
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]", run.stdout
