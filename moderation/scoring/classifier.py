"""The trained comment classifier at run time: calibrated per-category probabilities and the
spans of the original text that drove them.

The model is trained with scikit-learn (:mod:`moderation.training.model`): three TF-IDF blocks
over the rule filter's normalised text (word 1-2-grams, ``char_wb`` 2-5-grams and "second-person
window" tokens) plus rule-filter counts, feeding one linear model per category, each followed by
Platt scaling. The artefact stores that model as plain arrays (vocabularies, idf, coefficients,
calibration), so loading it runs no pickled code. Scoring caches the character-gram columns of
every token it has seen (``char_wb`` grams never cross whitespace), looks word grams up in
dictionaries, and does the counting, TF-IDF weighting, normalisation and the product with the
coefficients once per batch in numpy. The analyzers below are the very functions the training
vectorisers call, so both paths see the same features; tests check that the scores agree with
the scikit-learn pipeline to 1e-5.

Artefacts are loaded explicitly (:meth:`Classifier.load`), never at import.
"""

from __future__ import annotations

import functools
import importlib.metadata
import itertools
import json
import math
import re
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from moderation.categories import trained as trained_categories
from moderation.scoring.types import Category, Evidence, Match, Severity

__all__ = [
    "DEFAULT_NGRAMS",
    "FORMAT",
    "MODEL_CATEGORIES",
    "Classifier",
    "ModelLoadError",
    "analyzer",
    "char_wb_grams",
    "default_model_path",
    "feature_spans",
    "token_char_grams",
    "word_grams",
    "you_grams",
]

FORMAT = "comment-classifier/2"
#: Formats this code reads: /1 is /2 without ``ngram.<block>`` arrays (default ranges).
READABLE_FORMATS = frozenset({"comment-classifier/1", FORMAT})
#: Categories a newly trained model scores: the registry's ``trained`` ones (a model file
#: lists its own; a rule-only category has no model score).
MODEL_CATEGORIES: tuple[Category, ...] = trained_categories()
ARTEFACT_SUFFIX = ".npz"

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]


class NormalizedText(Protocol):
    """What the classifier needs of :class:`moderation.scoring.normalize.Normalized`."""

    @property
    def text(self) -> str: ...

    def original_span(self, start: int, end: int) -> tuple[int, int]: ...


class ModelLoadError(RuntimeError):
    """The artefact cannot be used; the message names the file and the problem."""


# --------------------------------------------------------------------------- analyzers
#
# Input is the rule filter's normalised text (already case-folded). Each analyzer has a fast
# form (grams only, used for training and as the reference), a span form (grams with offsets
# into the normalised text, used for explanations; `feature_spans` must yield exactly the same
# grams), and the scorer below has a cached form of the character analyzer.

_WS_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"\w+(?:'\w+)*")
#: n-gram range of each block unless the artefact says otherwise (``ngram.<block>``).
DEFAULT_NGRAMS: dict[str, tuple[int, int]] = {"word": (1, 2), "char": (2, 5), "you": (1, 1)}
CHAR_MIN, CHAR_MAX = DEFAULT_NGRAMS["char"]
YOU_WINDOW = 4
SECOND_PERSON = frozenset(
    {
        "you", "your", "you're", "youre", "yours", "yourself", "yourselves", "u", "ur", "ya",
        "ye", "thou", "you've", "you'll", "you'd", "youve", "youll", "youd",
    }
)  # fmt: skip

Analyzer = Callable[[str], list[str]]


def word_grams(text: str, n_max: int = 2) -> list[str]:
    """Word 1- to ``n_max``-grams (words joined by one space)."""
    words = _WORD.findall(text)
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)] if n_max >= 2 else words
    for n in range(3, n_max + 1):
        grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return grams


def token_char_grams(token: str, lo: int = CHAR_MIN, hi: int = CHAR_MAX) -> list[str]:
    """Character ``lo``-``hi``-grams of one whitespace-free token padded with one space."""
    padded = f" {token} "
    size = len(padded)
    grams: list[str] = []
    for n in range(lo, min(hi, size) + 1):
        grams.extend([padded[i : i + n] for i in range(size - n + 1)])
    return grams


def char_wb_grams(text: str, lo: int = CHAR_MIN, hi: int = CHAR_MAX) -> list[str]:
    """Character ``lo``-``hi``-grams inside each whitespace-delimited token padded with one
    space (``str.split()`` and ``\\S+`` agree on what whitespace is)."""
    grams: list[str] = []
    for token in text.split():
        grams.extend(token_char_grams(token, lo, hi))
    return grams


def you_grams(text: str) -> list[str]:
    """``U_<word>`` for each word up to four words after a second-person pronoun."""
    grams = []
    last = -YOU_WINDOW - 1
    for i, word in enumerate(_WORD.findall(text)):
        if word in SECOND_PERSON:
            last = i
        elif i - last <= YOU_WINDOW:
            grams.append("U_" + word)
    return grams


ANALYZERS: dict[str, Analyzer] = {"word": word_grams, "char": char_wb_grams, "you": you_grams}


def analyzer(block: str, ngram: tuple[int, int] | None = None) -> Analyzer:
    """The analyzer of ``block`` for an n-gram range (default :data:`DEFAULT_NGRAMS`).

    Raises ``ValueError`` for an unknown block or a range the block does not support.
    """
    if block not in ANALYZERS:
        raise ValueError(f"unknown feature block {block!r}")
    lo, hi = ngram or DEFAULT_NGRAMS[block]
    if not 1 <= lo <= hi:
        raise ValueError(f"block {block!r}: bad n-gram range ({lo}, {hi})")
    if block == "char":
        return functools.partial(char_wb_grams, lo=lo, hi=hi)
    if block == "word":
        if lo != 1:
            raise ValueError(f"block 'word' starts at unigrams, not {lo}-grams")
        return functools.partial(word_grams, n_max=hi)
    if (lo, hi) != (1, 1):
        raise ValueError(f"block {block!r} has no n-gram range")
    return ANALYZERS[block]


#: The "rules" block: log(1 + number of rule-filter matches) per (category, severity).
RULE_FEATURES: tuple[str, ...] = tuple(
    f"{category}:{severity}" for category in MODEL_CATEGORIES for severity in Severity
)
_RULE_COLUMN = {name: i for i, name in enumerate(RULE_FEATURES)}


def rule_features(matches: Iterable[Match]) -> dict[int, float]:
    """Column -> value of the rules block for one text's rule-filter matches."""
    counts: Counter[int] = Counter()
    for match in matches:
        col = _RULE_COLUMN.get(f"{match.category}:{match.severity}")
        if col is not None:
            counts[col] += 1
    return {col: math.log1p(n) for col, n in counts.items()}


def feature_spans(
    block: str, text: str, ngram: tuple[int, int] | None = None
) -> list[tuple[str, int, int]]:
    """The grams of ``analyzer(block, ngram)(text)`` with ``(start, end)`` in ``text``."""
    lo, hi = ngram or DEFAULT_NGRAMS.get(block, (1, 1))
    out: list[tuple[str, int, int]] = []
    if block == "word":
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        for n in range(1, hi + 1):
            out.extend(
                (" ".join(w[0] for w in words[i : i + n]), words[i][1], words[i + n - 1][2])
                for i in range(len(words) - n + 1)
            )
    elif block == "char":
        for match in _WS_TOKEN.finditer(text):
            padded = f" {match.group()} "
            size = len(padded)
            base = match.start() - 1  # padded[i] is text[base + i]
            for n in range(lo, min(hi, size) + 1):
                for i in range(size - n + 1):
                    start = max(base + i, match.start())
                    end = min(base + i + n, match.end())
                    out.append((padded[i : i + n], start, end))
    elif block == "you":
        last = -YOU_WINDOW - 1
        for i, m in enumerate(_WORD.finditer(text)):
            if m.group() in SECOND_PERSON:
                last = i
            elif i - last <= YOU_WINDOW:
                out.append(("U_" + m.group(), m.start(), m.end()))
    else:
        raise ValueError(f"unknown feature block {block!r}")
    return out


# --------------------------------------------------------------------------- the model


class Vocabulary:
    """Gram -> global column, stored compactly (issue 14: the dict and tuple of ~320k grams
    cost ~40-60 MB of Python objects per process).

    The grams stay in one UTF-8 buffer (``"\\n"``-separated, as the artefact stores them) with
    start/end offsets; lookups go through a sorted array of this process's ``hash()`` of every
    gram (``np.searchsorted``) and every candidate is compared with the decoded gram, so there
    are no false hits. Equal grams resolve to the last column, as ``dict(zip(...))`` did.
    """

    __slots__ = ("_buf", "_cols", "_ends", "_keys", "_starts", "offset", "size")

    def __init__(self, raw: bytes, offset: int) -> None:
        self.offset = offset
        self._buf = raw
        if not raw:
            empty = np.empty(0, dtype=np.int64)
            self._starts = self._ends = self._keys = empty
            self._cols = empty
            self.size = 0
            return
        data = np.frombuffer(raw, dtype=np.uint8)
        breaks = np.flatnonzero(data == 10).astype(np.int64)
        self._starts = np.concatenate(([0], breaks + 1)).astype(np.int64)
        self._ends = np.concatenate((breaks, [len(raw)])).astype(np.int64)
        self.size = len(self._starts)
        text = raw.decode("utf-8")  # raises UnicodeDecodeError for a corrupt artefact
        hashes = np.fromiter((hash(t) for t in text.split("\n")), np.int64, self.size)
        del text
        order = np.argsort(hashes, kind="stable")
        self._keys = hashes[order]
        self._cols = order.astype(np.int64)

    def term(self, column: int) -> str:
        """The gram of block-local ``column``."""
        return self._buf[int(self._starts[column]) : int(self._ends[column])].decode("utf-8")

    def terms(self) -> tuple[str, ...]:
        """Every gram in column order (small blocks only: this builds the strings)."""
        return tuple(self.term(i) for i in range(self.size))

    def _resolve(self, gram: str, pos: int, key: int) -> int | None:
        found: int | None = None
        keys = self._keys
        while pos < self.size and int(keys[pos]) == key:
            col = int(self._cols[pos])
            if self.term(col) == gram and (found is None or col > found):
                found = col
            pos += 1
        return None if found is None else found + self.offset

    def get(self, gram: str) -> int | None:
        """Global column of ``gram``, or None."""
        key = hash(gram)
        pos = int(np.searchsorted(self._keys, key))
        return self._resolve(gram, pos, key)

    def lookup(self, grams: Sequence[str]) -> list[int | None]:
        """Global column of each of ``grams`` (None where absent), in one search."""
        if not grams or not self.size:
            return [None] * len(grams)
        keys = np.fromiter((hash(g) for g in grams), np.int64, len(grams))
        pos = np.searchsorted(self._keys, keys)
        hit = self._keys[np.minimum(pos, self.size - 1)] == keys
        out: list[int | None] = [None] * len(grams)
        for k in np.flatnonzero(hit).tolist():
            out[k] = self._resolve(grams[k], int(pos[k]), int(keys[k]))
        return out

    def columns(self, grams: Sequence[str]) -> list[int]:
        """Global columns of the grams that are in the vocabulary, in order (with repeats)."""
        if not grams or not self.size:
            return []
        keys = np.fromiter((hash(g) for g in grams), np.int64, len(grams))
        pos = np.searchsorted(self._keys, keys)
        hit = self._keys[np.minimum(pos, self.size - 1)] == keys
        out: list[int] = []
        for k in np.flatnonzero(hit).tolist():
            col = self._resolve(grams[k], int(pos[k]), int(keys[k]))
            if col is not None:
                out.append(col)
        return out


@dataclass(frozen=True, slots=True)
class _Block:
    name: str
    ngram: tuple[int, int]
    vocabulary: Vocabulary  # gram -> *global* column (block offset included)
    idf: FloatArray
    offset: int  # first column of the block in the coefficient matrix

    @property
    def size(self) -> int:
        return self.vocabulary.size


def _expit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


#: Tokens whose character-gram columns are kept per process besides the warm ones (then the
#: cache starts over). A token costs ~0.9 KB (``python bench/memory.py``: 50,000 cached
#: tokens grew a process by ~45 MB), so this bound caps the cache near 20 MB; 200,000 let a
#: long-running worker grow by ~180 MB, with no measurable gain in speed on real comments.
#: The word vocabulary's ``PREWARM_TOKENS`` most frequent words are computed at load time and
#: never evicted.
TOKEN_CACHE_LIMIT = 20_000
PREWARM_TOKENS = 5_000

_EMPTY_COLUMNS: IntArray = np.empty(0, dtype=np.int32)


class Classifier:
    """A loaded artefact. Thread-safe (the token cache is a dict filled under the GIL);
    build it with :meth:`load`."""

    def __init__(self, arrays: dict[str, Any], path: Path | None = None) -> None:
        """``arrays`` is the artefact's content (see :func:`moderation.training.model.export`).

        Raises :class:`ModelLoadError` when a field is missing or inconsistent.
        """
        where = str(path) if path else "<in-memory model>"
        try:
            self.version: str = str(arrays["version"])
            self.categories: tuple[Category, ...] = tuple(Category(c) for c in arrays["categories"])
            self.metadata: dict[str, Any] = dict(arrays.get("metadata", {}))
            coef = np.asarray(arrays["coef"], dtype=np.float32)
            intercept = np.asarray(arrays["intercept"], dtype=np.float64)
            slope = np.asarray(arrays["calibration_slope"], dtype=np.float64)
            bias = np.asarray(arrays["calibration_offset"], dtype=np.float64)
            blocks = []
            offset = 0
            for spec in arrays["blocks"]:
                name = str(spec["name"])
                if name not in ANALYZERS and name != "rules":
                    raise ModelLoadError(f"{where}: unknown feature block {name!r}")
                lo, hi = (int(n) for n in spec.get("ngram", DEFAULT_NGRAMS.get(name, (1, 1))))
                if name != "rules":
                    analyzer(name, (lo, hi))  # raises ValueError for a bad range
                raw = np.asarray(spec["vocabulary"], dtype=np.uint8).tobytes()
                vocabulary = Vocabulary(raw, offset)
                idf = np.asarray(spec["idf"], dtype=np.float32)
                if vocabulary.size != len(idf):
                    raise ModelLoadError(
                        f"{where}: block {name!r} has {vocabulary.size} terms "
                        f"but {len(idf)} idf values"
                    )
                blocks.append(_Block(name, (lo, hi), vocabulary, idf, offset))
                offset += vocabulary.size
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            raise ModelLoadError(f"{where}: malformed model artefact ({exc!r})") from exc
        n_cat = len(self.categories)
        if coef.shape != (offset, n_cat) or not (
            intercept.shape == slope.shape == bias.shape == (n_cat,)
        ):
            raise ModelLoadError(
                f"{where}: coefficient shape {coef.shape} does not match "
                f"{offset} features x {n_cat} categories"
            )
        self._blocks = tuple(b for b in blocks if b.name != "rules")
        self._idf = np.concatenate([b.idf for b in blocks]) if blocks else np.empty(0, np.float32)
        rules = [b for b in blocks if b.name == "rules"]
        if rules and (rule_terms := rules[0].vocabulary.terms()) != RULE_FEATURES:
            raise ModelLoadError(f"{where}: rule features {rule_terms} differ from this code's")
        #: first column of the rule-filter features, or None when the model does not use them
        self.rules_offset: int | None = rules[0].offset if rules else None
        self._coef = coef
        self._intercept = intercept
        self._slope = slope
        self._bias = bias
        self.path = path
        # Which block each column belongs to (per-block L2 normalisation in the batch path).
        self._n_blocks = max(1, len(self._blocks))
        self._block_of = np.zeros(offset, dtype=np.int64)
        for k, block in enumerate(self._blocks):
            self._block_of[block.offset : block.offset + block.size] = k
        by_name = {b.name: b for b in self._blocks}
        self._word = by_name.get("word")
        self._you = by_name.get("you")
        self._char = by_name.get("char")
        self._token_cache: dict[str, IntArray] = {}
        self._warm_tokens: dict[str, IntArray] = {}
        if self._char is not None and self._word is not None:
            self._prewarm(self._word)

    def _prewarm(self, word: _Block) -> None:
        """Character-gram columns of the most frequent single words of the word vocabulary."""
        order = np.argsort(word.idf, kind="stable")
        warm: dict[str, IntArray] = {}
        for i in order:
            term = word.vocabulary.term(int(i))
            if " " in term:
                continue
            warm[term] = self._char_columns(term)
            if len(warm) >= PREWARM_TOKENS:
                break
        self._warm_tokens = warm
        self._token_cache.update(warm)

    def cached_tokens(self) -> int:
        """How many tokens' character-gram columns this process holds (warm ones included)."""
        return len(self._token_cache)

    # ----------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: Path) -> Classifier:
        """Read an artefact written by ``moderation train``.

        Raises :class:`ModelLoadError` when the file is missing or corrupt, is not a
        comment-classifier artefact, or was trained under another scikit-learn version.
        """
        path = Path(path)
        if not path.is_file():
            raise ModelLoadError(f"{path}: model artefact not found")
        started = time.perf_counter()
        try:
            # allow_pickle=False: the file can only hold plain arrays, never code.
            with np.load(path, allow_pickle=False) as stored:
                arrays = unpack({name: stored[name] for name in stored.files})
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            raise ModelLoadError(f"{path}: cannot read model artefact ({exc})") from exc
        if arrays.get("format") not in READABLE_FORMATS:
            raise ModelLoadError(f"{path}: not a {FORMAT} artefact")
        trained_with = str(arrays.get("sklearn_version", "unknown"))
        installed = _sklearn_version()
        if trained_with != installed:
            raise ModelLoadError(
                f"{path}: trained with scikit-learn {trained_with} but this process has "
                f"scikit-learn {installed}; install {trained_with} or retrain "
                "with `moderation train`"
            )
        classifier = cls(arrays, path)
        classifier.load_seconds = time.perf_counter() - started
        return classifier

    load_seconds: float = 0.0

    # ----------------------------------------------------------------- features

    def _char_columns(self, token: str) -> IntArray:
        """Global columns of the character grams of one token (repeated as often as they
        occur), computed once per token and cached."""
        assert self._char is not None
        lo, hi = self._char.ngram
        found = self._char.vocabulary.columns(token_char_grams(token, lo, hi))
        return np.array(found, dtype=np.int32) if found else _EMPTY_COLUMNS

    def _columns(self, text: str, pieces: list[IntArray]) -> int:
        """Append the global columns of every gram of ``text`` (all blocks, with repeats) to
        ``pieces``; returns how many columns were appended."""
        total = 0
        if self._word is not None or self._you is not None:
            words = _WORD.findall(text)
            found: list[int] = []
            if self._word is not None:
                n_max = self._word.ngram[1]
                grams = words
                if n_max > 1:
                    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
                    for n in range(3, n_max + 1):
                        grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
                found = self._word.vocabulary.columns(grams)
            if self._you is not None and not SECOND_PERSON.isdisjoint(words):
                last = -YOU_WINDOW - 1
                near: list[str] = []
                for i, word in enumerate(words):
                    if word in SECOND_PERSON:
                        last = i
                    elif i - last <= YOU_WINDOW:
                        near.append("U_" + word)
                found.extend(self._you.vocabulary.columns(near))
            if found:
                pieces.append(np.array(found, dtype=np.int32))
                total += len(found)
        if self._char is not None:
            cache = self._token_cache
            for token in text.split():
                cols = cache.get(token)
                if cols is None:
                    cols = self._char_columns(token)
                    if len(cache) >= TOKEN_CACHE_LIMIT + len(self._warm_tokens):
                        cache.clear()
                        cache.update(self._warm_tokens)
                    cache[token] = cols
                pieces.append(cols)
                total += len(cols)
        return total

    def transform(
        self, texts: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The TF-IDF rows of ``texts`` as ``(rows, columns, values)``, sorted by row then
        column: sublinear term frequency x idf, L2-normalised per block (what scikit-learn's
        ``TfidfVectorizer(sublinear_tf=True)`` computes per block)."""
        pieces: list[IntArray] = []
        lengths = [self._columns(text, pieces) for text in texts]
        n_features = self._coef.shape[0]
        if not pieces:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        cols = np.concatenate(pieces).astype(np.int64)
        if len(texts) == 1:
            cols, counts = np.unique(cols, return_counts=True)
            rows = np.zeros(len(cols), dtype=np.int64)
        else:
            rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
            keys, counts = np.unique(rows * n_features + cols, return_counts=True)
            rows, cols = np.divmod(keys, n_features)
        values = (np.log(counts) + 1.0) * self._idf[cols]
        segment = rows * self._n_blocks + self._block_of[cols]
        squares = np.bincount(segment, weights=values * values)
        values /= np.sqrt(squares[segment])
        return rows, cols, values

    # ----------------------------------------------------------------- scoring

    def decision_function(
        self, text: str, matches: Iterable[Match] | None = None
    ) -> npt.NDArray[np.float64]:
        """Uncalibrated log-odds per category for one normalised text (and its rule matches)."""
        logits: npt.NDArray[np.float64] = self._logits(
            [text], None if matches is None else [matches]
        )[0]
        return logits

    def _logits(
        self, texts: Sequence[str], matches: Sequence[Iterable[Match]] | None
    ) -> npt.NDArray[np.float64]:
        rows, cols, values = self.transform(texts)
        if len(texts) == 1:  # scipy's matrix set-up costs more than the product here
            logits = (values @ self._coef[cols] + self._intercept)[None, :]
        else:
            from scipy import sparse

            indptr = np.searchsorted(rows, np.arange(len(texts) + 1))
            matrix = sparse.csr_matrix(
                (values, cols, indptr), shape=(len(texts), self._coef.shape[0])
            )
            logits = np.asarray(matrix @ self._coef, dtype=np.float64) + self._intercept
        if self.rules_offset is not None and matches is not None:
            rules = self._coef[self.rules_offset : self.rules_offset + len(RULE_FEATURES)]
            for i, found in enumerate(matches):
                for col, value in rule_features(found).items():
                    logits[i] += value * rules[col]
        return logits

    def _calibrate(self, logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return _expit(logits * self._slope + self._bias)

    def predict(
        self, normalized: NormalizedText, matches: Iterable[Match] | None = None
    ) -> dict[Category, float]:
        """Calibrated probability per category for one rule-normalised text.

        ``matches`` are the rule filter's matches of the same text: the model was trained with
        them as features (``rules_offset`` is set), so pass them; without them the text is
        scored as if no word-list term matched.
        """
        probs = self._calibrate(self.decision_function(normalized.text, matches))
        return {c: float(p) for c, p in zip(self.categories, probs, strict=True)}

    def predict_batch(
        self,
        normalized: Sequence[NormalizedText],
        matches: Sequence[Iterable[Match]] | None = None,
    ) -> list[dict[Category, float]]:
        """Like :meth:`predict` for many texts, vectorised over the batch."""
        return [
            {c: float(p) for c, p in zip(self.categories, row, strict=True)}
            for row in self.predict_proba([n.text for n in normalized], matches)
        ]

    def predict_proba(
        self, texts: Sequence[str], matches: Sequence[Iterable[Match]] | None = None
    ) -> npt.NDArray[np.float64]:
        """``(len(texts), len(categories))`` calibrated probabilities for normalised texts.

        Grams are looked up in Python (character grams once per distinct token, then from a
        cache); counting, TF-IDF weighting, per-block L2 normalisation and the product with
        the coefficients run once for the whole batch in numpy.
        """
        if not texts:
            return np.empty((0, len(self.categories)))
        if matches is not None and len(matches) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(matches)} match lists")
        return self._calibrate(self._logits(texts, matches))

    # ----------------------------------------------------------------- explanations

    def explain(
        self,
        normalized: NormalizedText,
        categories: Iterable[Category],
        top_k: int = 5,
        *,
        min_relative: float | None = None,
    ) -> list[Evidence]:
        """Up to ``top_k`` spans of the *original* text per category that raised its score.

        Every n-gram's contribution (TF-IDF value x coefficient x Platt slope: calibrated
        log-odds units) is spread evenly over the characters of its occurrences; each word of
        the normalised text sums what falls on it, and words that carry at least
        ``min_relative`` (default ``EXPLAIN_RELATIVE``) of the strongest word's weight and at
        least ``MIN_WEIGHT`` are returned, strongest first, with offsets into the original
        text from ``normalized.original_span``. ``feature`` names the gram that contributed
        most to the word. Categories the model does not score are ignored; rule-filter
        features are not explained here (the pipeline reports the rule matches themselves).
        """
        wanted = [self.categories.index(c) for c in categories if c in self.categories]
        if not wanted:
            return []
        text = normalized.text
        slope = self._slope[wanted]
        _, cols, values = self.transform([text])  # every block's columns, once
        # per occurrence: its start, end, length-spread share (one row per category)
        starts: list[int] = []
        ends: list[int] = []
        grams: list[str] = []
        shares: list[npt.NDArray[np.float64]] = []
        for block in self._blocks:
            mask = (cols >= block.offset) & (cols < block.offset + block.size)
            if not mask.any():
                continue
            idx = cols[mask]
            contrib = (
                values[mask].astype(np.float32)[:, None]
                * self._coef[idx][:, wanted].astype(np.float64)
                * slope
            )
            row_of = {col: row for row, col in enumerate(idx.tolist())}
            occurrences = feature_spans(block.name, text, block.ngram)
            per_gram: Counter[str] = Counter(g for g, _, _ in occurrences)
            column_of = dict(zip(per_gram, block.vocabulary.lookup(list(per_gram)), strict=True))
            kept = [o for o in occurrences if o[2] > o[1] and column_of[o[0]] is not None]
            if not kept:
                continue
            rows = np.fromiter((row_of[column_of[g]] for g, _, _ in kept), np.int64, len(kept))
            spread = np.fromiter((per_gram[g] * (e - b) for g, b, e in kept), np.float64, len(kept))
            shares.append(contrib[rows] / spread[:, None])
            grams.extend(g for g, _, _ in kept)
            starts.extend(b for _, b, _ in kept)
            ends.extend(e for _, _, e in kept)
        if not shares:
            return []
        share = np.concatenate(shares)
        begin = np.asarray(starts, dtype=np.int64)
        stop = np.asarray(ends, dtype=np.int64)
        # each occurrence adds its share to every character it covers: a difference array
        delta = np.zeros((len(text) + 1, len(wanted)))
        np.add.at(delta, begin, share)
        np.add.at(delta, stop, -share)
        char_weight = np.cumsum(delta, axis=0)
        prefix = np.vstack([np.zeros(len(wanted)), np.cumsum(char_weight[: len(text)], axis=0)])
        total = share * (stop - begin)[:, None]  # an occurrence's whole contribution
        evidence: list[Evidence] = []
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        relative = EXPLAIN_RELATIVE if min_relative is None else min_relative
        for j, cat_index in enumerate(wanted):
            scored = [(float(prefix[e, j] - prefix[s, j]), s, e) for s, e in words]
            scored = [w for w in scored if w[0] > 0]
            if not scored:
                continue
            strongest = max(w[0] for w in scored)
            floor = max(MIN_WEIGHT, relative * strongest)
            chosen = sorted((w for w in scored if w[0] >= floor), reverse=True)[:top_k]
            for weight, s, e in chosen:
                overlapping = np.flatnonzero((begin < e) & (stop > s)).tolist()
                top = max(
                    ((float(total[k, j]), grams[k]) for k in overlapping),
                    default=(0.0, text[s:e]),
                )
                start, end = normalized.original_span(s, e)
                evidence.append(
                    Evidence(self.categories[cat_index], start, end, weight, top[1].strip())
                )
        return evidence


#: A word is evidence when its summed contribution reaches this many log-odds units...
MIN_WEIGHT = 0.15
#: ...and this fraction of the strongest word's contribution for the same category.
EXPLAIN_RELATIVE = 0.25


def default_model_path(models_dir: Path) -> Path | None:
    """The artefact to serve: the one named in ``models_dir/CURRENT`` if that file exists,
    else the newest ``*.npz`` by modification time; ``None`` when there is none.

    Raises :class:`ModelLoadError` when ``CURRENT`` names a file that does not exist.
    """
    models_dir = Path(models_dir)
    current = models_dir / "CURRENT"
    if current.is_file():
        name = current.read_text(encoding="utf-8").strip()
        path = models_dir / name
        if not path.name.endswith(ARTEFACT_SUFFIX):
            path = path.with_name(path.name + ARTEFACT_SUFFIX)
        if not path.is_file():
            raise ModelLoadError(f"{current} names {name!r}, but {path} does not exist")
        return path
    candidates = sorted(
        models_dir.glob(f"*{ARTEFACT_SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name)
    )
    return candidates[-1] if candidates else None


def _sklearn_version() -> str:
    """The installed scikit-learn's version, without importing it (that takes a second)."""
    try:
        return importlib.metadata.version("scikit-learn")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


_SCALARS = ("format", "version", "sklearn_version")
_ARRAYS = ("coef", "intercept", "calibration_slope", "calibration_offset")


def pack(arrays: dict[str, Any]) -> dict[str, npt.NDArray[Any]]:
    """Flatten an artefact's content to named numpy arrays (for ``np.savez``)."""
    flat: dict[str, npt.NDArray[Any]] = {name: np.array(str(arrays[name])) for name in _SCALARS}
    flat.update({name: np.asarray(arrays[name]) for name in _ARRAYS})
    flat["categories"] = np.array([str(c) for c in arrays["categories"]])
    flat["blocks"] = np.array([str(b["name"]) for b in arrays["blocks"]])
    for block in arrays["blocks"]:
        flat[f"vocabulary.{block['name']}"] = np.asarray(block["vocabulary"], dtype=np.uint8)
        flat[f"idf.{block['name']}"] = np.asarray(block["idf"], dtype=np.float32)
        if "ngram" in block:
            flat[f"ngram.{block['name']}"] = np.asarray(block["ngram"], dtype=np.int64)
    metadata = json.dumps(arrays.get("metadata", {}), sort_keys=True).encode("utf-8")
    flat["metadata"] = np.frombuffer(metadata, dtype=np.uint8)
    return flat


def unpack(flat: dict[str, npt.NDArray[Any]]) -> dict[str, Any]:
    """Inverse of :func:`pack`. Raises ``KeyError`` naming a missing array."""
    arrays: dict[str, Any] = {name: str(flat[name]) for name in _SCALARS}
    arrays.update({name: flat[name] for name in _ARRAYS})
    arrays["categories"] = [str(c) for c in flat["categories"]]
    arrays["blocks"] = [
        {
            "name": str(name),
            "vocabulary": flat[f"vocabulary.{name}"],
            "idf": flat[f"idf.{name}"],
            **({"ngram": tuple(flat[f"ngram.{name}"])} if f"ngram.{name}" in flat else {}),
        }
        for name in flat["blocks"]
    ]
    arrays["metadata"] = json.loads(flat["metadata"].tobytes().decode("utf-8"))
    return arrays
