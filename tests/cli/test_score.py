"""`moderation score`: the offline scoring contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from moderation.cli.scoring import score_command
from tests.support import ROOT

CATEGORIES = {"profanity", "attack", "threat", "hate", "spam"}


def run(lines: list[str]) -> tuple[list[dict[str, object]], str]:
    result = CliRunner().invoke(score_command, [], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    return out, result.stderr


def test_contract_fields_and_order() -> None:
    out, _ = run(
        [
            json.dumps({"id": "a", "text": "Thank you for this careful reporting."}),
            json.dumps({"id": 7, "text": "shut up you f*cking idiot"}),
            json.dumps({"text": "no id given"}),
        ]
    )
    assert [o["id"] for o in out] == ["a", 7, 3]
    for item in out:
        assert item["decision"] in {"publish", "hold", "reject"}
        assert set(item["scores"]) == CATEGORIES
        assert all(0.0 <= v <= 1.0 for v in item["scores"].values())  # type: ignore[union-attr]
        assert isinstance(item["matches"], list)
        assert isinstance(item["categories"], list)
        assert {"rules", "policy"} <= set(item["versions"])  # type: ignore[arg-type]
    assert out[0]["decision"] == "publish"
    assert out[1]["decision"] == "reject"
    assert "profanity" in out[1]["categories"]  # type: ignore[operator]


def test_matches_point_into_the_original_text() -> None:
    text = "Ｓｈｉｔ, that was a f.u.c.k.i.n.g disaster"
    out, _ = run([json.dumps({"id": 1, "text": text})])
    spans = {text[m["start"] : m["end"]] for m in out[0]["matches"]}  # type: ignore[union-attr,index]
    assert "Ｓｈｉｔ" in spans
    assert any(s.startswith("f.u.c.k") for s in spans)
    for m in out[0]["matches"]:  # type: ignore[union-attr]
        assert {"term", "category", "severity", "start", "end"} <= set(m)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"id": "x", "text": 5}', "'text' must be a string"),
        ('{"id": "y"}', "'text' must be a string"),
    ],
)
def test_malformed_line_yields_an_error_line_and_the_run_goes_on(line: str, problem: str) -> None:
    out, err = run(
        [json.dumps({"id": "before", "text": "fine"}), line, '{"id": "after", "text": "ok"}']
    )
    assert out[0]["id"] == "before" and "decision" in out[0]
    assert problem in str(out[1]["error"])
    assert out[1]["line"] == 2
    assert out[2]["id"] == "after" and "decision" in out[2]
    assert "1 malformed line" in err


def test_console_script_reads_a_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "in.jsonl"
    path.write_text(json.dumps({"id": "f", "text": "You are an idiot"}) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "moderation.cli", "score", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["id"] == "f"
