"""Memory of one scoring process (a Celery pool process or a gunicorn worker) over time.

    python bench/memory.py [--texts FILE] [-n 20000] [--batch 50]

Builds the scoring pipeline as a worker does (``get_pipeline`` on ``config/`` and
``models/``), then scores ``-n`` texts in batches of ``--batch`` and prints the resident set
(RSS), the proportional set (PSS) and the private set (USS) from ``/proc/self`` before
loading, after loading, and every quarter of the run, then the peak RSS (the load's
transient allocations included). Memory that grows with traffic (the classifier's
per-token cache) shows as growth between the later rows.

Texts: ``--texts`` (JSON lines with "text", or a CSV with a "text"/"comment_text" column,
e.g. the toxic_spans training file ``comments.csv``), else ``eval/mixed_comments.jsonl``
repeated with a counter appended (distinct tokens). A benchmark that prints, not a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def memory_mb() -> tuple[float, float, float]:
    """(RSS, PSS, USS) of this process in MB."""
    fields: dict[str, int] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[name] = int(parts[0])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return fields.get("Rss", 0) / 1024, fields.get("Pss", 0) / 1024, uss / 1024


def peak_rss_mb() -> float:
    """The most resident memory this process has had, in MB (``VmHWM``): the load's
    transient allocations count here, and in a worker's peak RSS."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def read_texts(path: Path | None, n: int) -> list[str]:
    if path is None:
        base = [
            json.loads(line)["text"]
            for line in (ROOT / "eval" / "mixed_comments.jsonl").read_text().splitlines()
            if line.strip()
        ]
        return [f"{base[i % len(base)]} ref{i}" for i in range(n)]
    texts: list[str] = []
    if path.suffix == ".csv":
        csv.field_size_limit(10**7)
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = row.get("text") or row.get("comment_text") or ""
                if text:
                    texts.append(text)
    else:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    if not texts:
        raise SystemExit(f"{path}: no texts")
    return [texts[i % len(texts)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=Path)
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--config-dir", type=Path, default=ROOT / "config")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    args = parser.parse_args()

    texts = read_texts(args.texts, args.n)
    rows: list[tuple[str, tuple[float, float, float], float]] = []
    rows.append(("texts read, nothing loaded", memory_mb(), 0.0))

    from moderation.configured import release_freed_memory
    from moderation.scoring.pipeline import get_pipeline

    started = time.perf_counter()
    pipeline = get_pipeline(args.config_dir, args.models_dir)
    release_freed_memory()  # as a worker's warm-up does
    rows.append(("pipeline loaded", memory_mb(), time.perf_counter() - started))

    quarter = max(1, len(texts) // 4)
    started = time.perf_counter()
    for i in range(0, len(texts), args.batch):
        pipeline.score_batch(texts[i : i + args.batch], explain_above={})
        done = min(i + args.batch, len(texts))
        if done % quarter < args.batch or done == len(texts):
            rows.append((f"after {done} texts", memory_mb(), time.perf_counter() - started))

    print(f"{'stage':32} {'RSS MB':>8} {'PSS MB':>8} {'USS MB':>8} {'seconds':>8}")
    for label, (rss, pss, uss), seconds in rows:
        print(f"{label:32} {rss:8.1f} {pss:8.1f} {uss:8.1f} {seconds:8.1f}")
    print(f"peak RSS (VmHWM: loading included): {peak_rss_mb():.1f} MB")
    if pipeline.classifier is not None:
        cache = pipeline.classifier.cached_tokens()
        print(f"classifier token cache: {cache} tokens")


if __name__ == "__main__":
    main()
