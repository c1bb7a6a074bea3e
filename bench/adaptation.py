"""Site adaptation: replay a labelled public set as a site's moderator decisions.

    python bench/adaptation.py --data-dir ../shared/corpus [--sets impermium_test,...]
                               [--steps 100,200,400,700,1000] [--timing 10000]

For each evaluation-only set (the general model never trained on it; see the corpus INDEX.md):
the rows, in an order fixed by ``--seed`` (none of these sets has usable timestamps, and some
are sorted by label), are the site's moderation history. The first rows are the labels the
site's moderators give, in order; the last 40 % (at least 250 rows) are the site's other
comments, on which the general model and the site model are compared (ROC AUC of the set's
target: ``attack`` for Impermium and tsd_test_attack, ``hate`` for ETHOS, the highest
category for OLID). After each step the labels so far go through
the real path: ``moderation feedback import`` then ``moderation train --site`` (fit + gate,
the gate's shared sets being the repository's ``eval/``), in a throw-away instance (SQLite and
site models in a temporary folder). Prints the AUCs and the gate's decision per step.

``--timing N`` also imports N labels (from the general model's own training sets plus the
evaluation sets: timing only, no AUC) and times ``train --site`` on one core.

A benchmark that prints, not a test. Nothing is downloaded.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: name -> target (the category the set's label means; "any": the highest category).
SETS = {
    "impermium_verification": "attack",
    "impermium_test": "attack",
    "ethos_hate": "hate",
    "olid_test_a": "any",
    "tsd_test_attack": "attack",
}
STEPS = (100, 200, 400, 700, 1000)
#: The last EVAL_SHARE of a set (at least EVAL_MIN rows) is the site's "other comments".
EVAL_SHARE = 0.4
EVAL_MIN = 250


def make_app(folder: Path) -> Any:
    from flask_migrate import upgrade

    from moderation.app import create_app

    app = create_app(
        {
            "database_url": f"sqlite:///{folder / 'bench.sqlite3'}",
            "instance_path": str(folder / "instance"),
            "config_dir": str(ROOT / "config"),
            "models_dir": str(ROOT / "models"),
            "site_models_dir": str(folder / "site-models"),
            "log_level": "WARNING",
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    return app


def cli(app: Any, *args: str) -> str:
    from moderation.cli import main

    result = app.test_cli_runner().invoke(main, list(args))
    if result.exit_code != 0:
        raise SystemExit(f"moderation {' '.join(args)} failed:\n{result.output}")
    return str(result.output)


def label_line(ident: str, text: str, y: int, target: str) -> dict[str, object]:
    if target == "any":  # OFF/NOT: a violation of no named category
        return {"comment_id": ident, "text": text, "violation": bool(y)}
    return {"comment_id": ident, "text": text, "violation": bool(y), "labels": {target: y}}


def auc_of(y: list[int], probs: Any, categories: Any, target: str) -> float:
    from sklearn.metrics import roc_auc_score

    column = (
        probs.max(axis=1) if target == "any" else probs[:, list(map(str, categories)).index(target)]
    )
    return float(roc_auc_score(y, column))


def replay(name: str, texts: list[str], ys: list[int], target: str, steps: list[int]) -> None:
    from moderation import configured
    from moderation.scoring.site_model import SiteModel, SiteModelStore
    from moderation.services import sites
    from moderation.training import site as trainer

    cut = (
        len(texts) - max(EVAL_MIN, int(len(texts) * EVAL_SHARE))
        if len(texts) > 1250
        else len(texts) - EVAL_MIN
    )
    eval_texts, eval_y = texts[cut:], ys[cut:]
    usable = [n for n in steps if n <= cut]
    print(
        f"\n## {name}: {len(texts)} rows ({sum(ys)} positive), labels from the first {cut}, "
        f"evaluated on the last {len(eval_texts)} ({sum(eval_y)} positive), target {target}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = make_app(folder)
        with app.app_context():
            sites.create_site("bench")
            pipeline = configured.pipeline()
            general = pipeline.classifier
            assert general is not None
            prepared = trainer.prepare(eval_texts, pipeline.rules, general)
            general_auc = auc_of(eval_y, prepared.base, general.categories, target)
        store = SiteModelStore(folder / "site-models")
        done = 0
        print(
            f"{'labels':>6} {'general AUC':>11} {'site AUC':>9} {'delta':>7} {'train s':>8}  gate"
        )
        for n in usable:
            path = folder / f"labels-{n}.jsonl"
            path.write_text(
                "\n".join(
                    json.dumps(label_line(f"{name}-{i}", texts[i], ys[i], target))
                    for i in range(done, n)
                )
                + "\n",
                encoding="utf-8",
            )
            cli(app, "feedback", "import", "bench", str(path))
            done = n
            started = time.perf_counter()
            out = cli(app, "train", "--site", "bench")
            seconds = time.perf_counter() - started
            version = max(store.versions("bench"), key=lambda c: int(c["number"]))["version"]
            with app.app_context():
                candidate = SiteModel(general, store.weights("bench", version))
            site_auc = auc_of(
                eval_y, trainer.predict(candidate, prepared), general.categories, target
            )
            verdict = out.strip().splitlines()[-1]
            print(
                f"{n:>6} {general_auc:>11.3f} {site_auc:>9.3f} {site_auc - general_auc:>+7.3f} "
                f"{seconds:>8.1f}  {verdict}"
            )


def timing(data_dir: Path, n: int) -> None:
    from moderation.services import sites
    from moderation.training.datasets import (
        load_evaluation_sets,
        read_impermium,
        read_olid,
    )

    rows: list[tuple[str, int]] = list(read_impermium(data_dir / "impermium_insults" / "train.csv"))
    for found in load_evaluation_sets(data_dir):
        if found.name in SETS:
            rows.extend(zip(found.texts, found.labels, strict=True))
    olid = read_olid(data_dir / "olid" / "olid-training-v1.0.tsv")
    rows.extend((r["tweet"], int(r["subtask_a"] == "OFF")) for r in olid)
    rows = [(t, y) for t, y in rows if t.strip() and len(t) <= 10_000][:n]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = make_app(folder)
        with app.app_context():
            sites.create_site("bench")
        path = folder / "labels.jsonl"
        path.write_text(
            "\n".join(
                json.dumps({"comment_id": str(i), "text": t, "violation": bool(y)})
                for i, (t, y) in enumerate(rows)
            )
            + "\n",
            encoding="utf-8",
        )
        started = time.perf_counter()
        cli(app, "feedback", "import", "bench", str(path))
        imported = time.perf_counter() - started
        started = time.perf_counter()
        cli(app, "train", "--site", "bench")
        trained = time.perf_counter() - started
    print(
        f"\n## timing: {len(rows)} labels: import {imported:.1f} s, train --site "
        f"(fit + gate on eval/) {trained:.1f} s, one core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--steps", default=",".join(map(str, STEPS)))
    parser.add_argument("--seed", type=int, default=0, help="Fixes the replay order.")
    parser.add_argument("--timing", type=int, default=0, help="Also time training on N labels.")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from moderation.training.datasets import load_evaluation_sets

    steps = [int(s) for s in args.steps.split(",")]
    wanted = args.sets.split(",")
    found = {s.name: s for s in load_evaluation_sets(args.data_dir)}
    for name in wanted:
        if name not in found:
            raise SystemExit(f"{name}: not found under {args.data_dir}")
        target = SETS.get(name, found[name].target)
        order = list(range(len(found[name].texts)))
        random.Random(args.seed).shuffle(order)
        texts = [found[name].texts[i] for i in order]
        labels = [found[name].labels[i] for i in order]
        replay(name, texts, labels, target, steps)
    if args.timing:
        timing(args.data_dir, args.timing)


if __name__ == "__main__":
    main()
