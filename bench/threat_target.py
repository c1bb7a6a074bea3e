"""How many real threats the threat target cap lets through: toxic_spans training comments.

Scores every toxic_spans comment that a rater marked with a Threat span (the SemEval test and
trial texts excluded: those are evaluation-only) with the shipped pipeline and default policy,
twice: with the threat target check and without it. Prints how many were held or rejected for
threat each way and lists those that lose it (it must stay near zero), split by how many
raters marked the threat; then how often the check fires, and caps, over all the training
comments.

    python bench/threat_target.py [--data-dir ../shared/corpus]

A measurement, not a test: nothing here is used to choose the lists.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderation.clock import utcnow  # noqa: E402
from moderation.policy.decide import decide  # noqa: E402
from moderation.policy.schema import load_policy  # noqa: E402
from moderation.scoring.pipeline import Pipeline, build_pipeline  # noqa: E402
from moderation.scoring.threat_target import FIGURATIVE  # noqa: E402
from moderation.scoring.types import Category  # noqa: E402


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load(data_dir: Path) -> tuple[list[str], dict[str, int]]:
    """(every training text, threat text -> number of raters who marked a Threat span)."""
    folder = data_dir / "toxic_spans"
    csv.field_size_limit(sys.maxsize)
    excluded = {r["text"] for f in ("tsd_test.csv", "tsd_trial.csv") for r in _rows(folder / f)}
    texts = {r["comment_id"]: r["comment_text"] for r in _rows(folder / "comments.csv")}
    owner = {r["annotation"]: r["comment_id"] for r in _rows(folder / "annotations.csv")}
    raters: dict[str, set[str]] = defaultdict(set)
    for span in _rows(folder / "spans.csv"):
        if span["type"] == "Threat" and span["annotation"] in owner:
            raters[owner[span["annotation"]]].add(span["annotation"])
    training = sorted({t for t in texts.values() if t not in excluded})
    threats = {texts[c]: len(r) for c, r in raters.items() if texts.get(c, "") in training}
    return training, threats


def threat_held(pipeline: Pipeline, texts: Sequence[str]) -> list[bool]:
    policy = load_policy(ROOT / "config" / "policy.yaml")
    now = utcnow()
    out = []
    for start in range(0, len(texts), 128):
        for result in pipeline.score_batch(texts[start : start + 128]):
            out.append(Category.THREAT in decide(result, policy, now=now).categories)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    training, threats = load(args.data_dir)
    checked = build_pipeline(ROOT / "config", ROOT / "models")
    bare = Pipeline(checked.rules, checked.patterns, checked.classifier)
    texts = sorted(threats)
    before, after = threat_held(bare, texts), threat_held(checked, texts)
    lost = [t for t, b, a in zip(texts, before, after, strict=True) if b and not a]
    for floor in (1, 2):
        n = [threats[t] >= floor for t in texts]
        held_b = sum(h and k for h, k in zip(before, n, strict=True))
        held_a = sum(h and k for h, k in zip(after, n, strict=True))
        print(
            f"Threat span by >= {floor} rater(s): {sum(n)} comments; held or rejected for "
            f"threat {held_b} without the check, {held_a} with it"
        )
    print(f"losing the threat hold: {len(lost)}")
    for text in lost:
        print(f"  [{threats[text]} rater(s)] {text[:160]!r}")
    fired = capped = 0
    policy = load_policy(ROOT / "config" / "policy.yaml")
    now = utcnow()
    for start in range(0, len(training), 128):
        for result in checked.score_batch(training[start : start + 128]):
            if any(m.term == FIGURATIVE for m in result.matches):
                fired += 1
                reasons = decide(result, policy, now=now).reasons
                capped += any(r.code == "threat_untargeted" for r in reasons)
    print(f"all {len(training)} training comments: the check fires on {fired}, caps {capped}")


if __name__ == "__main__":
    main()
