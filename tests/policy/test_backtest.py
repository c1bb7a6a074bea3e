"""The backtest on a hand-computed fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.policy.backtest import Record, simulate
from moderation.policy.schema import parse_policy
from moderation.scoring.types import Category, Match, Severity
from tests.policy.conftest import policy_data

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def rec(n: int, author: str, **scores: float) -> Record:
    return Record(
        comment=f"c{n}",
        author=author,
        received_at=T0 + timedelta(hours=n),
        scores={Category(k): v for k, v in scores.items()},
    )


def test_reports_exactly_the_expected_flips() -> None:
    data = policy_data()
    data["authors"]["new_authors"] = {"comments": 0}
    current = parse_policy(data, "current")
    strict = policy_data()
    strict["authors"]["new_authors"] = {"comments": 0}
    strict["categories"]["attack"] = {"hold": 0.3, "reject": 0.6}
    candidate = parse_policy(strict, "candidate")
    records = [
        rec(1, "ann", attack=0.2),  # publish / publish
        rec(2, "ann", attack=0.4),  # publish / hold            (attack)
        rec(3, "bob", attack=0.7),  # hold / reject, strike 1    (attack)
        rec(4, "bob", attack=0.65),  # hold / reject, strike 2 -> bob watched (candidate)
        rec(5, "bob", profanity=0.1),  # publish / hold by watch  (author standing)
        rec(6, "cy", hate=0.9),  # reject / reject, unchanged
        Record(
            "c7", "dee", T0 + timedelta(hours=7), {},
            (Match("crap", Category.PROFANITY, Severity.MODERATE, 0, 4),),
        ),  # hold / hold via rule, unchanged
    ]  # fmt: skip
    report = simulate(records, current, candidate)
    assert report.comments == 7
    assert [(f.comment, str(f.current), str(f.candidate)) for f in report.flips] == [
        ("c2", "publish", "hold"),
        ("c3", "hold", "reject"),
        ("c4", "hold", "reject"),
        ("c5", "publish", "hold"),
    ]
    assert report.flips_by_category == {
        "attack": {"publish->hold": 1, "hold->reject": 2},
        "author standing": {"publish->hold": 1},
    }
    assert dict(report.outcomes_current) == {"publish": 3, "hold": 3, "reject": 1}
    assert dict(report.outcomes_candidate) == {"publish": 1, "hold": 3, "reject": 3}
    assert (report.queue_current, report.queue_candidate) == (3, 3)
    assert [(c.author, str(c.current), str(c.candidate)) for c in report.sanctioned] == [
        ("bob", "active", "watched")
    ]
    assert report.released == ()
    # Same policy twice: nothing changes.
    assert simulate(records, current, current).flips == ()
