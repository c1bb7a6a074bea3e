"""Metrics for ``moderation train`` / ``moderation evaluate``: ROC/PR AUC, recall and false
positive rate at the policy thresholds, peer scorers on the same rows, and span F1.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moderation.categories import trained as trained_categories
from moderation.scoring.classifier import Classifier
from moderation.scoring.types import Category, Evidence
from moderation.training.datasets import EvalSet, SpanPost

logger = logging.getLogger(__name__)

Scores = npt.NDArray[np.float64]
Progress = Callable[[str], None]
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Metrics:
    roc_auc: float
    pr_auc: float
    recall_hold: float
    fpr_hold: float
    recall_reject: float
    fpr_reject: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 4) for k in self.__slots__}


def metrics(
    labels: Sequence[int] | npt.NDArray[np.int_], scores: Scores, hold: float, reject: float
) -> Metrics:
    """Ranking metrics plus recall/FPR at ``score >= hold`` and ``score >= reject``.

    AUCs are ``nan`` when the labels hold one class only.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(labels)
    both = 0 < y.sum() < len(y)
    roc = float(roc_auc_score(y, scores)) if both else float("nan")
    pr = float(average_precision_score(y, scores)) if both else float("nan")
    pos, neg = y == 1, y == 0

    def rate(mask: npt.NDArray[np.bool_], threshold: float) -> float:
        return float((scores[mask] >= threshold).mean()) if mask.any() else float("nan")

    return Metrics(roc, pr, rate(pos, hold), rate(neg, hold), rate(pos, reject), rate(neg, reject))


def target_scores(probs: Scores, categories: Sequence[Category], target: str) -> Scores:
    """The column of ``probs`` an evaluation set is scored on (``any`` = max over categories)."""
    if target == "any":
        result: Scores = probs.max(axis=1)
        return result
    return probs[:, list(categories).index(Category(target))]


# --------------------------------------------------------------------------- thresholds


def policy_thresholds(
    policy_path: Path | None, hold: float, reject: float
) -> dict[str, tuple[float, float]]:
    """``category -> (hold, reject)`` from ``categories.<cat>.hold/reject`` in the policy file,
    falling back to ``hold``/``reject`` for every category missing there (or with no file).
    ``any`` uses the lowest hold and reject of the model's categories (for the peers, which
    give every category one score; the model's ``any`` rows count each category at its own
    thresholds, :func:`any_category_rates`)."""
    from moderation import yamltext

    table: dict[str, tuple[float, float]] = {}
    if policy_path is not None and policy_path.is_file():
        data = yamltext.safe_load(policy_path.read_text(encoding="utf-8")) or {}
        for name, spec in (data.get("categories") or {}).items():
            if isinstance(spec, Mapping) and "hold" in spec and "reject" in spec:
                table[str(name)] = (float(spec["hold"]), float(spec["reject"]))
    model = [str(c) for c in trained_categories()]
    for cat in model:
        table.setdefault(cat, (hold, reject))
    table["any"] = (min(table[c][0] for c in model), min(table[c][1] for c in model))
    return table


# --------------------------------------------------------------------------- peers


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    score: Callable[[Sequence[str]], Scores]


def load_peers(progress: Progress) -> tuple[list[Peer], list[str]]:
    """The importable peer scorers and a note for each one that is not."""
    peers: list[Peer] = []
    notes: list[str] = []
    try:
        bp: Any = importlib.import_module("better_profanity").profanity
        bp.load_censor_words()

        def bp_score(texts: Sequence[str]) -> Scores:
            out = np.zeros(len(texts))
            for i, text in enumerate(texts):
                out[i] = float(bp.contains_profanity(text))
                if i and i % 500 == 0:
                    progress(f"  better-profanity {i:,}/{len(texts):,}")
            return out

        peers.append(Peer("better-profanity", bp_score))
    except ImportError:
        notes.append("better-profanity not installed: column skipped")
    try:
        apc: Any = importlib.import_module("profanity_check")

        def apc_score(texts: Sequence[str]) -> Scores:
            return np.asarray(apc.predict_prob(list(texts)), dtype=np.float64)

        peers.append(Peer("alt-profanity-check", apc_score))
    except ImportError:
        notes.append("alt-profanity-check not installed: column skipped")
    return peers, notes


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class Row:
    set_name: str
    target: str
    n: int
    positives: int
    scorer: str
    metrics: Metrics


def evaluate_sets(
    classifier: Classifier,
    sets: Iterable[EvalSet],
    prep: Any,
    thresholds: Mapping[str, tuple[float, float]],
    peers: Sequence[Peer] = (),
    progress: Progress = lambda _: None,
) -> list[Row]:
    rows: list[Row] = []
    peer_cache: dict[tuple[str, tuple[str, ...]], Scores] = {}
    for eval_set in sets:
        progress(f"{eval_set.name}: {len(eval_set.texts):,} texts")
        texts = list(eval_set.texts)
        matches = [prep.find(t) for t in texts] if prep.find is not None else None
        probs = classifier.predict_proba([prep.normalize(t).text for t in texts], matches)
        hold, reject = thresholds[eval_set.target]
        ours = target_scores(probs, classifier.categories, eval_set.target)
        m = metrics(eval_set.labels, ours, hold, reject)
        if eval_set.target == "any":  # held as the policy holds: any category at its own hold
            m = any_category_rates(m, eval_set.labels, probs, classifier.categories, thresholds)
        rows.append(_row(eval_set, classifier.version, m))
        for peer in peers:
            key = (peer.name, eval_set.texts)
            if key not in peer_cache:
                progress(f"  {peer.name} on {eval_set.name}")
                peer_cache[key] = peer.score(texts)
            m = metrics(eval_set.labels, peer_cache[key], hold, reject)
            rows.append(_row(eval_set, peer.name, m))
    return rows


def any_category_rates(
    m: Metrics,
    labels: Sequence[int] | npt.NDArray[np.int_],
    probs: Scores,
    categories: Sequence[Category],
    thresholds: Mapping[str, tuple[float, float]],
) -> Metrics:
    """``m`` with recall and FPR at hold and reject counted as the policy acts: a text is
    held when any category reaches its own hold threshold (not the lowest of them all)."""
    y = np.asarray(labels)
    pos, neg = y == 1, y == 0
    holds = np.array([thresholds[str(c)][0] for c in categories])
    rejects = np.array([thresholds[str(c)][1] for c in categories])
    held: npt.NDArray[np.bool_] = np.asarray((probs >= holds).any(axis=1))
    refused: npt.NDArray[np.bool_] = np.asarray((probs >= rejects).any(axis=1))

    def rate(flags: npt.NDArray[np.bool_], mask: npt.NDArray[np.bool_]) -> float:
        return float(flags[mask].mean()) if mask.any() else float("nan")

    at_hold = (rate(held, pos), rate(held, neg))
    return Metrics(m.roc_auc, m.pr_auc, *at_hold, rate(refused, pos), rate(refused, neg))


def _row(eval_set: EvalSet, scorer: str, m: Metrics) -> Row:
    return Row(eval_set.name, eval_set.target, len(eval_set.texts), eval_set.positives, scorer, m)


def format_table(rows: Sequence[Row]) -> str:
    header = (
        f"{'set':<24} {'target':<10} {'n':>5} {'pos':>5} {'scorer':<27} "
        f"{'ROC AUC':>7} {'PR AUC':>7} {'rec@h':>6} {'fpr@h':>6} {'rec@r':>6} {'fpr@r':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        m = r.metrics
        lines.append(
            f"{r.set_name:<24} {r.target:<10} {r.n:>5} {r.positives:>5} {r.scorer:<27} "
            f"{m.roc_auc:>7.4f} {m.pr_auc:>7.4f} {m.recall_hold:>6.3f} {m.fpr_hold:>6.3f} "
            f"{m.recall_reject:>6.3f} {m.fpr_reject:>6.3f}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- spans


def span_f1(predicted: set[int], gold: set[int]) -> float:
    """SemEval-2021 Task 5 per-post F1 (both empty -> 1, one empty -> 0)."""
    if not predicted and not gold:
        return 1.0
    if not predicted or not gold:
        return 0.0
    overlap = len(predicted & gold)
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(predicted), overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


def evidence_offsets(evidence: Iterable[Evidence]) -> set[int]:
    return {i for ev in evidence for i in range(ev.start, ev.end)}


def censored_offsets(text: str, censored: str) -> set[int]:
    """Offsets of the words of ``text`` that a censor replaced with ``*``."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(None, text, censored, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in {"replace", "delete"} or (op == "insert" and "*" in censored[j1:j2]):
            changed.update(range(i1, max(i2, i1 + (1 if op == "insert" else 0))))
    words: set[int] = set()
    for m in _WORD.finditer(text):
        if any(i in changed for i in range(m.start(), m.end())):
            words.update(range(m.start(), m.end()))
    return words


def span_quality(
    classifier: Classifier,
    posts: Sequence[SpanPost],
    prep: Any,
    thresholds: Mapping[str, tuple[float, float]],
    progress: Progress = lambda _: None,
) -> dict[str, float]:
    """Mean span F1 of our explanations and of better-profanity's censored words."""
    ours = []
    for post in posts:
        norm = prep.normalize(post.text)
        probs = classifier.predict(norm, prep.find(post.text) if prep.find else None)
        wanted = [c for c, p in probs.items() if p >= thresholds[str(c)][0]]
        ours.append(span_f1(evidence_offsets(classifier.explain(norm, wanted)), set(post.spans)))
    result = {"model": float(np.mean(ours))}
    try:
        bp: Any = importlib.import_module("better_profanity").profanity
        bp.load_censor_words()
        theirs = []
        for i, post in enumerate(posts):
            theirs.append(
                span_f1(censored_offsets(post.text, bp.censor(post.text)), set(post.spans))
            )
            if i and i % 500 == 0:
                progress(f"  better-profanity spans {i:,}/{len(posts):,}")
        result["better-profanity"] = float(np.mean(theirs))
    except ImportError:
        pass
    result["empty prediction"] = float(np.mean([span_f1(set(), set(p.spans)) for p in posts]))
    return result
