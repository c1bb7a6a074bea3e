"""Decision-level benchmark on eval/mixed_comments.jsonl (or another labelled JSONL file).

Runs the real scoring pipeline and the default policy through ``moderation score`` in a
subprocess and reports violation recall (hold or reject counts as caught) and the clean
false-positive rate (hold or reject of a clean comment), overall and per kind.

    python bench/decisions.py [--file eval/mixed_comments.jsonl] [--models-dir models]
                              [--show-errors]

This is a measurement, not a test. Thresholds are chosen on validation data carved from the
training corpora. Of the three hand-written sets in eval/, the mixed set and the first holdout
have been read while writing the phrase patterns, so only eval/final_holdout_comments.jsonl
is an independent measurement (docs/model.md, "Decisions: what a site would see").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def score_command() -> list[str]:
    exe = shutil.which("moderation")
    if exe:
        return [exe, "score", "-"]
    return [sys.executable, "-m", "moderation.cli", "score", "-"]


def run(file: Path, models_dir: Path | None, config_dir: Path | None) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line]
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(ROOT))
    if models_dir is not None:
        env["MODERATION_MODELS_DIR"] = str(models_dir.resolve())
    if config_dir is not None:
        env["MODERATION_CONFIG_DIR"] = str(config_dir.resolve())
    payload = "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows)
    proc = subprocess.run(
        score_command(), input=payload, capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"moderation score failed ({proc.returncode}):\n{proc.stderr}")
    outputs = {o["id"]: o for o in map(json.loads, proc.stdout.splitlines())}
    for r in rows:
        out = outputs.get(r["id"], {})
        r["decision"] = out.get("decision", "error")
        r["scores"] = out.get("scores", {})
        r["categories"] = out.get("categories", [])
        r["versions"] = out.get("versions", {})
    return rows


def report(rows: list[dict[str, object]], show_errors: bool, expect_held: frozenset[str]) -> None:
    """Print recall and false positives; kinds in `expect_held` are clean text that should
    reach a person (a language the policy does not support): their "rate" is the share held
    or rejected, and they count neither as violations nor among the clean false positives."""
    caught = {"hold", "reject"}
    by_kind: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        by_kind[str(r["kind"])].append(r)
    violations = [r for r in rows if r["label"] == "violation"]
    clean = [r for r in rows if r["label"] == "clean" and r["kind"] not in expect_held]
    recall = sum(r["decision"] in caught for r in violations) / max(1, len(violations))
    fpr = sum(r["decision"] in caught for r in clean) / max(1, len(clean))
    versions = rows[0].get("versions") if rows else {}
    print(f"versions: {json.dumps(versions)}")
    print(
        f"overall: violation recall {recall:.3f} ({len(violations)}), "
        f"clean false-positive rate {fpr:.3f} ({len(clean)})"
    )
    print(
        f"{'kind':<22} {'label':<10} {'n':>4} {'publish':>8} {'hold':>5} {'reject':>7} {'rate':>6}"
    )
    for kind, items in sorted(by_kind.items(), key=lambda kv: (kv[1][0]["label"], kv[0])):
        counts = defaultdict(int)
        for r in items:
            counts[str(r["decision"])] += 1
        rate = (counts["hold"] + counts["reject"]) / len(items)
        label = str(items[0]["label"])
        name = "recall" if label == "violation" else "FPR"
        if kind in expect_held:
            label, name = "to-person", "held (expected)"
        print(
            f"{kind:<22} {label:<10} {len(items):>4} {counts['publish']:>8} {counts['hold']:>5} "
            f"{counts['reject']:>7} {rate:>6.3f} {name}"
        )
    if show_errors:
        print("\nmisses and false positives:")
        for r in rows:
            should_catch = r["label"] == "violation" or r["kind"] in expect_held
            wrong = should_catch != (r["decision"] in caught)
            if wrong:
                scores = {k: round(float(v), 2) for k, v in dict(r["scores"]).items()}  # type: ignore[call-overload]
                print(f"  [{r['kind']}] {r['decision']:<7} {scores} {r['text']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=ROOT / "eval" / "mixed_comments.jsonl")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--config-dir", type=Path, default=None)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument(
        "--expect-held",
        action="append",
        default=[],
        metavar="KIND",
        help="a kind of clean text that should reach a person (e.g. other_language); repeatable",
    )
    args = parser.parse_args()
    rows = run(args.file, args.models_dir, args.config_dir)
    report(rows, args.show_errors, frozenset(args.expect_held))


if __name__ == "__main__":
    main()
