"""Threshold advice from a site's labels (``moderation.policy.advise``)."""

from __future__ import annotations

import pytest

from moderation.policy.advise import advise
from moderation.policy.schema import Policy
from moderation.scoring.types import Category
from tests.policy.conftest import policy_data

A = Category.ATTACK


def rows(values: list[float]) -> list[dict[Category, float]]:
    return [{A: v} for v in values]


def test_the_advised_hold_keeps_clean_comments_under_the_rate_with_the_most_recall(
    policy: Policy,
) -> None:
    clean_scores = [i / 100 for i in range(100)]  # 0.00 .. 0.99
    pos_scores = [0.2 + i / 50 for i in range(20)]  # 0.20 .. 0.58
    scores = rows(clean_scores + pos_scores)
    clean = [True] * 100 + [False] * 20
    positive = {A: [False] * 100 + [True] * 20}
    result = advise(scores, positive, clean, policy, rate=0.10)
    (row,) = [r for r in result.rows if r.category is A]
    assert row.advised and row.positives == 20
    assert row.clean_rate <= 0.10
    # one step lower would flag more clean comments than the budget
    assert sum(v >= row.hold for v in clean_scores) == 10
    assert row.hold == pytest.approx(0.89, abs=1e-6)  # just above the 11th highest clean
    assert row.reject >= row.hold
    assert result.clean_rate_advised <= 0.10
    assert result.overrides() == {
        "categories": {"attack": {"hold": round(row.hold, 4), "reject": round(row.reject, 4)}}
    }
    assert "advised" in result.table()


def test_categories_with_few_positives_keep_their_thresholds(policy: Policy) -> None:
    scores = rows([0.1] * 50 + [0.9] * 3)
    result = advise(
        scores, {A: [False] * 50 + [True] * 3}, [True] * 50 + [False] * 3, policy, rate=0.05
    )
    assert result.overrides() == {"categories": {}}
    assert all(not r.advised for r in result.rows)


@pytest.mark.parametrize("rate", [0.0, 1.0, -0.1])
def test_a_rate_outside_zero_one_is_refused(policy: Policy, rate: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        advise(rows([0.1]), {A: [False]}, [True], policy, rate)


def test_without_clean_labels_there_is_nothing_to_advise(policy: Policy) -> None:
    with pytest.raises(ValueError, match="no clean"):
        advise(rows([0.9]), {A: [True]}, [False], policy, 0.05)


def test_an_advised_attack_hold_below_the_criticism_cap_lowers_the_cap() -> None:
    """The written policy must validate: the cap stays below every attack hold."""
    policy = Policy.model_validate(policy_data(criticism={"max_attack": 0.25}))
    clean_scores = [0.0] * 90 + [0.1 + i / 100 for i in range(10)]  # top clean score 0.19
    scores = rows(clean_scores + [0.5] * 20)
    result = advise(
        scores, {A: [False] * 100 + [True] * 20}, [True] * 100 + [False] * 20, policy, rate=0.01
    )
    (row,) = [r for r in result.rows if r.category is A]
    assert row.hold <= policy.criticism.max_attack
    assert result.criticism_cap is not None and result.criticism_cap < row.hold
    candidate = policy.model_dump(mode="json")
    for key, value in result.overrides().items():
        assert isinstance(value, dict)
        for sub, inner in value.items():
            if isinstance(inner, dict):
                candidate[key][sub].update(inner)
            else:
                candidate[key][sub] = inner
    Policy.model_validate(candidate)  # raises when the cap is not below every hold
    assert "criticism.max_attack lowered" in result.table()


def test_an_advised_threat_hold_below_the_threat_target_cap_lowers_the_cap() -> None:
    """The written policy must validate: the threat target cap stays below every threat hold."""
    t = Category.THREAT
    policy = Policy.model_validate(policy_data(threat_target={"max_untargeted": 0.35}))
    clean_scores = [0.0] * 90 + [0.1 + i / 100 for i in range(10)]  # top clean score 0.19
    scores = [{t: v} for v in clean_scores + [0.5] * 20]
    result = advise(
        scores, {t: [False] * 100 + [True] * 20}, [True] * 100 + [False] * 20, policy, rate=0.01
    )
    (row,) = [r for r in result.rows if r.category is t]
    assert row.hold <= policy.threat_target.max_untargeted
    assert result.threat_cap is not None and result.threat_cap < row.hold
    candidate = policy.model_dump(mode="json")
    candidate["categories"].update(result.overrides()["categories"])  # type: ignore[arg-type]
    candidate["threat_target"] = result.overrides()["threat_target"]
    Policy.model_validate(candidate)  # raises when the cap is not below every hold
    assert "threat_target.max_untargeted lowered" in result.table()
