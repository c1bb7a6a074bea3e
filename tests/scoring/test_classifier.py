from __future__ import annotations

import os
import random
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.scoring.classifier import (
    DEFAULT_NGRAMS,
    Classifier,
    ModelLoadError,
    char_wb_grams,
    default_model_path,
    feature_spans,
    token_char_grams,
    unpack,
    word_grams,
)
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
    assert clf.version == "comment-classifier-1.2.0"
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


# ------------------------------------------------------------------ the fast path


def _fixture_examples(n: int = 150) -> list[Example]:
    rng = random.Random(5)
    makers = [(cf.clean, ""), (cf.insult, "attack"), (cf.swear, "profanity")]
    makers += [(cf.threat, "threat"), (cf.hate, "hate")]
    examples = []
    for i in range(n):
        maker, positive = makers[i % len(makers)]
        labels = {c: int(str(c) == positive) for c in Category if c != Category.SPAM}
        examples.append(Example(maker(rng), "ab"[i % 7 == 0], labels))
    return examples


PROBES = [
    "",
    "   ",
    "you are an idiot idiot idiot, you moron",
    "shit\tshit\u00a0shit \x1cfuck\u2003it",  # tabs, NBSP, a file separator, an em space
    "brand new words only: zyxwv qwerty",
    "a",
    "you",
    "the budget, the budget, the budget!!! you clown",
    "i will hurt you if you keep posting about the harbor",
    "immigrants are vermin, forget the library",
]


@pytest.mark.parametrize(
    ("ngrams", "ensemble"), [(None, False), ({"word": (1, 3), "char": (1, 6)}, True)]
)
def test_fast_path_equals_sklearn(
    ngrams: dict[str, tuple[int, int]] | None, ensemble: bool
) -> None:
    examples = _fixture_examples()
    texts = [normalize(e.text).text for e in examples]
    groups = (("word", "you"), ("char",)) if ensemble else ()
    specs = {
        str(c): CategorySpec(
            C=3.0, nb=str(c) == "attack", source_offsets=("b",), block_groups=groups
        )
        for c in Category
        if c != "spam"
    }
    config = TrainConfig(calibration_folds=2, categories=specs, ngrams=ngrams or DEFAULT_NGRAMS)
    model = fit(examples, texts, config)
    clf = Classifier(export(model, "t-0", {}))
    probe = [*texts[:40], *PROBES, *PROBES]  # repeated texts: the token cache is warm then
    expected = model.predict_proba(probe)
    np.testing.assert_allclose(clf.predict_proba(probe), expected, atol=1e-5)
    singles = np.array([list(clf.predict(normalize(t)).values()) for t in probe])
    np.testing.assert_allclose(
        singles, model.predict_proba([normalize(t).text for t in probe]), atol=1e-5
    )
    rows, cols, values = clf.transform(probe)
    reference = model.transform(probe)
    np.testing.assert_allclose(
        np.asarray(reference[rows, cols]).ravel(), values, rtol=1e-5, atol=1e-6
    )
    assert len(values) == reference.nnz


def test_token_cache_is_bounded(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clf = Classifier.load(tiny)
    expected = clf.predict_proba(PROBES)
    monkeypatch.setattr("moderation.scoring.classifier.TOKEN_CACHE_LIMIT", 3)
    fresh = Classifier.load(tiny)
    np.testing.assert_allclose(fresh.predict_proba(PROBES), expected, atol=1e-12)
    assert 0 < fresh.cached_tokens() <= 3 + len(fresh._warm_tokens)


@given(st.text(alphabet=st.sampled_from("ab \t\n\u00a0\u2003\x1c\x85.'"), max_size=30))
def test_char_grams_split_like_the_regex(text: str) -> None:
    expected = [g for tok in re.findall(r"\S+", text) for g in token_char_grams(tok)]
    assert char_wb_grams(text) == expected
    assert [g for g, _, _ in feature_spans("char", text)] == expected
    assert [g for g, _, _ in feature_spans("word", text, (1, 3))] == word_grams(text, 3)


def _explain_by_occurrence(model: Any, normalized: Any, categories: list[str]) -> list[Any]:
    """The explanation computed the direct way: every occurrence of every gram adds its
    share to each character it covers, one at a time (what :meth:`explain` vectorises)."""
    from collections import Counter

    from moderation.scoring.classifier import _WORD, EXPLAIN_RELATIVE, MIN_WEIGHT

    wanted = [model.categories.index(c) for c in categories]
    text = normalized.text
    weight = np.zeros((len(text) + 1, len(wanted)))
    found: list[tuple[int, int, str, Any]] = []
    _, cols, values = model.transform([text])
    value_of = dict(zip(cols.tolist(), values.astype(np.float32), strict=True))
    for block in model._blocks:
        occurrences = feature_spans(block.name, text, block.ngram)
        per_gram = Counter(g for g, _, _ in occurrences)
        for gram, start, end in occurrences:
            col = block.vocabulary.get(gram)
            if col is None or end <= start:
                continue
            contrib = value_of[col] * model._coef[col, wanted].astype(np.float64)
            share = contrib * model._slope[wanted] / (per_gram[gram] * (end - start))
            weight[start:end] += share
            found.append((start, end, gram, share * (end - start)))
    out = []
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    for j, index in enumerate(wanted):
        scored = [(float(weight[s:e, j].sum()), s, e) for s, e in words]
        scored = [w for w in scored if w[0] > 0]
        if not scored:
            continue
        floor = max(MIN_WEIGHT, EXPLAIN_RELATIVE * max(w[0] for w in scored))
        for w, s, e in sorted((w for w in scored if w[0] >= floor), reverse=True)[:5]:
            top = max((g[3][j], g[2]) for g in found if g[0] < e and g[1] > s)
            start, end = normalized.original_span(s, e)
            out.append((model.categories[index], start, end, w, top[1].strip()))
    return out


def test_explain_matches_the_occurrence_by_occurrence_sum() -> None:
    path = default_model_path(ROOT / "models")
    if path is None:
        pytest.skip("no shipped model")
    model = Classifier.load(path)
    texts = [
        "You are a pathetic idiot and everyone here knows it.",
        "I will find you and break your jaw, you clown.",
        "The council's plan is a disaster; vote them out.",
        "Typical of those people, they ruin every neighbourhood they move into.",
        "F*ck off, you absolute moron!!! Nobody asked you.",
        "Thanks for the article, very informative.",
    ]
    explained = 0
    for raw in texts:
        normalized = normalize(raw)
        got = model.explain(normalized, list(model.categories))
        want = _explain_by_occurrence(model, normalized, list(model.categories))
        assert [(e.category, e.start, e.end, e.feature) for e in got] == [
            (c, s, e, f) for c, s, e, _, f in want
        ]
        assert [e.weight for e in got] == pytest.approx([w for _, _, _, w, _ in want], abs=1e-9)
        explained += len(got)
    assert explained >= 6
