"""How often English comments are called foreign, and how fast detection is.

    python bench/languages.py [--show N] [--max-words N] FILE...

Each FILE is a training corpus file read in place (never copied): a Kaggle insults CSV
(``Comment`` column), an OLID ``.tsv`` (``tweet``, masks stripped), a toxic_spans
``comments.csv`` (``comment_text``), Davidson's CSV (``tweet``), ConvAbuse's (``user``, short
turns) or JSON lines with ``text``. Prints, per file and in
total, the share of texts :func:`moderation.scoring.language.detect_language` calls
something other than English (or undetermined), the codes it gave, a few examples, and the
time per text. A benchmark that prints, not a test.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderation.scoring.language import UNDETERMINED, detect_language, warm_up  # noqa: E402

csv.field_size_limit(10_000_000)


def texts(path: Path) -> Iterator[str]:
    if path.suffix == ".tsv":
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                yield row["tweet"].replace("@USER", "").replace("URL", "").strip()
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield str(json.loads(line)["text"])
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if "Comment" in row:  # Kaggle: quoted, with Python-style escapes
                    raw = row["Comment"].strip('"')
                    try:
                        yield codecs.decode(raw, "unicode_escape")
                    except UnicodeDecodeError:
                        yield raw
                else:  # toxic_spans, Davidson's tweets, ConvAbuse's user turns
                    column = next(c for c in ("comment_text", "tweet", "user") if c in row)
                    yield row[column]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--show", type=int, default=5, help="examples shown per file")
    parser.add_argument(
        "--max-words", type=int, default=0, help="only texts of at most this many words (0: all)"
    )
    args = parser.parse_args()
    warm_up()
    total = flagged_total = 0
    elapsed = 0.0
    for path in args.files:
        codes: Counter[str] = Counter()
        examples: list[str] = []
        count = 0
        for text in texts(path):
            if args.max_words and len(text.split()) > args.max_words:
                continue
            start = time.perf_counter()
            found = detect_language(text)
            elapsed += time.perf_counter() - start
            count += 1
            if found.code not in ("en", UNDETERMINED):
                codes[f"{found.code}/{found.method}"] += 1
                if len(examples) < args.show:
                    examples.append(f"    {found.code} {found.method}: {text[:100]!r}")
        flagged = sum(codes.values())
        total += count
        flagged_total += flagged
        print(f"{path}: {flagged}/{count} non-English = {100 * flagged / max(count, 1):.2f} %")
        print(f"  codes: {dict(codes.most_common())}")
        print("\n".join(examples))
    print(
        f"TOTAL: {flagged_total}/{total} non-English = {100 * flagged_total / max(total, 1):.2f} %"
        f"; {1000 * elapsed / max(total, 1):.3f} ms per text"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
