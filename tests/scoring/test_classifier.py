from __future__ import annotations

import os
import random
import time
from pathlib import Path

import numpy as np
import pytest

from moderation.scoring.classifier import Classifier, ModelLoadError, default_model_path, unpack
from moderation.scoring.normalize import Normalized, normalize
from moderation.scoring.types import Category
from moderation.training.datasets import Example
from moderation.training.model import CategorySpec, TrainConfig, export, fit, save
from tests.training import corpus_fixture as cf

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "models"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(3)
    makers = [
        (cf.clean, ""),
        (cf.insult, "attack"),
        (cf.swear, "profanity"),
        (cf.threat, "threat"),
        (cf.hate, "hate"),
        (cf.clean, ""),
    ]
    examples = []
    for i in range(240):
        maker, positive = makers[i % len(makers)]
        labels = {c: int(str(c) == positive) for c in Category if c != Category.SPAM}
        examples.append(Example(maker(rng), "fixture", labels))
    specs = {str(c): CategorySpec(C=10.0) for c in Category if c != Category.SPAM}
    config = TrainConfig(calibration_folds=2, categories=specs)
    model = fit(examples, [normalize(e.text).text for e in examples], config)
    path = tmp_path_factory.mktemp("tiny") / "tiny-0.0.1.npz"
    save(export(model, "tiny-0.0.1", {"normalizer": "normalize"}), path)
    return path


def test_load_and_predict(tiny: Path) -> None:
    clf = Classifier.load(tiny)
    assert clf.version == "tiny-0.0.1"
    assert clf.categories == (Category.PROFANITY, Category.ATTACK, Category.THREAT, Category.HATE)
    probs = clf.predict(normalize("You are such an IDIOT"))
    assert set(probs) == set(clf.categories)
    assert all(0.0 <= p <= 1.0 for p in probs.values())
    batch = clf.predict_batch([normalize("You are such an IDIOT"), normalize("")])
    assert batch[0] == pytest.approx(probs)
    assert clf.predict_batch([]) == []


def test_sklearn_version_mismatch_is_a_clear_error(tiny: Path, tmp_path: Path) -> None:
    with np.load(tiny, allow_pickle=False) as stored:
        arrays = unpack({name: stored[name] for name in stored.files})
    arrays["sklearn_version"] = "0.24.2"
    faked = tmp_path / "faked.npz"
    save(arrays, faked)
    with pytest.raises(ModelLoadError, match=r"faked\.npz.*scikit-learn 0\.24\.2.*this process"):
        Classifier.load(faked)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        Classifier.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ModelLoadError, match=r"bad\.npz: cannot read"):
        Classifier.load(bad)


def test_explanations_point_at_the_original_text(tiny: Path) -> None:
    clf = Classifier.load(tiny)
    original = "Well,  you are an 1D10T!!"
    # What the rule filter's deobfuscator yields: case-folded, "1d10t" respelt "idiot".
    norm = normalize(original)
    text = norm.text.replace("1d10t", "idiot")
    assert len(text) == len(norm.text)
    evidence = clf.explain(Normalized(text, norm.offsets), [Category.ATTACK], min_relative=0.0)
    spans = [original[e.start : e.end] for e in evidence]
    assert "1D10T" in spans
    assert all(span.isalnum() for span in spans)  # whole words of the original
    assert all(e.category is Category.ATTACK and e.weight > 0 for e in evidence)
    assert evidence == sorted(evidence, key=lambda e: -e.weight)
    assert next(e for e in evidence if original[e.start : e.end] == "1D10T").feature


def test_explanations_through_unicode_normalisation(tiny: Path) -> None:
    clf = Classifier.load(tiny)
    idiot = "\uff49\uff44\uff49\uff4f\uff54"  # full-width letters
    original = f"\uff59\uff4f\uff55 are an {idiot}"
    evidence = clf.explain(normalize(original), [Category.ATTACK], top_k=3)
    assert idiot in {original[e.start : e.end] for e in evidence}


def test_explain_with_rule_filter_if_configured(tiny: Path) -> None:
    rules_mod = pytest.importorskip("moderation.scoring.rules")
    try:
        rules = rules_mod.RuleFilter.from_config(ROOT / "config")
    except ValueError as exc:
        pytest.skip(f"word lists not configured: {exc}")
    original = "Shut up you f*cking 1d10t"
    clf = Classifier.load(tiny)
    evidence = clf.explain(rules.deobfuscate(original), [Category.PROFANITY, Category.ATTACK])
    spans = {original[e.start : e.end] for e in evidence}
    assert spans & {"f*cking", "1d10t", "you"}


def test_default_model_path(tmp_path: Path, tiny: Path) -> None:
    assert default_model_path(tmp_path) is None
    older, newer = tmp_path / "m-1.0.0.npz", tmp_path / "m-1.1.0.npz"
    older.write_bytes(b"x")
    newer.write_bytes(b"x")
    now = time.time()
    os.utime(older, (now - 100, now - 100))
    assert default_model_path(tmp_path) == newer
    (tmp_path / "CURRENT").write_text("m-1.0.0\n")
    assert default_model_path(tmp_path) == older
    (tmp_path / "CURRENT").write_text("m-9.npz")
    with pytest.raises(ModelLoadError, match=r"m-9\.npz"):
        default_model_path(tmp_path)


# ------------------------------------------------------------------ the shipped artefact


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    path = default_model_path(SHIPPED)
    assert path is not None, "no artefact in models/: run `moderation train`"
    started = time.perf_counter()
    clf = Classifier.load(path)
    assert time.perf_counter() - started < 2.0
    assert clf.version == "comment-classifier-1.0.0"
    assert path.stat().st_size <= 25 * 1024 * 1024
    return clf


@pytest.mark.parametrize(
    ("category", "worse", "better"),
    [
        (
            Category.ATTACK,
            "You are a pathetic idiot and a liar.",
            "I respectfully disagree with your reading of the report.",
        ),
        (Category.ATTACK, "Only a moron would believe this.", "Only a few people believe this."),
        (
            Category.ATTACK,
            "You have the IQ of a potato.",
            "You have a point about the potato harvest.",
        ),
        (
            Category.THREAT,
            "I know where you live and I will hurt you.",
            "I am very unhappy with the slow bus service.",
        ),
        (Category.PROFANITY, "This weather is absolute shit.", "This weather is absolutely awful."),
        (
            Category.HATE,
            "Immigrants are vermin and should be thrown out.",
            "Immigrants opened three new shops on Main Street.",
        ),
    ],
)
def test_shipped_model_orders_obvious_cases(
    shipped: Classifier, category: Category, worse: str, better: str
) -> None:
    assert (
        shipped.predict(normalize(worse))[category] > shipped.predict(normalize(better))[category]
    )


def test_shipped_model_is_calm_about_clean_text(shipped: Classifier) -> None:
    probs = shipped.predict(normalize("Thanks for the update on the library opening hours."))
    assert max(probs.values()) < 0.2
