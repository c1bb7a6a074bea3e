"""Cost of scoring: single-comment latency, batched throughput on one core, memory.

    python bench/scoring.py [--texts FILE] [--models-dir models] [--config-dir config] [-n 2000]

Texts: ``--texts`` (JSON lines with "text", or a toxic_spans ``tsd_*.csv``), else
``eval/mixed_comments.jsonl``. A site model (:mod:`moderation.scoring.site_model`) fitted on
the labels of ``eval/*.jsonl`` is timed too, as the pipeline runs it for a site that has one.
Prints figures for our scorer (rule filter + classifier, as the
pipeline runs them) and, in the same run on the same texts, for alt-profanity-check and
better-profanity, with ratios. A benchmark that prints, not a test.
"""

from __future__ import annotations

import os

# One core, no hidden thread pools: set before numpy/scipy load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def read_texts(path: Path | None) -> list[str]:
    path = path or ROOT / "eval" / "mixed_comments.jsonl"
    if path.suffix == ".csv":
        csv.field_size_limit(sys.maxsize)
        with path.open(newline="", encoding="utf-8") as handle:
            return [row["text"] for row in csv.DictReader(handle)]
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line
    ]


def single_ms(fn: Callable[[str], object], texts: Sequence[str]) -> float:
    times = []
    for text in texts:
        started = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def batched_per_s(
    fn: Callable[[Sequence[str]], object], texts: Sequence[str], size: int = 256
) -> float:
    started = time.perf_counter()
    for i in range(0, len(texts), size):
        fn(texts[i : i + size])
    return len(texts) / (time.perf_counter() - started)


def bench_site_model(clf: object, rules: object) -> object:
    """A site model fitted on the labels of ``eval/*.jsonl`` (same shape as a real one)."""
    if rules is None:
        return None
    from moderation.scoring.site_model import SiteModel
    from moderation.services.labels import Example
    from moderation.training import site as trainer

    rows = [
        json.loads(line)
        for path in sorted((ROOT / "eval").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    examples = [
        Example(str(i), r["text"], r["label"] == "violation", {}, None)  # type: ignore[arg-type]
        for i, r in enumerate(rows)
    ]
    prepared = trainer.prepare([e.text for e in examples], rules, clf)  # type: ignore[arg-type]
    weights = trainer.fit(examples, prepared, clf, site="bench", version="bench-1")  # type: ignore[arg-type]
    model = SiteModel(clf, weights)  # type: ignore[arg-type]
    print(
        f"site model: fitted on {len(examples)} labels of eval/*.jsonl, "
        f"categories fitted: {int(weights.fitted.sum())} of {len(weights.fitted)}"
    )
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=Path, default=None)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--config-dir", type=Path, default=ROOT / "config")
    parser.add_argument("-n", type=int, default=2000, help="texts to time (cycled if fewer)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    base = read_texts(args.texts)
    texts = [base[i % len(base)] for i in range(args.n)]
    mean_len = statistics.mean(len(t) for t in texts)
    print(f"{len(texts)} texts (mean {mean_len:.0f} chars), one core")

    rss0 = rss_mb()
    from moderation.scoring.classifier import Classifier, default_model_path
    from moderation.scoring.normalize import normalize

    path = default_model_path(args.models_dir)
    if path is None:
        sys.exit(f"no model artefact in {args.models_dir}")
    started = time.perf_counter()
    clf = Classifier.load(path)
    load_s = time.perf_counter() - started
    try:
        from moderation.scoring.rules import RuleFilter

        rules = RuleFilter.from_config(args.config_dir)
        analyze: Callable[[str], tuple[object, object]] = rules.analyze
        rules_note = rules.version
    except (ImportError, ValueError, OSError) as exc:
        analyze, rules_note = (lambda t: ([], normalize(t))), f"unavailable ({exc})"
    rss_model = rss_mb()
    print(
        f"model {clf.version}: {path.stat().st_size / 1e6:.1f} MB on disk, "
        f"loaded in {load_s:.2f} s; "
        f"RSS {rss0:.0f} MB before import, {rss_model:.0f} MB with model and rules loaded"
    )
    print(f"rules: {rules_note}")

    def ours_one(text: str) -> object:
        found, norm = analyze(text)  # what the pipeline runs: one pass for matches + respelling
        return clf.predict(norm, found)  # type: ignore[arg-type]

    def ours_batch(batch: Sequence[str]) -> object:
        pairs = [analyze(t) for t in batch]
        return clf.predict_batch([n for _, n in pairs], [f for f, _ in pairs])  # type: ignore[misc]

    from moderation.scoring.language import detect_language, warm_up
    from moderation.scoring.rules.languages import LanguageLists

    warm_up()
    lang_lists = LanguageLists.from_config(args.config_dir)

    def with_language(text: str) -> object:
        """What the pipeline adds per comment: detect its language, read its own list."""
        found = detect_language(text)
        lang_lists.find(text, found.code)
        return ours_one(text)

    def with_language_batch(batch: Sequence[str]) -> object:
        for text in batch:
            lang_lists.find(text, detect_language(text).code)
        return ours_batch(batch)

    def model_batch(batch: Sequence[str]) -> object:
        return clf.predict_proba([normalize(t).text for t in batch])

    normalized = {t: normalize(t).text for t in texts}

    def prepared_batch(batch: Sequence[str]) -> object:
        return clf.predict_proba([normalized[t] for t in batch])

    # Cold: a fresh model whose token cache holds only the words warmed at load time.
    cold = Classifier.load(path)
    started = time.perf_counter()
    for i in range(0, len(base), 256):
        cold.predict_proba([normalized.get(t) or normalize(t).text for t in base[i : i + 256]])
    cold_rate = len(base) / (time.perf_counter() - started)

    for text in texts[:50]:  # warm caches
        ours_one(text)
    results: dict[str, tuple[float, float]] = {}
    results["ours (rules + classifier)"] = (
        single_ms(ours_one, texts),
        batched_per_s(ours_batch, texts),
    )
    results["ours + languages"] = (
        single_ms(with_language, texts),
        batched_per_s(with_language_batch, texts),
    )
    site_model = bench_site_model(clf, rules if "rules" in locals() else None)
    if site_model is not None:

        def site_one(text: str) -> object:
            found, norm = analyze(text)
            return site_model.predict_batch([norm], [found])  # type: ignore[list-item]

        def site_batch(batch: Sequence[str]) -> object:
            pairs = [analyze(t) for t in batch]
            return site_model.predict_batch([n for _, n in pairs], [f for f, _ in pairs])  # type: ignore[misc]

        for text in texts[:50]:
            site_one(text)
        results["ours with a site model"] = (
            single_ms(site_one, texts),
            batched_per_s(site_batch, texts),
        )
    results["ours: normalize + classifier"] = (
        single_ms(lambda t: clf.predict(normalize(t)), texts),
        batched_per_s(model_batch, texts),
    )
    results["ours: classifier alone"] = (
        single_ms(lambda t: clf.predict_proba([normalized[t]]), texts),
        batched_per_s(prepared_batch, texts),
    )
    try:
        import profanity_check

        profanity_check.predict_prob(["warm up"])
        results["alt-profanity-check"] = (
            single_ms(lambda t: profanity_check.predict_prob([t]), texts),
            batched_per_s(lambda b: profanity_check.predict_prob(list(b)), texts),
        )
    except ImportError:
        print("note: alt-profanity-check not installed, skipped")
    try:
        from better_profanity import profanity

        profanity.load_censor_words()
        few = texts[: min(300, len(texts))]
        results["better-profanity"] = (
            single_ms(profanity.contains_profanity, few),
            batched_per_s(lambda b: [profanity.contains_profanity(t) for t in b], few),
        )
    except ImportError:
        print("note: better-profanity not installed, skipped")
    ours_ms, ours_rate = results["ours (rules + classifier)"]
    print(
        f"\n{'scorer':<28} {'median ms/comment':>18} {'comments/s batched':>19} "
        f"{'latency vs ours':>16} {'throughput vs ours':>19}"
    )
    for name, (ms, rate) in results.items():
        print(
            f"{name:<28} {ms:>18.3f} {rate:>19,.0f} "
            f"{ms / ours_ms:>15.2f}x {rate / ours_rate:>18.2f}x"
        )
    print(
        f"\nclassifier alone, first pass over {len(base)} distinct texts with a cold token "
        f"cache: {cold_rate:,.0f} comments/s batched"
    )
    print(f"RSS at end: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
