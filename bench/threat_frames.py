"""How often the threat-frame detector fires on clean text (issue 13).

Reads clean comments from the training corpora (never the evaluation-only files):
wiki_toxicity_context (label 0), ConvAbuse train (user turns every annotator rated not
abusive), Impermium train (Insult 0) and toxic_spans comments.csv minus the tsd_test texts.
Prints per source how many texts get a threat-frame or group-frame match at moderate or
worse that no existing rule of its category (word list or pattern) already matched at
moderate or worse.

    python bench/threat_frames.py --data-dir ../shared/corpus [--show 20]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from pathlib import Path

from moderation.scoring.group_frames import GroupFrames
from moderation.scoring.patterns import PatternFilter
from moderation.scoring.rules import RuleFilter
from moderation.scoring.threat_frames import ThreatFrames
from moderation.scoring.types import Category, Severity

csv.field_size_limit(sys.maxsize)
CONFIG = Path(__file__).resolve().parent.parent / "config"


def clean_texts(data: Path) -> Iterator[tuple[str, str]]:
    for name in ("gc.csv", "gn.csv", "cat_small.csv"):
        with (data / "wiki_toxicity_context" / name).open(newline="") as f:
            for row in csv.DictReader(f):
                if row.get("label") == "0":
                    yield "wiki_toxicity_context", row["text"]
    with (data / "convabuse" / "ConvAbuseEMNLPtrain.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            abusive = any(
                row.get(f"Annotator{a}_is_abuse.{v}") == "1"
                for a in range(1, 9)
                for v in ("-1", "-2", "-3")
            )
            if not abusive:
                yield "convabuse_train", row["user"]
    with (data / "impermium_insults" / "train.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["Insult"] == "0":
                yield "impermium_train", row["Comment"].strip('"')
    with (data / "toxic_spans" / "tsd_test.csv").open(newline="") as f:
        held_out = {row["text"] for row in csv.DictReader(f)}
    with (data / "toxic_spans" / "comments.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["comment_text"] not in held_out:
                yield "toxic_spans_comments", row["comment_text"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    rules = RuleFilter.from_config(CONFIG)
    patterns = PatternFilter.from_config(CONFIG)
    frames = ThreatFrames.from_config(CONFIG)
    groups = GroupFrames.from_config(CONFIG)
    totals: dict[str, list[int]] = {}
    shown = 0
    for source, text in clean_texts(args.data_dir):
        [(found, norm)] = rules.analyze_batch([text], None)
        counts = totals.setdefault(source, [0, 0])
        counts[0] += 1
        extra = [*frames.find(norm, text), *patterns.lower_reported(norm, groups.find(norm))]
        framed = [
            m
            for m in extra
            if m.category in (Category.THREAT, Category.HATE)
            and m.severity.rank >= Severity.MODERATE.rank
        ]
        if not framed:
            continue
        old = [*found, *patterns.find(norm, found)]
        if any(
            m.category is framed[0].category and m.severity.rank >= Severity.MODERATE.rank
            for m in old
        ):
            continue
        counts[1] += 1
        if shown < args.show:
            shown += 1
            print(f"[{source} {framed[0].term} {framed[0].severity}] {text[:300]!r}")
    all_texts = sum(c[0] for c in totals.values())
    all_new = sum(c[1] for c in totals.values())
    for source, (n, new) in totals.items():
        print(f"{source:24} clean {n:6}  newly held/rejected {new:4}  {new / max(n, 1):.3%}")
    print(
        f"{'all':24} clean {all_texts:6}  newly held/rejected {all_new:4}  "
        f"{all_new / max(all_texts, 1):.3%}"
    )


if __name__ == "__main__":
    main()
