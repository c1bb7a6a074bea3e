"""The trained comment classifier at run time: calibrated per-category probabilities and the
spans of the original text that drove them.

The model is trained with scikit-learn (:mod:`moderation.training.model`): three TF-IDF blocks
over the rule filter's normalised text (word 1-2-grams, ``char_wb`` 2-5-grams and "second-person
window" tokens) feeding one logistic regression per category, each followed by Platt scaling.
The artefact stores that model as plain arrays (vocabularies, idf, coefficients, calibration), so
loading it runs no pickled code and scoring one comment costs a few dictionary look-ups and a
small matrix product instead of scikit-learn's per-call overhead. The analyzers below are the
very functions the training vectorisers call, so both paths see the same features; a test checks
that the scores agree with the scikit-learn pipeline.

Artefacts are loaded explicitly (:meth:`Classifier.load`), never at import.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import json
import math
import re
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from moderation.scoring.types import Category, Evidence, Match, Severity

__all__ = [
    "FORMAT",
    "MODEL_CATEGORIES",
    "Classifier",
    "ModelLoadError",
    "char_wb_grams",
    "default_model_path",
    "feature_spans",
    "word_grams",
    "you_grams",
]

FORMAT = "comment-classifier/1"
MODEL_CATEGORIES: tuple[Category, ...] = (
    Category.PROFANITY,
    Category.ATTACK,
    Category.THREAT,
    Category.HATE,
)
ARTEFACT_SUFFIX = ".npz"

FloatArray = npt.NDArray[np.float32]


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
# form (grams only, used for scoring and training) and a span form (grams with offsets into the
# normalised text, used for explanations); `feature_spans` must yield exactly the same grams.

_WS_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"\w+(?:'\w+)*")
CHAR_MIN, CHAR_MAX = 2, 5
YOU_WINDOW = 4
SECOND_PERSON = frozenset(
    {
        "you", "your", "you're", "youre", "yours", "yourself", "yourselves", "u", "ur", "ya",
        "ye", "thou", "you've", "you'll", "you'd", "youve", "youll", "youd",
    }
)  # fmt: skip


def word_grams(text: str) -> list[str]:
    """Word unigrams and bigrams."""
    words = _WORD.findall(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def char_wb_grams(text: str) -> list[str]:
    """Character 2-5-grams inside each whitespace-delimited token padded with one space."""
    grams: list[str] = []
    extend = grams.extend
    for token in _WS_TOKEN.findall(text):
        padded = f" {token} "
        size = len(padded)
        for n in range(CHAR_MIN, min(CHAR_MAX, size) + 1):
            extend([padded[i : i + n] for i in range(size - n + 1)])
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


ANALYZERS = {"word": word_grams, "char": char_wb_grams, "you": you_grams}

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


def feature_spans(block: str, text: str) -> list[tuple[str, int, int]]:
    """The grams of ``ANALYZERS[block](text)`` with ``(start, end)`` in ``text``."""
    out: list[tuple[str, int, int]] = []
    if block == "word":
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        out.extend(words)
        out.extend((f"{a[0]} {b[0]}", a[1], b[2]) for a, b in itertools.pairwise(words))
    elif block == "char":
        for match in _WS_TOKEN.finditer(text):
            padded = f" {match.group()} "
            size = len(padded)
            base = match.start() - 1  # padded[i] is text[base + i]
            for n in range(CHAR_MIN, min(CHAR_MAX, size) + 1):
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


@dataclass(frozen=True, slots=True)
class _Block:
    name: str
    vocabulary: dict[str, int]  # gram -> column in the block
    terms: tuple[str, ...]  # column -> gram
    idf: FloatArray
    offset: int  # first column of the block in the coefficient matrix


def _expit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


class Classifier:
    """A loaded artefact. Immutable and thread-safe; build it with :meth:`load`."""

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
                raw = np.asarray(spec["vocabulary"], dtype=np.uint8).tobytes().decode("utf-8")
                terms = tuple(raw.split("\n")) if raw else ()
                idf = np.asarray(spec["idf"], dtype=np.float32)
                if len(terms) != len(idf):
                    raise ModelLoadError(
                        f"{where}: block {name!r} has {len(terms)} terms but {len(idf)} idf values"
                    )
                vocabulary = {term: i for i, term in enumerate(terms)}
                blocks.append(_Block(name, vocabulary, terms, idf, offset))
                offset += len(terms)
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
        if rules and rules[0].terms != RULE_FEATURES:
            raise ModelLoadError(f"{where}: rule features {rules[0].terms} differ from this code's")
        #: first column of the rule-filter features, or None when the model does not use them
        self.rules_offset: int | None = rules[0].offset if rules else None
        self._coef = coef
        self._intercept = intercept
        self._slope = slope
        self._bias = bias
        self.path = path

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
        if arrays.get("format") != FORMAT:
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

    # ----------------------------------------------------------------- scoring

    def _block_vector(self, block: _Block, text: str) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Column indices (global) and L2-normalised sublinear TF-IDF values of one block."""
        counts = Counter(ANALYZERS[block.name](text))
        vocabulary = block.vocabulary
        cols = []
        tfs = []
        for gram, count in counts.items():
            col = vocabulary.get(gram)
            if col is not None:
                cols.append(col)
                tfs.append(count)
        if not cols:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
        idx = np.asarray(cols, dtype=np.intp)
        values: FloatArray = (
            np.log(np.asarray(tfs, dtype=np.float32)) + np.float32(1.0)
        ) * block.idf[idx]
        values /= np.sqrt(np.dot(values, values))
        return idx + block.offset, values

    def decision_function(
        self, text: str, matches: Iterable[Match] | None = None
    ) -> npt.NDArray[np.float64]:
        """Uncalibrated log-odds per category for one normalised text (and its rule matches)."""
        logits = self._intercept.copy()
        for block in self._blocks:
            idx, values = self._block_vector(block, text)
            if len(idx):
                logits += values @ self._coef[idx]
        if self.rules_offset is not None and matches is not None:
            for col, value in rule_features(matches).items():
                logits += value * self._coef[self.rules_offset + col]
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
        """Like :meth:`predict` for many texts, with one sparse matrix product per batch."""
        return [
            {c: float(p) for c, p in zip(self.categories, row, strict=True)}
            for row in self.predict_proba([n.text for n in normalized], matches)
        ]

    def predict_proba(
        self, texts: Sequence[str], matches: Sequence[Iterable[Match]] | None = None
    ) -> npt.NDArray[np.float64]:
        """``(len(texts), len(categories))`` calibrated probabilities for normalised texts.

        The batch path: grams are looked up in Python, then TF-IDF weighting, per-block L2
        normalisation and the product with the coefficients run once for the whole batch.
        """
        from scipy import sparse

        if not texts:
            return np.empty((0, len(self.categories)))
        if matches is not None and len(matches) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(matches)} match lists")
        cols: list[int] = []
        tfs: list[int] = []
        segments = [0]  # end of each (text, block) run in cols
        for text in texts:
            for block in self._blocks:
                get = block.vocabulary.get
                offset = block.offset
                for gram, count in Counter(ANALYZERS[block.name](text)).items():
                    col = get(gram)
                    if col is not None:
                        cols.append(col + offset)
                        tfs.append(count)
                segments.append(len(cols))
        idx = np.asarray(cols, dtype=np.intp)
        values = (np.log(np.asarray(tfs, dtype=np.float32)) + np.float32(1.0)) * self._idf[idx]
        bounds = np.asarray(segments)
        lengths = np.diff(bounds)
        segment_of = np.repeat(np.arange(len(lengths)), lengths)
        squares = np.bincount(segment_of, weights=values * values, minlength=len(lengths))
        squares[squares == 0] = 1.0
        values /= np.repeat(np.sqrt(squares).astype(np.float32), lengths)
        indptr = bounds[:: len(self._blocks)]
        matrix = sparse.csr_matrix((values, idx, indptr), shape=(len(texts), self._coef.shape[0]))
        logits = np.asarray(matrix @ self._coef, dtype=np.float64) + self._intercept
        if self.rules_offset is not None and matches is not None:
            rules = self._coef[self.rules_offset : self.rules_offset + len(RULE_FEATURES)]
            for i, found in enumerate(matches):
                for col, value in rule_features(found).items():
                    logits[i] += value * rules[col]
        return self._calibrate(logits)

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
        size = len(text)
        char_weight = np.zeros((size + 1, len(wanted)))
        gram_at: list[tuple[int, int, str, npt.NDArray[np.float64]]] = []
        slope = self._slope[wanted]
        for block in self._blocks:
            idx, values = self._block_vector(block, text)
            if not len(idx):
                continue
            contrib = {
                int(i): values[k] * self._coef[i, wanted].astype(np.float64) * slope
                for k, i in enumerate(idx)
            }
            occurrences = feature_spans(block.name, text)
            per_gram: Counter[str] = Counter(g for g, _, _ in occurrences)
            for gram, start, end in occurrences:
                col = block.vocabulary.get(gram)
                if col is None or end <= start:
                    continue
                share = contrib[col + block.offset] / (per_gram[gram] * (end - start))
                char_weight[start:end] += share
                gram_at.append((start, end, gram, share * (end - start)))
        evidence: list[Evidence] = []
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        for j, cat_index in enumerate(wanted):
            scored = [(float(char_weight[s:e, j].sum()), s, e) for s, e in words]
            scored = [w for w in scored if w[0] > 0]
            if not scored:
                continue
            strongest = max(w[0] for w in scored)
            relative = EXPLAIN_RELATIVE if min_relative is None else min_relative
            floor = max(MIN_WEIGHT, relative * strongest)
            chosen = sorted((w for w in scored if w[0] >= floor), reverse=True)[:top_k]
            for weight, s, e in chosen:
                top = max(
                    ((g[3][j], g[2]) for g in gram_at if g[0] < e and g[1] > s),
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
    metadata = json.dumps(arrays.get("metadata", {}), sort_keys=True).encode("utf-8")
    flat["metadata"] = np.frombuffer(metadata, dtype=np.uint8)
    return flat


def unpack(flat: dict[str, npt.NDArray[Any]]) -> dict[str, Any]:
    """Inverse of :func:`pack`. Raises ``KeyError`` naming a missing array."""
    arrays: dict[str, Any] = {name: str(flat[name]) for name in _SCALARS}
    arrays.update({name: flat[name] for name in _ARRAYS})
    arrays["categories"] = [str(c) for c in flat["categories"]]
    arrays["blocks"] = [
        {"name": str(name), "vocabulary": flat[f"vocabulary.{name}"], "idf": flat[f"idf.{name}"]}
        for name in flat["blocks"]
    ]
    arrays["metadata"] = json.loads(flat["metadata"].tobytes().decode("utf-8"))
    return arrays
