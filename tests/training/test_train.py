from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from moderation.scoring.classifier import Classifier
from moderation.scoring.normalize import normalize
from moderation.scoring.types import Category, Match, Severity
from moderation.training.cli import evaluate_command, train_command
from moderation.training.datasets import Example
from moderation.training.model import CategorySpec, TrainConfig, export, fit
from tests.training import corpus_fixture as cf


@pytest.fixture(scope="module")
def trained(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models")
    result = CliRunner().invoke(
        train_command,
        ["--data-dir", str(corpus_dir), "--out", str(out), "--seed", "0", "--version", "0.0.1"],
    )
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_artefact_and_card(trained: Path) -> None:
    artefact = trained / "comment-classifier-0.0.1.npz"
    card = json.loads((trained / "comment-classifier-0.0.1.card.json").read_text())
    assert artefact.is_file()
    assert (trained / "comment-classifier-0.0.1.card.md").read_text().startswith("# Model card")
    assert set(card["sources"]) == {
        "impermium",
        "toxic_spans",
        "olid",
        "davidson",
        "wiki",
        "convabuse",
        "authored",
    }
    assert card["sources"]["authored"]["licence"].startswith("MIT")
    assert all(info["licence"] for info in card["sources"].values())
    assert card["library_versions"]["scikit-learn"]
    assert card["config"]["seed"] == 0
    assert card["lean_vs_sklearn_max_abs_diff"] < 1e-4
    assert {r["set"] for r in card["evaluation"]} >= {"impermium_test", "olid_test_a"}
    assert "validation" in card
    assert "any (max)/olid offensive" in card["validation"]["per_source"]
    assert card["config"]["categories"]["attack"]["block_groups"]
    clf = Classifier.load(artefact)
    assert clf.version == "comment-classifier-0.0.1"
    assert clf.load_seconds < 2


def test_training_is_deterministic(corpus_dir: Path, trained: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        train_command,
        [
            "--data-dir",
            str(corpus_dir),
            "--out",
            str(tmp_path),
            "--version",
            "0.0.1",
            "--skip-evaluation",
        ],
    )
    assert result.exit_code == 0, result.output
    a = Classifier.load(trained / "comment-classifier-0.0.1.npz")
    b = Classifier.load(tmp_path / "comment-classifier-0.0.1.npz")
    texts = ["you are an idiot", "nice weather", "fuck this"]
    np.testing.assert_array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_trained_model_learns_the_fixture(trained: Path) -> None:
    clf = Classifier.load(trained / "comment-classifier-0.0.1.npz")
    insult = clf.predict(normalize("Shut up, you moron"))
    polite = clf.predict(normalize("I disagree with the plan for the harbor."))
    assert insult["attack"] > polite["attack"]


def test_evaluate_prints_table_with_peers(corpus_dir: Path, trained: Path) -> None:
    result = CliRunner().invoke(
        evaluate_command,
        [
            "--data-dir",
            str(corpus_dir),
            "--model",
            str(trained / "comment-classifier-0.0.1.npz"),
            "--config-dir",
            str(corpus_dir / "no-config"),
            "--hold",
            "0.4",
            "--reject",
            "0.9",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in ("impermium_test", "olid_test_ind", "better-profanity", "alt-profanity-check"):
        assert name in result.output
    assert "attack 0.40/0.90" in result.output
    assert "span F1" in result.output


def _fake_matches(text: str) -> list[Match]:
    """Stand-in rule hits: one strong profanity match per swear word."""
    return [
        Match(w, Category.PROFANITY, Severity.STRONG, 0, 1)
        for w in text.split()
        if w.strip(",") in cf.SWEARS
    ]


def test_lean_inference_equals_sklearn() -> None:
    rng = random.Random(1)
    makers = [
        (cf.clean, {}),
        (cf.insult, {"attack": 1}),
        (cf.swear, {"profanity": 1}),
        (cf.threat, {"threat": 1}),
        (cf.hate, {"hate": 1}),
    ]
    examples = []
    for i in range(150):
        maker, positive = makers[i % 5]
        labels = {
            c: int(positive.get(str(c), 0)) for c in ("profanity", "attack", "threat", "hate")
        }
        examples.append(Example(maker(rng), "fixture", labels))  # type: ignore[arg-type]
    texts = [normalize(e.text).text for e in examples]
    matches = [_fake_matches(t) for t in texts]
    model = fit(examples, texts, TrainConfig(calibration_folds=2), matches=matches)
    assert model.uses_rules
    clf = Classifier(export(model, "t-0", {}))
    assert clf.rules_offset is not None
    probe = [*texts[:20], "brand new words only", "", "you you you idiot idiot", "shit, fuck"]
    probe_matches = [_fake_matches(t) for t in probe]
    expected = model.predict_proba(probe, probe_matches)
    np.testing.assert_allclose(clf.predict_proba(probe, probe_matches), expected, atol=1e-5)
    single = np.array(
        [
            list(clf.predict(normalize(t), m).values())
            for t, m in zip(probe, probe_matches, strict=True)
        ]
    )
    np.testing.assert_allclose(single, expected, atol=1e-5)
    # Without matches the rules block is zero, as for a text with no word-list hit.
    np.testing.assert_allclose(
        clf.predict_proba(probe[:3]), model.predict_proba(probe[:3], [[], [], []]), atol=1e-5
    )


def test_calibration_on_held_out_fixture() -> None:
    """Noisy labels (20 % flipped): mean predicted attack probability tracks the observed rate."""
    rng = random.Random(7)

    def sample(n: int) -> list[Example]:
        out = []
        for _ in range(n):
            is_insult = rng.random() < 0.3
            text = cf.insult(rng) if is_insult else cf.clean(rng)
            label = int(is_insult) if rng.random() > 0.2 else 1 - int(is_insult)
            out.append(
                Example(
                    text,
                    "fixture",
                    {
                        "attack": label,
                        "profanity": int(rng.random() < 0.1),  # type: ignore[dict-item]
                        "threat": int(rng.random() < 0.1),
                        "hate": int(rng.random() < 0.1),
                    },
                )
            )
        return out

    train, held_out = sample(400), sample(300)
    model = fit(train, [normalize(e.text).text for e in train], TrainConfig())
    clf = Classifier(export(model, "t-0", {}))
    probs = clf.predict_proba([normalize(e.text).text for e in held_out])[:, 1]
    observed = np.array([e.labels["attack"] for e in held_out])  # type: ignore[index]
    assert abs(probs.mean() - observed.mean()) < 0.06
    insult_rows = probs > 0.5
    assert abs(probs[insult_rows].mean() - observed[insult_rows].mean()) < 0.12


def test_source_offsets_and_block_groups() -> None:
    """A source that is mostly positive gets its own intercept, which the served model drops;
    block groups give one model per group, averaged into one coefficient vector."""
    rng = random.Random(2)
    examples = []
    for i in range(200):
        source = "skewed" if i % 2 else "plain"
        positive = rng.random() < (0.8 if source == "skewed" else 0.2)
        text = cf.insult(rng) if positive else cf.clean(rng)
        labels = {c: 0 for c in ("profanity", "threat", "hate")} | {"attack": int(positive)}
        labels["profanity"] = int(i % 5 == 0)
        labels["threat"] = int(i % 7 == 0)
        labels["hate"] = int(i % 9 == 0)
        examples.append(Example(text, source, labels))  # type: ignore[arg-type]
    texts = [normalize(e.text).text for e in examples]
    spec = CategorySpec(C=1.0, source_offsets=("skewed",), block_groups=(("word",), ("char",)))
    config = TrainConfig(calibration_folds=2, categories={"attack": spec})
    model = fit(examples, texts, config)
    assert set(model.source_offsets[Category.ATTACK]) == {"skewed"}
    assert model.source_offsets[Category.PROFANITY] == {}
    # Both groups contributed: word and char columns carry weight.
    word_cols = len(model.vectorizers[0][2].vocabulary_)
    weights = model.weights[Category.ATTACK]
    assert np.abs(weights[:word_cols]).sum() > 0 and np.abs(weights[word_cols:]).sum() > 0
    clf = Classifier(export(model, "t-0", {}))
    np.testing.assert_allclose(
        clf.predict_proba(texts[:30]), model.predict_proba(texts[:30]), atol=1e-5
    )
    assert config.as_dict()["categories"]["attack"]["source_offsets"] == ["skewed"]


@pytest.mark.parametrize("pair", ["authored", "nosuch=2", "authored=x", "authored=-1"])
def test_a_bad_source_weight_is_a_usage_error(corpus_dir: Path, pair: str) -> None:
    result = CliRunner().invoke(
        train_command, ["--data-dir", str(corpus_dir), "--source-weight", pair]
    )
    assert result.exit_code == 2
    assert "--source-weight" in result.output
    assert repr(pair) in result.output


def test_write_holdout_gives_the_eval_format(tmp_path: Path) -> None:
    from moderation.training.cli import write_holdout
    from moderation.training.datasets import authored_holdout, read_authored

    rows = authored_holdout(read_authored(), 0.2)
    path = tmp_path / "held.jsonl"
    write_holdout(path, rows)
    written = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [w["text"] for w in written] == [r.example.text for r in rows]
    assert {w["label"] for w in written} == {"clean", "violation"}
    assert all(
        (w["label"] == "violation") == r.violation and w["kind"] == r.kind
        for w, r in zip(written, rows, strict=True)
    )
