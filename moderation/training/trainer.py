"""One training run: validation model, final model, artefact content and card metadata."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moderation.scoring.classifier import MODEL_CATEGORIES, Classifier
from moderation.scoring.types import Category, Match
from moderation.training.datasets import LICENCES, Example, TrainingCorpus, load_evaluation_sets
from moderation.training.evaluate import evaluate_sets, metrics, policy_thresholds
from moderation.training.model import TrainConfig, export, fit, is_validation

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Hold: the lowest threshold at which, on validation rows weighted so that every source counts
#: the same, at least this share of held rows are violations...
HOLD_PRECISION = 1 / 3
#: ...while flagging at most this share of clean Wikipedia validation comments.
HOLD_CLEAN_FPR = 0.005
#: Reject: the lowest threshold with this source-balanced precision and clean FPR (else 0.9).
REJECT_PRECISION = 0.90
REJECT_CLEAN_FPR = 0.001


@dataclass
class TrainingResult:
    arrays: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


def _prepare_all(
    examples: Sequence[Example], prep: Any, progress: Progress
) -> tuple[list[str], list[list[Match]] | None]:
    """Normalised texts and (when the rule filter is available) rule matches."""
    texts = []
    matches: list[list[Match]] | None = [] if prep.find is not None else None
    for i, ex in enumerate(examples):
        texts.append(prep.normalize(ex.text).text)
        if matches is not None:
            matches.append(prep.find(ex.text))
        if i and i % 20_000 == 0:
            progress(f"normalised {i:,}/{len(examples):,}")
    return texts, matches


def recommend_thresholds(
    labels: npt.NDArray[np.int_],
    probs: npt.NDArray[np.float64],
    sources: npt.NDArray[np.str_],
    clean: npt.NDArray[np.float64],
) -> dict[str, Any]:
    """Hold and reject thresholds (0.05 grid) from a category's validation rows, with the curve
    they came from. Rows are weighted so that each source counts the same (Davidson's 78 %
    positives must not decide a news-comment threshold); ``clean`` holds the category's
    scores of clean Wikipedia validation comments (the false-positive budget)."""
    weights = np.zeros(len(labels))
    for source in np.unique(sources):
        mask = sources == source
        weights[mask] = 1.0 / mask.sum()
    curve: list[dict[str, Any]] = []
    for t in [round(float(t), 2) for t in np.arange(0.05, 1.0, 0.05)]:
        flagged = probs >= t
        held = weights[flagged].sum()
        curve.append(
            {
                "threshold": t,
                "precision": round(float(weights[flagged & (labels == 1)].sum() / held), 4)
                if held
                else 1.0,
                "recall": {
                    str(s): round(float(flagged[(sources == s) & (labels == 1)].mean()), 4)
                    for s in np.unique(sources[labels == 1])
                },
                "clean_fpr": round(float((clean >= t).mean()), 4) if len(clean) else 0.0,
            }
        )
    hold: float = next(
        (
            p["threshold"]
            for p in curve
            if p["precision"] >= HOLD_PRECISION and p["clean_fpr"] <= HOLD_CLEAN_FPR
        ),
        0.5,
    )
    reject: float = next(
        (
            p["threshold"]
            for p in curve
            if p["precision"] >= REJECT_PRECISION and p["clean_fpr"] <= REJECT_CLEAN_FPR
        ),
        0.9,
    )
    return {"hold": hold, "reject": max(reject, hold), "curve": curve}


def reliability(labels: npt.NDArray[np.int_], probs: npt.NDArray[np.float64]) -> dict[str, Any]:
    """Mean predicted vs observed rate, overall and in five probability bins (ECE too)."""
    bins = np.minimum((probs * 5).astype(int), 4)
    table = []
    ece = 0.0
    for b in range(5):
        mask = bins == b
        if mask.any():
            pred, obs = float(probs[mask].mean()), float(labels[mask].mean())
            ece += mask.mean() * abs(pred - obs)
            table.append(
                {
                    "bin": f"{b / 5:.1f}-{(b + 1) / 5:.1f}",
                    "n": int(mask.sum()),
                    "predicted": round(pred, 4),
                    "observed": round(obs, 4),
                }
            )
    return {
        "mean_predicted": round(float(probs.mean()), 4),
        "observed_rate": round(float(labels.mean()), 4),
        "ece": round(float(ece), 4),
        "bins": table,
    }


def validation_report(
    examples: Sequence[Example],
    texts: Sequence[str],
    matches: Sequence[list[Match]] | None,
    config: TrainConfig,
    progress: Progress,
) -> dict[str, Any]:
    """Fit on the training part of the split and measure on the held-out part."""
    val = np.array(
        [is_validation(ex.text, config.seed, config.validation_fraction) for ex in examples]
    )
    train_idx = [int(i) for i in np.flatnonzero(~val)]
    val_idx = [int(i) for i in np.flatnonzero(val)]
    progress(f"validation split: {len(train_idx):,} train / {len(val_idx):,} validation")
    model = fit(
        [examples[i] for i in train_idx],
        [texts[i] for i in train_idx],
        config,
        progress,
        matches=[matches[i] for i in train_idx] if matches is not None else None,
    )
    probs = model.predict_proba(
        [texts[i] for i in val_idx],
        [matches[i] for i in val_idx] if matches is not None else None,
    )
    sources = np.array([examples[i].source for i in val_idx])
    result: dict[str, Any] = {"per_source": {}, "thresholds": {}, "calibration": {}}
    clean_rows = sources == "wiki"
    for j, category in enumerate(MODEL_CATEGORIES):
        labels = np.array([examples[i].labels.get(category, -1) for i in val_idx])
        known = labels >= 0
        for source in sorted(set(sources[known])):
            mask = known & (sources == source)
            if 0 < labels[mask].sum() < mask.sum():
                m = metrics(labels[mask], probs[mask, j], 0.5, 0.85)
                result["per_source"][f"{category}/{source}"] = {
                    "n": int(mask.sum()),
                    "positives": int(labels[mask].sum()),
                    "roc_auc": round(m.roc_auc, 4),
                    "pr_auc": round(m.pr_auc, 4),
                }
        result["thresholds"][str(category)] = recommend_thresholds(
            labels[known], probs[known, j], sources[known], probs[clean_rows, j]
        )
        result["calibration"][str(category)] = reliability(labels[known], probs[known, j])
        pooled = metrics(labels[known], probs[known, j], 0.5, 0.85)
        result["per_source"][f"{category}/all"] = {
            "n": int(known.sum()),
            "positives": int(labels[known].sum()),
            "roc_auc": round(pooled.roc_auc, 4),
            "pr_auc": round(pooled.pr_auc, 4),
        }
    # OLID level A (offensive or not) scored like the evaluation does: the highest of the
    # categories' probabilities. OLID rows labelled NOT are profanity 0 and attack 0.
    olid = sources == "olid"
    if olid.any():
        offensive = np.array(
            [
                int(
                    examples[i].labels.get(Category.PROFANITY) != 0
                    or examples[i].labels.get(Category.ATTACK) != 0
                )
                for i in val_idx
            ]
        )
        m = metrics(offensive[olid], probs[olid].max(axis=1), 0.5, 0.85)
        result["per_source"]["any (max)/olid offensive"] = {
            "n": int(olid.sum()),
            "positives": int(offensive[olid].sum()),
            "roc_auc": round(m.roc_auc, 4),
            "pr_auc": round(m.pr_auc, 4),
        }
    return result


def run_training(
    corpus: TrainingCorpus,
    prep: Any,
    config: TrainConfig,
    *,
    data_dir: Path | None,
    policy_path: Path | None,
    version: str,
    validate: bool = True,
    evaluate: bool = True,
    progress: Progress = lambda _: None,
) -> TrainingResult:
    examples = corpus.examples
    progress(f"normalising {len(examples):,} texts")
    texts, matches = _prepare_all(examples, prep, progress)
    metadata: dict[str, Any] = {
        "name": version,
        "normalizer": prep.version,
        "rule_features": bool(config.use_rule_features and matches is not None),
        "config": config.as_dict(),
        "sources": {
            name: {"licence": LICENCES.get(name, "unknown"), **counts}
            for name, counts in corpus.counts.items()
        },
        "training_rows": {
            str(c): {
                "rows": sum(1 for ex in examples if c in ex.labels),
                "positives": sum(1 for ex in examples if ex.labels.get(c) == 1),
            }
            for c in MODEL_CATEGORIES
        },
    }
    if validate:
        metadata["validation"] = validation_report(examples, texts, matches, config, progress)
    progress("fitting the final model on every training row")
    trained = fit(examples, texts, config, progress, matches=matches)
    arrays = export(trained, version, metadata)
    # The served path must give the scikit-learn pipeline's scores.
    step = max(1, len(texts) // 500)
    sample = list(texts[::step])
    sample_matches = list(matches[::step]) if matches is not None else None
    lean = Classifier(arrays).predict_proba(sample, sample_matches)
    reference = trained.predict_proba(sample, sample_matches)
    metadata["lean_vs_sklearn_max_abs_diff"] = float(np.abs(lean - reference).max())
    progress(
        f"lean inference vs scikit-learn: max |diff| {metadata['lean_vs_sklearn_max_abs_diff']:.2e}"
    )
    if evaluate and data_dir is not None:
        sets = load_evaluation_sets(data_dir)
        if sets:
            thresholds = policy_thresholds(policy_path, 0.5, 0.85)
            rows = evaluate_sets(Classifier(arrays), sets, prep, thresholds, (), progress)
            metadata["evaluation"] = [
                {
                    "set": r.set_name,
                    "target": r.target,
                    "n": r.n,
                    "positives": r.positives,
                    **r.metrics.as_dict(),
                }
                for r in rows
            ]
            metadata["evaluation_thresholds"] = thresholds
    arrays["metadata"] = metadata
    return TrainingResult(arrays, metadata)
