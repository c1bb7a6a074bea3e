"""`moderation feedback import|export|correct`: a site's past moderation history as labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.tables import AuditEntry, SiteLabel
from tests.cli.test_sites import invoke

GOOD = [
    {"comment_id": "a1", "text": "Thanks for the article.", "violation": False},
    {"comment_id": 2, "text": "You utter moron.", "labels": {"attack": 1, "profanity": 0}},
    {
        "comment_id": "a3",
        "text": "Buy cheap watches here",
        "violation": True,
        "decided_at": "2026-10-01T08:00:00",
    },
]


def write(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def rows(app: Flask) -> list[tuple[str, str, bool, dict[str, int], str]]:
    with app.app_context():
        found = db.session.execute(sa.select(SiteLabel).order_by(SiteLabel.id)).scalars()
        return [(r.comment_ref, r.text, r.violation, dict(r.labels), r.source) for r in found]


@pytest.mark.usefixtures("site")
def test_import_then_export_round_trips_and_a_repeated_id_updates(
    app: Flask, tmp_path: Path
) -> None:
    code, out = invoke(
        app, "feedback", "import", "news", write(tmp_path, [json.dumps(g) for g in GOOD])
    )
    assert code == 0, out
    assert "3 label(s) added, 0 updated" in out
    assert rows(app)[1] == ("2", "You utter moron.", True, {"attack": 1, "profanity": 0}, "import")
    code, exported = invoke(app, "feedback", "export", "news")
    assert code == 0
    lines = [json.loads(line) for line in exported.splitlines()]
    # oldest first: a3 was decided before the others (imported "now")
    assert [line["comment_id"] for line in lines] == ["a3", "a1", "2"]
    assert lines[0]["decided_at"] == "2026-10-01T08:00:00+00:00"
    again = write(
        tmp_path,
        [json.dumps({"comment_id": "a1", "text": "Thanks for the article.", "violation": True})],
    )
    code, out = invoke(app, "feedback", "import", "news", again)
    assert "0 label(s) added, 1 updated" in out
    assert rows(app)[0][2] is True
    # the export is importable as it is
    code, out = invoke(app, "feedback", "import", "news", write(tmp_path, exported.splitlines()))
    assert code == 0 and "0 label(s) added, 3 updated" in out
    with app.app_context():
        assert (
            len(
                db.session.execute(
                    sa.select(AuditEntry).where(AuditEntry.action == "labels.imported")
                ).all()
            )
            == 3
        )


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"text": "x", "violation": true}', "'comment_id'"),
        ('{"comment_id": "b", "text": "", "violation": true}', "'text'"),
        ('{"comment_id": "b", "text": "x"}', "give 'violation'"),
        ('{"comment_id": "b", "text": "x", "violation": "yes"}', "true or false"),
        ('{"comment_id": "b", "text": "x", "labels": {"rude": 1}}', "unknown category"),
        ('{"comment_id": "b", "text": "x", "labels": {"attack": 3}}', "0 or 1"),
        (
            '{"comment_id": "b", "text": "x", "violation": false, "labels": {"attack": 1}}',
            "names a",
        ),
        ('{"comment_id": "b", "text": "x", "violation": true, "decided_at": "soon"}', "ISO 8601"),
        ('{"comment_id": "b", "text": "x", "violaton": true}', "unknown field"),
    ],
)
def test_a_bad_line_is_refused_with_its_number_and_nothing_is_imported(
    app: Flask, tmp_path: Path, bad: str, problem: str
) -> None:
    lines = [json.dumps(GOOD[0]), "", json.dumps(GOOD[1]), bad, json.dumps(GOOD[2])]
    code, out = invoke(app, "feedback", "import", "news", write(tmp_path, lines))
    assert code != 0
    assert "line 4:" in out and problem in out and "nothing imported" in out
    assert rows(app) == []


def test_unknown_site_and_non_utf8_are_refused(app: Flask, tmp_path: Path) -> None:
    code, out = invoke(app, "feedback", "export", "nowhere")
    assert code != 0 and "no site named 'nowhere'" in out
    invoke(app, "site", "add", "news")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"comment_id": "x", "text": "caf\xe9", "violation": true}\n')
    code, out = invoke(app, "feedback", "import", "news", str(path))
    assert code != 0 and "not UTF-8" in out
    assert rows(app) == []


@pytest.mark.usefixtures("site")
def test_correct_changes_a_stored_label_and_is_audited(app: Flask, tmp_path: Path) -> None:
    invoke(app, "feedback", "import", "news", write(tmp_path, [json.dumps(g) for g in GOOD]))
    code, out = invoke(app, "feedback", "correct", "news", "2", "--category", "spam")
    assert code == 0, out
    assert "comment 2 labelled spam" in out
    labelled = {r[0]: r for r in rows(app)}["2"]
    assert labelled[2] is True and labelled[3]["spam"] == 1 and labelled[3]["attack"] == 0
    code, out = invoke(app, "feedback", "correct", "news", "a3", "--not-violation")
    assert code == 0 and "comment a3 labelled not a violation" in out
    assert {r[0]: r for r in rows(app)}["a3"][2] is False
    with app.app_context():
        entries = db.session.execute(
            sa.select(AuditEntry.actor, AuditEntry.details)
            .where(AuditEntry.action == "label.corrected")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(e) for e in entries] == [
        ("cli:cli", {"from": "attack", "to": "spam"}),
        ("cli:cli", {"from": "violation (no category)", "to": "not a violation"}),
    ]


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["nowhere", "2", "--category", "spam"], "no site named 'nowhere'"),
        (["news", "missing", "--category", "spam"], "no label for comment 'missing'"),
        (["news", "2", "--category", "rude"], "unknown category 'rude'"),
        (["news", "2"], "exactly one of --category"),
        (["news", "2", "--category", "spam", "--not-violation"], "exactly one of --category"),
    ],
)
def test_correct_refuses_bad_input_and_changes_nothing(
    app: Flask, tmp_path: Path, args: list[str], problem: str
) -> None:
    invoke(app, "feedback", "import", "news", write(tmp_path, [json.dumps(GOOD[1])]))
    code, out = invoke(app, "feedback", "correct", *args)
    assert code != 0 and problem in out
    assert rows(app)[0][3] == {"attack": 1, "profanity": 0}
