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


def test_seeded_authors_keep_their_tier_and_masked_changes_are_counted() -> None:
    from moderation.policy.backtest import AuthorSeed

    current = parse_policy(policy_data(), "current")  # new authors: attack hold 0.3
    changed = policy_data()
    changed["categories"]["attack"] = {"hold": 0.5, "reject": 0.6}
    candidate = parse_policy(changed, "candidate")
    records = [rec(1, "regular", attack=0.7), rec(2, "newbie", attack=0.7)]
    seeds = {"regular": AuthorSeed(comments=10, published=10)}
    report = simulate(records, current, candidate, authors=seeds)
    assert [(f.comment, str(f.current), str(f.candidate)) for f in report.flips] == [
        ("c1", "hold", "reject")
    ]
    assert dict(report.tiers_candidate) == {"default": 1, "new_authors": 1}
    assert dict(report.masked) == {"new_authors.attack": 1}
    assert (report.authors, report.seeded_authors) == (2, 1)
    # Without the seed, the regular is a newcomer too and the change shows nowhere.
    blind = simulate(records, current, candidate)
    assert blind.flips == ()
    assert dict(blind.masked) == {"new_authors.attack": 2}


def test_a_seeded_status_and_strikes_carry_into_the_window() -> None:
    from moderation.policy.backtest import AuthorSeed
    from moderation.policy.decide import AuthorStatus

    policy = parse_policy(policy_data(), "p")
    watched = {
        "w": AuthorSeed(comments=10, published=10, status=AuthorStatus.WATCHED, by_moderator=True)
    }
    report = simulate([rec(1, "w", attack=0.0)], policy, policy, authors=watched)
    assert dict(report.outcomes_current) == {"hold": 1}
    # a watch the ladder set, with no strike left, lapses as it would in production
    lapsed = {"w": AuthorSeed(comments=10, published=10, status=AuthorStatus.WATCHED)}
    report = simulate([rec(1, "w", attack=0.0)], policy, policy, authors=lapsed)
    assert dict(report.outcomes_current) == {"publish": 1}
    one_strike = {"s": AuthorSeed(comments=10, strikes=((T0 + timedelta(days=5), 1.0),))}
    pair = [rec(1, "s", attack=0.9), rec(2, "s", attack=0.0)]
    # the seeded strike plus this rejection reach the ladder's watch: the next one is held
    report = simulate(pair, policy, policy, authors=one_strike)
    assert dict(report.outcomes_current) == {"reject": 1, "hold": 1}
    assert dict(simulate(pair, policy, policy).outcomes_current) == {"reject": 1, "publish": 1}
