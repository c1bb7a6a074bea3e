from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moderation.training.evaluate import censored_offsets, metrics, policy_thresholds, span_f1


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        (set(), set(), 1.0),
        ({1}, set(), 0.0),
        (set(), {1}, 0.0),
        ({1, 2}, {2, 3}, 0.5),
        ({1, 2}, {1, 2}, 1.0),
    ],
)
def test_span_f1(pred: set[int], gold: set[int], expected: float) -> None:
    assert span_f1(pred, gold) == pytest.approx(expected)


def test_censored_offsets_cover_replaced_words() -> None:
    text = "well shit, ass happens"
    assert censored_offsets(text, "well ****, **** happens") == set(range(5, 9)) | set(
        range(11, 14)
    )


def test_metrics_at_thresholds() -> None:
    m = metrics([0, 0, 1, 1], np.array([0.1, 0.6, 0.55, 0.9]), 0.5, 0.85)
    assert m.roc_auc == pytest.approx(0.75)
    assert (m.recall_hold, m.fpr_hold, m.recall_reject, m.fpr_reject) == (1.0, 0.5, 0.5, 0.0)


def test_policy_thresholds_from_yaml(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "categories:\n  attack: {hold: 0.4, reject: 0.8}\n  spam: {hold: 0.1, reject: 0.2}\n"
    )
    table = policy_thresholds(policy, 0.5, 0.9)
    assert table["attack"] == (0.4, 0.8)
    assert table["threat"] == (0.5, 0.9)
    assert table["any"] == (0.4, 0.8)
    assert policy_thresholds(tmp_path / "missing.yaml", 0.3, 0.7)["hate"] == (0.3, 0.7)


def test_recommended_thresholds() -> None:
    from moderation.training.trainer import recommend_thresholds

    labels = np.array([0] * 80 + [1] * 20 + [0] * 50 + [1] * 50)
    probs = np.concatenate(
        [
            np.linspace(0.0, 0.3, 80),
            np.linspace(0.2, 1.0, 20),
            np.linspace(0, 0.5, 50),
            np.linspace(0.3, 1.0, 50),
        ]
    )
    sources = np.array(["a"] * 100 + ["b"] * 100)
    clean = np.linspace(0.0, 0.2, 1000)
    out = recommend_thresholds(labels, probs, sources, clean)
    assert 0.2 <= out["hold"] <= out["reject"] <= 0.95
    point = next(p for p in out["curve"] if p["threshold"] == out["hold"])
    assert point["precision"] >= 1 / 3
    assert point["clean_fpr"] <= 0.005
    assert set(point["recall"]) == {"a", "b"}


def test_any_counts_each_category_at_its_own_threshold() -> None:
    """A text is held when any category reaches its own hold, not the lowest hold of all."""
    from moderation.scoring.types import Category
    from moderation.training.evaluate import any_category_rates

    categories = [Category("attack"), Category("threat")]
    thresholds = {"attack": (0.5, 0.85), "threat": (0.25, 0.8)}
    probs = np.array(
        [
            [0.30, 0.10],  # below both holds (the lowest hold, 0.25, would count it)
            [0.60, 0.10],  # attack held
            [0.10, 0.30],  # threat held
            [0.90, 0.10],  # attack refused
        ]
    )
    labels = np.array([0, 0, 1, 1])
    base = metrics(labels, probs.max(axis=1), 0.25, 0.8)
    assert base.fpr_hold == 1.0  # what the lowest threshold reports
    m = any_category_rates(base, labels, probs, categories, thresholds)
    assert (m.fpr_hold, m.recall_hold) == (0.5, 1.0)
    assert (m.fpr_reject, m.recall_reject) == (0.0, 0.5)
    assert (m.roc_auc, m.pr_auc) == (base.roc_auc, base.pr_auc)
