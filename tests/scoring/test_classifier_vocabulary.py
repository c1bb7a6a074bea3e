"""The compact vocabulary (issue 14) answers exactly what a plain dict of the grams did."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moderation.scoring.classifier import Classifier, Vocabulary, default_model_path, unpack
from moderation.scoring.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]


def _shipped() -> Path:
    path = default_model_path(ROOT / "models")
    if path is None:
        pytest.skip("no shipped model")
    return path


def _reference(raw: bytes, offset: int) -> tuple[dict[str, int], tuple[str, ...]]:
    text = raw.decode("utf-8")
    terms = tuple(text.split("\n")) if text else ()
    return dict(zip(terms, range(offset, offset + len(terms)), strict=True)), terms


def test_small_vocabulary_matches_a_dict() -> None:
    raw = "b\na\nü ß\n\nа\na".encode()
    vocab = Vocabulary(raw, 7)
    ref, terms = _reference(raw, 7)
    assert vocab.size == len(terms) == 6
    assert vocab.terms() == terms
    for gram in [*terms, "c", "A", "ü", "ß", "aa", " ", "а"]:
        assert vocab.get(gram) == ref.get(gram)
    grams = [*terms, "zz", "a", "b", "x"]
    assert vocab.columns(grams) == [c for g in grams if (c := ref.get(g)) is not None]
    assert Vocabulary(b"", 0).get("a") is None
    probes = [*terms, "zz", "a", "", "x"]
    assert vocab.lookup(probes) == [ref.get(g) for g in probes]
    assert Vocabulary(b"", 0).lookup(["a", "b"]) == [None, None]
    assert Vocabulary(b"", 0).columns(["a"]) == []


def test_shipped_vocabularies_match_a_dict() -> None:
    with np.load(_shipped(), allow_pickle=False) as stored:
        arrays = unpack({name: stored[name] for name in stored.files})
    offset = 0
    for spec in arrays["blocks"]:
        raw = np.asarray(spec["vocabulary"], dtype=np.uint8).tobytes()
        vocab = Vocabulary(raw, offset)
        ref, terms = _reference(raw, offset)
        assert vocab.size == len(terms)
        assert vocab.columns(list(terms)) == [ref[t] for t in terms]
        for i in range(0, len(terms), max(1, len(terms) // 500)):
            assert vocab.term(i) == terms[i]
            assert vocab.get(terms[i]) == ref[terms[i]]
            assert vocab.get(terms[i] + "\u0301") == ref.get(terms[i] + "\u0301")
        offset += len(terms)


class _DictVocabulary:
    """What the classifier used before issue 14, behind the same interface."""

    def __init__(self, vocab: Vocabulary) -> None:
        self._ref = dict(
            zip(vocab.terms(), range(vocab.offset, vocab.offset + vocab.size), strict=True)
        )

    def get(self, gram: str) -> int | None:
        return self._ref.get(gram)

    def columns(self, grams: list[str]) -> list[int]:
        return [c for g in grams if (c := self._ref.get(g)) is not None]


def test_scores_identical_to_dict_lookup() -> None:
    compact = Classifier.load(_shipped())
    plain = Classifier.load(_shipped())
    for block in plain._blocks:
        object.__setattr__(block, "vocabulary", _DictVocabulary(block.vocabulary))
    plain._token_cache.clear()
    plain._warm_tokens = {}
    texts = [
        str(json.loads(line)["text"])
        for line in (ROOT / "eval" / "mixed_comments.jsonl").read_text().splitlines()
        if line.strip()
    ][:300]
    texts = [normalize(t).text for t in texts]
    assert len(texts) >= 100
    a = compact.predict_proba(texts)
    b = plain.predict_proba(texts)
    assert np.array_equal(a, b)
    for text in texts[:20]:
        assert np.array_equal(compact.predict_proba([text]), plain.predict_proba([text]))
