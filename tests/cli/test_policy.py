"""`moderation policy check / simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.cli import main
from moderation.extensions import db
from tests.services.test_decisions import ATTACK, CLEAN, score, submit


def dump(app: Flask) -> dict[str, list[tuple[object, ...]]]:
    with app.app_context():
        return {
            t.name: [tuple(r) for r in db.session.execute(sa.select(t)).all()]
            for t in db.metadata.sorted_tables
        }


@pytest.mark.usefixtures("site")
def test_simulate_reports_flips_and_writes_nothing(app: Flask, tmp_path: Path) -> None:
    from moderation.tables import utcnow

    now = utcnow()
    for n, text in enumerate([CLEAN, ATTACK, "You people are clueless.", CLEAN]):
        score(app, submit(app, f"c{n}", text, now, author=f"a{n % 2}"), now)
    candidate = tmp_path / "strict.yaml"
    candidate.write_text("categories:\n  threat: {hold: 0.0, reject: 0.0}\n")
    before = dump(app)
    result = app.test_cli_runner().invoke(
        main, ["policy", "simulate", str(candidate), "--since", "1d", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["comments"] == 4
    assert report["outcomes"]["candidate"] == {"reject": 4}
    flipped = {f["comment"] for f in report["flips"]}
    assert flipped == {"news/c0", "news/c2", "news/c3"}  # c1 was already rejected
    assert dump(app) == before

    text = app.test_cli_runner().invoke(main, ["policy", "simulate", str(candidate)])
    assert "decisions flipped: 3" in text.output
    assert "review queue:" in text.output


def test_simulate_from_a_file(app: Flask, tmp_path: Path) -> None:
    lines = tmp_path / "comments.jsonl"
    lines.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {"id": "x1", "author": "u", "scores": {"hate": 0.5}},
                {"id": "x2", "author": "u", "scores": {"hate": 0.2}},
                {"id": "x3", "text": "Thank you for the clear explanation."},
            ]
        )
    )
    candidate = tmp_path / "lenient.yaml"
    candidate.write_text("categories:\n  hate: {hold: 0.6, reject: 0.9}\n")
    result = app.test_cli_runner().invoke(
        main, ["policy", "simulate", str(candidate), "--file", str(lines), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(f["comment"], f["current"], f["candidate"]) for f in report["flips"]] == [
        ("x1", "hold", "publish")
    ]


def test_invalid_candidate_names_the_key(app: Flask, tmp_path: Path) -> None:
    candidate = tmp_path / "bad.yaml"
    candidate.write_text("categories:\n  attack: {hold: 0.9, reject: 0.2}\n")
    result = app.test_cli_runner().invoke(main, ["policy", "simulate", str(candidate)])
    assert result.exit_code != 0
    assert "categories.attack" in result.output


def test_check(app: Flask, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("spam: {max_links: 5}\n")
    result = app.test_cli_runner().invoke(main, ["policy", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "default policy ok" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("spam: {max_links: -5}\n")
    result = app.test_cli_runner().invoke(main, ["policy", "check", str(bad)])
    assert result.exit_code != 0 and "spam.max_links" in result.output
