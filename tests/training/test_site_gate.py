"""The promotion gate's rules as pure functions (``moderation.training.site``)."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.scoring.types import Category
from moderation.training import site

CATS = (Category.ATTACK, Category.THREAT)


def test_a_candidate_losing_more_than_the_tolerance_on_a_shared_set_is_refused() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=np.int8)
    live = np.array(
        [[0.1, 0], [0.2, 0], [0.3, 0], [0.4, 0], [0.5, 0], [0.6, 0], [0.7, 0], [0.8, 0]]
    )
    worse = live.copy()
    worse[4, 0] = 0.25  # one violation now below two clean comments: AUC 1.0 -> 0.875
    report = site.GateReport(live_version="live", candidate_version="cand")
    site.judge_shared(report, "eval", y, live, worse)
    assert not report.promoted
    assert report.reasons == ["shared AUC: eval: candidate 0.875 vs live 1.000 (may lose <= 0.02)"]
    report = site.GateReport()
    site.judge_shared(report, "eval", y, live, live - 0.01)
    assert report.promoted


def test_site_rows_judge_only_categories_with_enough_positives() -> None:
    rng = np.random.default_rng(0)
    n = 200
    y = np.zeros((n, 2), dtype=np.int8)
    y[:40, 0] = 1  # 40 attack positives, 5 threat positives
    y[40:45, 1] = 1
    violations = y.max(axis=1)
    live = rng.random((n, 2)) * 0.5
    candidate = live.copy()
    candidate[:40, 0] += 0.5  # the candidate ranks attacks first
    report = site.GateReport()
    site.judge_site(report, y, violations, live, candidate, CATS, threshold=0.4)
    verdicts = {row.name: row.passed for row in report.rows}
    assert verdicts["site AUC: attack"] is True
    assert verdicts["site AUC: threat"] is None  # 5 < GATE_MIN_POSITIVES
    assert report.promoted
    assert "decision: PROMOTE" in report.table()


def test_nothing_to_judge_is_a_refusal() -> None:
    report = site.GateReport()
    y = np.zeros((10, 2), dtype=np.int8)
    site.judge_site(report, y, y.max(axis=1), np.zeros((10, 2)), np.zeros((10, 2)), CATS, 0.5)
    assert not report.promoted
    assert "too few held-out positives" in report.reasons[-1]


@pytest.mark.parametrize(("n", "first_held"), [(100, 80), (10, 8), (1, 1), (3, 2)])
def test_the_most_recent_labels_are_held_out(n: int, first_held: int) -> None:
    assert site.split_by_time(n) == first_held


def test_recall_is_compared_at_the_live_false_positive_rate() -> None:
    y = np.array([0, 0, 0, 0, 1, 1])
    live = np.array([0.1, 0.2, 0.6, 0.3, 0.7, 0.4])  # flags 1 of 4 clean, 1 of 2 violations
    cand = np.array([0.5, 0.1, 0.2, 0.3, 0.9, 0.8])
    live_recall, cand_recall, fpr = site.recall_at_fpr(y, cand, live, 0.5)
    assert (live_recall, cand_recall, fpr) == (0.5, 1.0, 0.25)
