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
    # Everything is a threat: no figurative threat can be capped below a hold of 0 either.
    candidate.write_text(
        "categories:\n  threat: {hold: 0.0, reject: 0.0}\nthreat_target:\n  max_untargeted: 1.0\n"
    )
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


RAISED_REJECT = "categories:\n  attack: {hold: 0.50, reject: 0.95}\n"


@pytest.mark.usefixtures("site")
def test_simulate_replays_authors_with_their_real_history(app: Flask, tmp_path: Path) -> None:
    """A raised attack.reject: the regular's 0.90 comment goes from reject to hold. Replayed
    as a newcomer (as before), the new-author tier's own reject threshold hid that flip; a
    genuine newcomer's comment is still decided by that tier, and the report says so."""
    from datetime import timedelta

    from moderation.tables import utcnow
    from tests.dashboard.seed import add_comment

    now = utcnow()
    for n in range(5):  # the regular's history, before the window
        add_comment(
            app, f"old{n}", "Fair point.", author="regular", status="published", risk=0.1,
            received_at=now - timedelta(days=3, hours=n),
        )  # fmt: skip
    add_comment(app, "hot", "Heated.", author="regular", status="rejected", risk=0.9)
    add_comment(app, "new", "Heated too.", author="newcomer", status="rejected", risk=0.9)
    candidate = tmp_path / "raised.yaml"
    candidate.write_text(RAISED_REJECT)
    result = app.test_cli_runner().invoke(
        main, ["policy", "simulate", str(candidate), "--since", "1d", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["comments"] == 2
    assert [(f["comment"], f["current"], f["candidate"]) for f in report["flips"]] == [
        ("news/hot", "reject", "hold")
    ]
    assert report["tiers"]["candidate"] == {"default": 1, "new_authors": 1}
    assert report["masked"] == {"new_authors.attack": 1}
    assert report["authors"] == {"replayed": 2, "with_standing": 2}

    text = (
        app.test_cli_runner()
        .invoke(main, ["policy", "simulate", str(candidate), "--since", "1d"])
        .output
    )
    assert "decisions flipped: 1" in text
    assert "thresholds applied (current / candidate): default 1 / 1, new_authors 1 / 1" in text
    assert "1 decision(s) used the new_authors tier's own attack thresholds" in text


def test_simulate_from_a_file_with_author_history(app: Flask, tmp_path: Path) -> None:
    lines = tmp_path / "comments.jsonl"
    lines.write_text(
        json.dumps({"id": "a", "author": "regular", "scores": {"attack": 0.9},
                    "author_history": {"comments": 20, "published": 20}}) + "\n"
        + json.dumps({"id": "b", "author": "someone", "scores": {"attack": 0.9}}) + "\n"
    )  # fmt: skip
    candidate = tmp_path / "raised.yaml"
    candidate.write_text(RAISED_REJECT)
    result = app.test_cli_runner().invoke(
        main, ["policy", "simulate", str(candidate), "--file", str(lines), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [f["comment"] for f in report["flips"]] == ["a"]
    assert report["masked"] == {"new_authors.attack": 1}


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ('{"id": "x", "scores": {"attack": 0.9}', "line 2: not valid JSON: "),
        ('{"id": "x", "scores": {"attack": "high"}}', "line 2: scores.attack: "),
        ('{"id": "x", "received_at": "yesterday", "scores": {}}', "line 2: received_at: "),
        (
            '{"id": "x", "scores": {}, "matches": [{"term": "t", "category": "rude"}]}',
            "line 2: matches.0.category: ",
        ),
        ('{"id": "x"}', "line 2: needs 'text' or 'scores'"),
        ("[1, 2]", "line 2: must be a JSON object, not list"),
    ],
)
def test_a_bad_file_line_is_named_and_nothing_is_replayed(
    app: Flask, tmp_path: Path, bad_line: str, problem: str
) -> None:
    lines = tmp_path / "comments.jsonl"
    lines.write_text('{"id": "ok", "scores": {"attack": 0.1}}\n' + bad_line + "\n")
    candidate = tmp_path / "raised.yaml"
    candidate.write_text(RAISED_REJECT)
    result = app.test_cli_runner().invoke(
        main, ["policy", "simulate", str(candidate), "--file", str(lines)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert problem in result.output
    assert "nothing was replayed" in result.output
    assert "comments replayed" not in result.output
