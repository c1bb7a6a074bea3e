"""Fitting a site model from the site's labels, and the promotion gate. No Flask, no database:
the callers pass the examples (:class:`moderation.services.labels.Example`).

Targets per category: the label where the judge named categories; 0 for every category of a
clean comment; a violation with no category counts for the category the general model scores
highest (what a moderator's "other" reject most likely meant; the strike does the same).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from moderation.scoring.classifier import Classifier
from moderation.scoring.rules import RuleFilter
from moderation.scoring.site_model import (
    PRIOR_HINGE_SCALE,
    PRIOR_KNOTS,
    SiteModel,
    SiteWeights,
    hashed_rows,
    prior_features,
)
from moderation.scoring.types import Category

#: A category is fitted when the site has at least this many positive and negative labels.
MIN_POSITIVES = 10
HASH_BITS = 17
#: Inverse L2 strength of the logistic regressions.
C = 1.0


class LabelledExample(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def violation(self) -> bool: ...

    @property
    def labels(self) -> Any: ...


@dataclass(frozen=True)
class Prepared:
    """Texts as the general model sees them, and its probabilities."""

    texts: list[str]  # rule-normalised
    base: npt.NDArray[np.float64]  # (n, n_categories)


def prepare(texts: Sequence[str], rules: RuleFilter, base: Classifier) -> Prepared:
    analyzed = rules.analyze_batch(texts)
    normalized = [norm.text for _, norm in analyzed]
    features = [rules.for_classifier(found) for found, _ in analyzed]
    probs = base.predict_proba(normalized, features) if texts else None
    return Prepared(normalized, probs if probs is not None else np.empty((0, len(base.categories))))


def targets(
    examples: Sequence[LabelledExample],
    base: npt.NDArray[np.float64],
    categories: Sequence[Category],
) -> npt.NDArray[np.int8]:
    """``(n, n_categories)`` 0/1 targets (see the module docstring)."""
    out = np.zeros((len(examples), len(categories)), dtype=np.int8)
    for i, example in enumerate(examples):
        if not example.violation:
            continue
        named = {c: v for c, v in dict(example.labels).items() if v}
        ours = [j for j, c in enumerate(categories) if str(c) in named]
        if ours:
            out[i, ours] = 1
        elif not named:  # a violation, category unknown: the general model's best guess
            out[i, int(np.argmax(base[i]))] = 1
        # else: only categories the model does not score (spam): negative for all of ours
    return out


def violation_targets(examples: Sequence[LabelledExample]) -> npt.NDArray[np.int8]:
    return np.array([int(e.violation) for e in examples], dtype=np.int8)


def _design(prepared: Prepared, bits: int) -> Any:
    from scipy import sparse

    n = len(prepared.texts)
    rows, cols, values = hashed_rows(prepared.texts, bits)
    hashed = sparse.csr_matrix((values, (rows, cols)), shape=(n, 1 << bits))
    prior = sparse.csr_matrix(prior_features(prepared.base, PRIOR_KNOTS, PRIOR_HINGE_SCALE))
    return sparse.hstack([prior, hashed], format="csr")


def fit(
    examples: Sequence[LabelledExample],
    prepared: Prepared,
    base: Classifier,
    *,
    site: str,
    version: str,
    seed: int = 0,
    hash_bits: int = HASH_BITS,
    metadata: dict[str, Any] | None = None,
) -> SiteWeights:
    """Fit the site's weights. Deterministic for a seed (liblinear with a fixed seed)."""
    from sklearn.linear_model import LogisticRegression

    categories = base.categories
    y = targets(examples, prepared.base, categories)
    x = _design(prepared, hash_bits)
    n_cat = len(categories)
    n_prior = (1 + len(PRIOR_KNOTS)) * n_cat
    coef = np.zeros((n_prior + (1 << hash_bits), n_cat), dtype=np.float32)
    intercept = np.zeros(n_cat)
    fitted = np.zeros(n_cat, dtype=bool)
    positives = {}
    for j, category in enumerate(categories):
        pos = int(y[:, j].sum())
        positives[str(category)] = pos
        if pos < MIN_POSITIVES or len(y) - pos < MIN_POSITIVES:
            continue
        model = LogisticRegression(C=C, solver="liblinear", random_state=seed, max_iter=1000)
        model.fit(x, y[:, j])
        coef[:, j] = model.coef_[0]
        intercept[j] = float(model.intercept_[0])
        fitted[j] = True
    meta = {
        "labels": len(examples),
        "positives": positives,
        "seed": seed,
        "design": (
            "general log-odds prior with hinge terms + hashed word 1-2-grams, logistic regression"
        ),
        **(metadata or {}),
    }
    return SiteWeights(
        site=site,
        version=version,
        base_version=base.version,
        hash_bits=hash_bits,
        categories=tuple(categories),
        fitted=fitted,
        coef=coef,
        intercept=intercept,
        metadata=meta,
        prior_knots=PRIOR_KNOTS,
        prior_scale=PRIOR_HINGE_SCALE,
    )


# --------------------------------------------------------------------------- the gate

#: A category is judged by the gate when the held-out labels have at least this many positives.
GATE_MIN_POSITIVES = 20
#: Fraction of the site's labels (the most recent ones) held out for the gate.
HOLDOUT_FRACTION = 0.2
#: The candidate may lose at most this much AUC on a shared evaluation set.
SHARED_TOLERANCE = 0.02


def roc_auc(y: npt.NDArray[Any], scores: npt.NDArray[np.float64]) -> float | None:
    """ROC AUC (ties count half), or ``None`` without both classes."""
    from sklearn.metrics import roc_auc_score

    if len(set(np.asarray(y).tolist())) < 2:
        return None
    return float(roc_auc_score(y, scores))


def recall_at_fpr(
    y: npt.NDArray[Any],
    candidate: npt.NDArray[np.float64],
    live: npt.NDArray[np.float64],
    threshold: float,
) -> tuple[float, float, float]:
    """(live recall, candidate recall, live FPR): the live model flags at ``threshold``; the
    candidate gets the threshold that flags the same share of clean comments."""
    clean = candidate[y == 0]
    live_fpr = float(np.mean(live[y == 0] >= threshold)) if len(clean) else 0.0
    if not len(clean):
        return float("nan"), float("nan"), live_fpr
    # the candidate's threshold: flag at most live_fpr of the clean comments
    k = math.floor(live_fpr * len(clean))
    ordered = np.sort(clean)[::-1]
    cand_threshold = ordered[k - 1] if k > 0 else np.nextafter(ordered[0], np.inf)
    if k > 0 and k < len(ordered) and ordered[k] == cand_threshold:
        cand_threshold = np.nextafter(cand_threshold, np.inf)  # ties would exceed the FPR
    positives = y == 1
    live_recall = float(np.mean(live[positives] >= threshold)) if positives.any() else float("nan")
    cand_recall = (
        float(np.mean(candidate[positives] >= cand_threshold)) if positives.any() else float("nan")
    )
    return live_recall, cand_recall, live_fpr


@dataclass
class Row:
    name: str  # "site: attack", "shared: holdout_comments"
    n: int
    positives: int
    live: float | None
    candidate: float | None
    rule: str  # what the candidate must do
    passed: bool | None  # None: not judged (too few positives)


@dataclass
class GateReport:
    rows: list[Row] = field(default_factory=list)
    live_version: str = "general"
    candidate_version: str = ""

    @property
    def promoted(self) -> bool:
        judged = [r for r in self.rows if r.passed is not None]
        return bool(judged) and all(r.passed for r in judged)

    @property
    def reasons(self) -> list[str]:
        out = [
            f"{r.name}: candidate {_fmt(r.candidate)} vs live {_fmt(r.live)} ({r.rule})"
            for r in self.rows
            if r.passed is False
        ]
        if not any(r.passed is not None for r in self.rows):
            out.append("nothing to judge: too few held-out positives")
        return out

    def table(self) -> str:
        live, candidate = self.live_version[:12], self.candidate_version[:12]
        head = f"{'measure':<34} {'n':>6} {'pos':>5} {live:>12} {candidate:>12}  result"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            verdict = {True: "pass", False: "FAIL", None: "not judged"}[r.passed]
            lines.append(
                f"{r.name:<34} {r.n:>6} {r.positives:>5} {_fmt(r.live):>12} "
                f"{_fmt(r.candidate):>12}  {verdict} ({r.rule})"
            )
        lines.append(f"decision: {'PROMOTE' if self.promoted else 'REFUSE'}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "live": self.live_version,
            "candidate": self.candidate_version,
            "promoted": self.promoted,
            "reasons": self.reasons,
            "rows": [r.__dict__ for r in self.rows],
        }


def _fmt(value: float | None) -> str:
    return (
        "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"
    )


def split_by_time(n: int, fraction: float = HOLDOUT_FRACTION) -> int:
    """Index of the first held-out example in a time-ordered list of ``n``."""
    return n - max(1, round(n * fraction)) if n > 1 else n


def judge_site(
    report: GateReport,
    y: npt.NDArray[np.int8],
    violations: npt.NDArray[np.int8],
    live: npt.NDArray[np.float64],
    candidate: npt.NDArray[np.float64],
    categories: Sequence[Category],
    threshold: float,
) -> None:
    """Rows for the site's held-out labels: AUC per category with enough positives, and
    recall on violations at the live model's false-positive rate on clean comments."""
    for j, category in enumerate(categories):
        pos = int(y[:, j].sum())
        live_auc = roc_auc(y[:, j], live[:, j])
        cand_auc = roc_auc(y[:, j], candidate[:, j])
        judged = pos >= GATE_MIN_POSITIVES and live_auc is not None and cand_auc is not None
        report.rows.append(
            Row(
                f"site AUC: {category}",
                len(y),
                pos,
                live_auc,
                cand_auc,
                "must beat live",
                (cand_auc > live_auc) if judged else None,  # type: ignore[operator]
            )
        )
    live_any = live.max(axis=1) if len(live) else np.empty(0)
    cand_any = candidate.max(axis=1) if len(candidate) else np.empty(0)
    pos = int(violations.sum())
    live_recall, cand_recall, fpr = recall_at_fpr(violations, cand_any, live_any, threshold)
    judged = pos >= GATE_MIN_POSITIVES and (len(violations) - pos) > 0
    report.rows.append(
        Row(
            f"site recall @ live FPR {fpr:.3f}",
            len(violations),
            pos,
            live_recall,
            cand_recall,
            "must not be lower",
            (cand_recall >= live_recall) if judged else None,
        )
    )
    live_auc = roc_auc(violations, live_any)
    cand_auc = roc_auc(violations, cand_any)
    report.rows.append(
        Row("site AUC: any violation", len(violations), pos, live_auc, cand_auc, "reported", None)
    )


def judge_shared(
    report: GateReport,
    name: str,
    y: npt.NDArray[np.int8],
    live: npt.NDArray[np.float64],
    candidate: npt.NDArray[np.float64],
) -> None:
    """A row for one shared evaluation set (violation vs the highest category score)."""
    live_auc = roc_auc(y, live.max(axis=1))
    cand_auc = roc_auc(y, candidate.max(axis=1))
    judged = live_auc is not None and cand_auc is not None
    report.rows.append(
        Row(
            f"shared AUC: {name}",
            len(y),
            int(y.sum()),
            live_auc,
            cand_auc,
            f"may lose <= {SHARED_TOLERANCE}",
            (cand_auc >= live_auc - SHARED_TOLERANCE) if judged else None,  # type: ignore[operator]
        )
    )


def predict(model: Classifier | SiteModel, prepared: Prepared) -> npt.NDArray[np.float64]:
    """Probabilities of ``model`` on prepared texts (a general model's are ``prepared.base``)."""
    if isinstance(model, SiteModel):
        return model.combine(prepared.texts, prepared.base)
    return prepared.base
