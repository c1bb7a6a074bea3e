"""``moderation train`` and ``moderation evaluate``. Work on files alone (no Flask app).

Heavy imports (scikit-learn, the corpora) happen inside the commands, so listing the commands
stays fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from moderation.scoring.normalize import Normalized
from moderation.scoring.types import Match

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULT_MODELS_DIR = PROJECT_ROOT / "models"
MODEL_NAME = "comment-classifier"


def _echo(message: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {message}", err=True)


@dataclass(frozen=True)
class TextPrep:
    """How texts reach the model: the rule filter's normaliser and (if any) its matcher."""

    normalize: Callable[[str], Normalized]
    find: Callable[[str], list[Match]] | None
    version: str


def text_prep(config_dir: Path) -> TextPrep:
    """The rule filter built from ``config_dir``, or plain :func:`normalize` and no rule
    features (with a warning) when it cannot be built."""
    from moderation.scoring.normalize import normalize

    try:
        from moderation.scoring.rules import RuleFilter

        rules = RuleFilter.from_config(config_dir)
    except (ImportError, ValueError, OSError) as exc:
        _echo(f"warning: rule filter unavailable ({exc}); using plain normalize()")
        return TextPrep(normalize, None, "normalize")
    return TextPrep(rules.deobfuscate, rules.find_for_classifier, rules.version)


#: The corpora folder, as both commands take it.
_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Folder holding the corpora (shared/corpus layout).",
)


@click.command("train")
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder holding the corpora (shared/corpus layout); required without --site.",
)
@click.option(
    "--site",
    "site_name",
    default=None,
    help="Fit SITE's model from its labels instead (gated; needs the service's settings).",
)
@click.option(
    "--promote/--no-promote",
    default=True,
    show_default=True,
    help="With --site: promote the candidate when it passes the gate.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_MODELS_DIR,
    show_default=True,
    help="Folder for the artefact and its model card.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--version", "model_version", default="1.2.0", show_default=True)
@click.option(
    "--source",
    "sources",
    multiple=True,
    help=(
        "Training source (repeatable); default: impermium, toxic_spans, olid, davidson, wiki, "
        "convabuse."
    ),
)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CONFIG_DIR,
    show_default=True,
    help="Where the rule filter's word lists are (its normaliser feeds the model).",
)
@click.option(
    "--source-weight",
    "source_weights",
    multiple=True,
    metavar="NAME=WEIGHT",
    help="Sample weight of a training source for every category (repeatable); overrides the "
    "defaults in TrainConfig (docs/model.md).",
)
@click.option(
    "--hold-out-authored",
    "holdout_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Leave 20 %% of each kind of the authored comments out of training and write them "
    "to this file in eval/ format, for `python bench/decisions.py --file` (an experiment: "
    "do not ship a model trained this way).",
)
@click.option("--skip-validation", is_flag=True, help="Do not fit the validation model first.")
@click.option("--skip-evaluation", is_flag=True, help="Do not score the evaluation sets.")
def train_command(
    data_dir: Path | None,
    site_name: str | None,
    promote: bool,
    out: Path,
    seed: int,
    model_version: str,
    sources: tuple[str, ...],
    config_dir: Path,
    source_weights: tuple[str, ...],
    holdout_path: Path | None,
    skip_validation: bool,
    skip_evaluation: bool,
) -> None:
    """Train the comment classifier and write models/<name>-<version>.npz plus its card;
    with --site, fit that site's model from its labels and run the promotion gate."""
    if site_name is not None:
        from flask.cli import ScriptInfo

        from moderation.cli.models import train_site

        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            train_site(site_name, seed, promote)
        return
    if data_dir is None:
        raise click.UsageError("--data-dir is required (or --site SITE)")
    from moderation.training import card as card_module
    from moderation.training.datasets import (
        DEFAULT_SOURCES,
        SOURCES,
        authored_holdout,
        load_training_corpus,
        read_authored,
    )
    from moderation.training.model import TrainConfig, library_versions
    from moderation.training.trainer import run_training

    started = time.time()
    weights = dict(TrainConfig().source_weights)
    weights.update(parse_source_weights(source_weights, SOURCES))
    config = TrainConfig(seed=seed, source_weights=weights)
    prep = text_prep(config_dir)
    _echo(f"loading corpora from {data_dir}")
    try:
        held: list[str] = []
        if holdout_path is not None:
            rows = authored_holdout(read_authored(), HOLDOUT_FRACTION, seed)
            write_holdout(holdout_path, rows)
            held = [row.example.text for row in rows]
            _echo(f"held out {len(rows)} authored comments -> {holdout_path}")
        corpus = load_training_corpus(data_dir, sources or DEFAULT_SOURCES, None, exclude=held)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    _echo(f"{len(corpus.examples):,} training texts after de-duplication and evaluation overlap")
    result = run_training(
        corpus,
        prep,
        config,
        data_dir=data_dir,
        policy_path=config_dir / "policy.yaml",
        version=f"{MODEL_NAME}-{model_version}",
        validate=not skip_validation,
        evaluate=not skip_evaluation,
        progress=_echo,
    )
    result.metadata["training_seconds"] = round(time.time() - started, 1)
    result.metadata["library_versions"] = library_versions()
    paths = card_module.write(result, out, MODEL_NAME, model_version)
    for path in paths:
        _echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


#: Share of each authored kind that ``--hold-out-authored`` leaves out.
HOLDOUT_FRACTION = 0.2


def parse_source_weights(pairs: tuple[str, ...], known: Any) -> dict[str, float]:
    """``("authored=3", ...)`` -> ``{"authored": 3.0}``; a bad pair is a usage error naming it."""
    weights: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not sep or name not in known or not 0 <= weight <= 100:
            raise click.BadParameter(
                f"{pair!r}: expected NAME=WEIGHT with NAME one of {', '.join(known)} and "
                "WEIGHT between 0 and 100",
                param_hint="--source-weight",
            )
        weights[name] = weight
    return weights


def write_holdout(path: Path, rows: Any) -> None:
    """Held-out authored comments in the eval/ format bench/decisions.py reads."""
    lines = [
        json.dumps(
            {
                "id": row.origin,
                "text": row.example.text,
                "label": "violation" if row.violation else "clean",
                "kind": row.kind,
            },
            ensure_ascii=False,
        )
        for row in rows
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@click.command("evaluate")
@_data_dir_option
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Artefact to evaluate (default: the one models/ would serve).",
)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CONFIG_DIR,
    show_default=True,
    help="Holds policy.yaml (thresholds) and the rule filter's word lists.",
)
@click.option(
    "--hold",
    type=float,
    default=0.5,
    show_default=True,
    help="Hold threshold for categories policy.yaml does not set.",
)
@click.option(
    "--reject",
    type=float,
    default=0.85,
    show_default=True,
    help="Reject threshold for categories policy.yaml does not set.",
)
@click.option(
    "--peers/--no-peers",
    default=True,
    show_default=True,
    help="Score the same rows with better-profanity and alt-profanity-check.",
)
@click.option(
    "--spans/--no-spans",
    default=True,
    show_default=True,
    help="Measure explanation spans against tsd_test gold spans.",
)
@click.option(
    "--json-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the results as JSON.",
)
def evaluate_command(
    data_dir: Path,
    model_path: Path | None,
    config_dir: Path,
    hold: float,
    reject: float,
    peers: bool,
    spans: bool,
    json_out: Path | None,
) -> None:
    """Score the evaluation-only sets: ROC AUC, PR AUC, recall/FPR at the policy thresholds,
    side by side with better-profanity and alt-profanity-check on the same rows."""
    from moderation.scoring.classifier import Classifier, ModelLoadError, default_model_path
    from moderation.training.datasets import load_evaluation_sets, read_span_posts
    from moderation.training.evaluate import (
        evaluate_sets,
        format_table,
        load_peers,
        policy_thresholds,
        span_quality,
    )

    try:
        path = model_path or default_model_path(DEFAULT_MODELS_DIR)
        if path is None:
            raise click.ClickException(f"no model artefact in {DEFAULT_MODELS_DIR}; pass --model")
        classifier = Classifier.load(path)
    except ModelLoadError as exc:
        raise click.ClickException(str(exc)) from None
    prep = text_prep(config_dir)
    trained_normalizer = classifier.metadata.get("normalizer")
    if trained_normalizer and trained_normalizer != prep.version:
        _echo(
            f"warning: model trained with rule filter {trained_normalizer}, "
            f"evaluating with {prep.version}"
        )
    thresholds = policy_thresholds(config_dir / "policy.yaml", hold, reject)
    sets = load_evaluation_sets(data_dir)
    if not sets:
        raise click.ClickException(f"no evaluation files found under {data_dir}")
    peer_list, notes = load_peers(_echo) if peers else ([], ["peers skipped (--no-peers)"])
    rows = evaluate_sets(classifier, sets, prep, thresholds, peer_list, _echo)
    click.echo(
        f"model {classifier.version} ({path}); thresholds (hold, reject): "
        + ", ".join(f"{k} {v[0]:.2f}/{v[1]:.2f}" for k, v in thresholds.items())
    )
    click.echo(format_table(rows))
    for note in notes:
        click.echo(f"note: {note}")
    span_result: dict[str, float] = {}
    tsd = data_dir / "toxic_spans" / "tsd_test.csv"
    if spans and tsd.exists():
        _echo("span F1 on tsd_test.csv")
        span_result = span_quality(classifier, read_span_posts(tsd), prep, thresholds, _echo)
        click.echo(
            "span F1 (SemEval-2021 Task 5, tsd_test): "
            + ", ".join(f"{k} {v:.4f}" for k, v in span_result.items())
        )
    if json_out is not None:
        payload: dict[str, Any] = {
            "model": classifier.version,
            "thresholds": thresholds,
            "rows": [
                {
                    "set": r.set_name,
                    "target": r.target,
                    "n": r.n,
                    "positives": r.positives,
                    "scorer": r.scorer,
                    **r.metrics.as_dict(),
                }
                for r in rows
            ],
            "span_f1": span_result,
            "notes": notes,
        }
        json_out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
