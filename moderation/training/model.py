"""Training: TF-IDF blocks + one weighted logistic regression per category + Platt scaling.

The scikit-learn objects built here exist only during training; :func:`export` turns them into
the plain arrays that :class:`moderation.scoring.classifier.Classifier` serves, and
:meth:`TrainedModel.decision_function` keeps the scikit-learn path available so a test can
check that both give the same scores.
"""

from __future__ import annotations

import hashlib
import logging
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moderation.scoring.classifier import (
    DEFAULT_NGRAMS,
    FORMAT,
    MODEL_CATEGORIES,
    RULE_FEATURES,
    analyzer,
    rule_features,
)
from moderation.scoring.types import Category, Match
from moderation.training.datasets import Example, dedup_key

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
Normalizer = Callable[[str], str]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class CategorySpec:
    """How one category's model is fitted.

    ``nb`` scales every feature by its NB-SVM log-count ratio (Wang & Manning 2012) computed on
    the category's training rows before the logistic regression; the served coefficients are
    the products, so the model stays linear in the TF-IDF features.
    """

    C: float = 1.0
    nb: bool = False
    #: sample weight per source, overriding :attr:`TrainConfig.source_weights` (0 = unused)
    source_weights: Mapping[str, float] = field(default_factory=dict)
    #: sources fitted with an intercept of their own (an indicator column), so that the text
    #: features need not encode how often that source is positive; the served model keeps
    #: the common intercept only
    source_offsets: tuple[str, ...] = ()
    #: fit one model per group of feature blocks and average their coefficients (an
    #: ensemble that is still one linear model); empty = one model over every block
    block_groups: tuple[tuple[str, ...], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "C": self.C,
            "nb": self.nb,
            "source_weights": dict(self.source_weights),
            "source_offsets": list(self.source_offsets),
            "block_groups": [list(g) for g in self.block_groups],
        }


#: The two block groups of the attack ensemble: words (+ second-person window) and characters,
#: each with the rule-filter features.
WORD_AND_CHAR_GROUPS: tuple[tuple[str, ...], ...] = (("word", "you", "rules"), ("char", "rules"))


def _default_specs() -> dict[str, CategorySpec]:
    # Chosen on the validation split (docs/model.md, "What was tried"). The project-written
    # comments ("authored") get their own intercept everywhere: their share of violations is
    # the writers' choice, not the rate on a comment section, and without it their positives
    # raised the served intercept (more clean comments held on every public set).
    return {
        "profanity": CategorySpec(
            C=1.0,
            nb=True,
            # the public corpora are rich in profanity; the authored lines add little here
            source_weights={"authored": 1.0},
            source_offsets=("davidson", "toxic_spans", "olid", "authored"),
        ),
        "attack": CategorySpec(
            C=2.0,
            nb=True,
            source_weights={"impermium": 3.0, "toxic_spans": 0.5},
            source_offsets=("toxic_spans", "impermium", "olid", "authored"),
            block_groups=WORD_AND_CHAR_GROUPS,
        ),
        "threat": CategorySpec(C=1.0, source_offsets=("toxic_spans", "authored")),
        "hate": CategorySpec(C=1.0, source_offsets=("davidson", "toxic_spans", "authored")),
    }


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the model. Recorded in the model card."""

    seed: int = 0
    #: (block, min_df, max_features); n-gram ranges in ``ngrams`` (else ``DEFAULT_NGRAMS``)
    blocks: tuple[tuple[str, int, int], ...] = (
        ("word", 2, 200_000),
        ("char", 3, 300_000),
        ("you", 2, 50_000),
    )
    ngrams: Mapping[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_NGRAMS))
    #: sample weight per source, for every category
    #: (the project-written comments count three times: 1.8k rows against 76k; docs/model.md)
    source_weights: Mapping[str, float] = field(
        default_factory=lambda: {"davidson": 0.3, "authored": 3.0}
    )
    categories: Mapping[str, CategorySpec] = field(default_factory=_default_specs)
    nb_alpha: float = 1.0
    #: add the rule filter's match counts per (category, severity) as features
    use_rule_features: bool = True
    calibration_folds: int = 3
    validation_fraction: float = 0.2

    def ngram(self, block: str) -> tuple[int, int]:
        return tuple(self.ngrams.get(block, DEFAULT_NGRAMS[block]))  # type: ignore[return-value]

    def spec(self, category: Category) -> CategorySpec:
        return self.categories.get(str(category), CategorySpec())

    def weight(self, category: Category, source: str) -> float:
        override = self.spec(category).source_weights
        if source in override:
            return override[source]
        return self.source_weights.get(source, 1.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "blocks": [list(b) for b in self.blocks],
            "ngrams": {k: list(v) for k, v in self.ngrams.items()},
            "source_weights": dict(self.source_weights),
            "categories": {k: v.as_dict() for k, v in self.categories.items()},
            "nb_alpha": self.nb_alpha,
            "rule_features": self.use_rule_features,
            "calibration_folds": self.calibration_folds,
            "validation_fraction": self.validation_fraction,
        }


def is_validation(text: str, seed: int, fraction: float) -> bool:
    """Deterministic split on the de-duplication key (a text and its near-copies go together)."""
    digest = hashlib.sha256(f"{seed}:{dedup_key(text)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


@dataclass
class TrainedModel:
    """The training-time model: scikit-learn's fitted vectorisers and, per category, the
    linear weights on their (unscaled) TF-IDF features."""

    vectorizers: list[tuple[str, tuple[int, int], Any]]  # (block, n-gram range, TfidfVectorizer)
    weights: dict[Category, npt.NDArray[np.float64]]  # coefficients on the TF-IDF features
    intercepts: dict[Category, float]
    calibration: dict[Category, tuple[float, float]]  # (slope, offset): p = expit(slope*f+offset)
    uses_rules: bool = False
    categories: tuple[Category, ...] = MODEL_CATEGORIES
    #: per category, the fitted per-source intercepts (training only; not served)
    source_offsets: dict[Category, dict[str, float]] = field(default_factory=dict)

    def transform(
        self, normalized_texts: Sequence[str], matches: Sequence[Sequence[Match]] | None = None
    ) -> Any:
        from scipy import sparse

        blocks = [vec.transform(normalized_texts) for _, _, vec in self.vectorizers]
        if self.uses_rules:
            blocks.append(rule_matrix(matches or [[] for _ in normalized_texts]))
        return sparse.hstack(blocks, format="csr")

    def decision_function(
        self, normalized_texts: Sequence[str], matches: Sequence[Sequence[Match]] | None = None
    ) -> npt.NDArray[np.float64]:
        matrix = self.transform(normalized_texts, matches)
        return np.column_stack(
            [matrix @ self.weights[c] + self.intercepts[c] for c in self.categories]
        )

    def coefficients(self, category: Category) -> npt.NDArray[np.float64]:
        """Coefficients on the unscaled TF-IDF features."""
        return self.weights[category]

    def predict_proba(
        self, normalized_texts: Sequence[str], matches: Sequence[Sequence[Match]] | None = None
    ) -> npt.NDArray[np.float64]:
        logits = self.decision_function(normalized_texts, matches)
        slope = np.array([self.calibration[c][0] for c in self.categories])
        offset = np.array([self.calibration[c][1] for c in self.categories])
        probs: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-(logits * slope + offset)))
        return probs


def _vectorizer(block: str, ngram: tuple[int, int], min_df: int, max_features: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=analyzer(block, ngram),
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )


def _platt(decision: npt.NDArray[np.float64], labels: npt.NDArray[np.int_]) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    platt.fit(decision.reshape(-1, 1), labels)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def fit(
    examples: Sequence[Example],
    normalized: Sequence[str],
    config: TrainConfig,
    progress: Progress = _quiet,
    calibrate: bool = True,
    matches: Sequence[Sequence[Match]] | None = None,
) -> TrainedModel:
    """Fit the vectorisers on every text and one model per category on the rows that label it.

    ``normalized[i]`` is the rule filter's normalised text of ``examples[i]`` and
    ``matches[i]`` its rule matches (the rules block is used only when they are given and
    ``config.use_rule_features`` is set). A category with
    only one class among its rows raises ``ValueError`` (the corpus cannot train it).
    """
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    vectorizers = []
    matrices = []
    for block, min_df, max_features in config.blocks:
        progress(f"vectorising: {block} n-grams over {len(normalized):,} texts")
        ngram = config.ngram(block)
        vec = _vectorizer(block, ngram, min(min_df, max(1, len(normalized) // 50)), max_features)
        matrices.append(vec.fit_transform(normalized))
        vectorizers.append((block, ngram, vec))
    uses_rules = config.use_rule_features and matches is not None
    if uses_rules:
        assert matches is not None
        matrices.append(rule_matrix(matches))
    matrix = sparse.hstack(matrices, format="csr")
    n_features = matrix.shape[1]
    columns: dict[str, npt.NDArray[np.intp]] = {}
    start = 0
    for name, part in zip(
        [b[0] for b in config.blocks] + (["rules"] if uses_rules else []), matrices, strict=True
    ):
        columns[name] = np.arange(start, start + part.shape[1])
        start += part.shape[1]
    progress(
        f"features: {matrix.shape[1]:,}" + (" (with rule-filter features)" if uses_rules else "")
    )
    weights: dict[Category, npt.NDArray[np.float64]] = {}
    intercepts: dict[Category, float] = {}
    offsets: dict[Category, dict[str, float]] = {}
    calibration: dict[Category, tuple[float, float]] = {}
    for category in MODEL_CATEGORIES:
        spec = config.spec(category)
        rows = np.array([i for i, ex in enumerate(examples) if category in ex.labels])
        rows = rows[[config.weight(category, examples[i].source) > 0 for i in rows]]
        labels = np.array([examples[i].labels[category] for i in rows])
        if len(rows) == 0 or labels.min() == labels.max():
            raise ValueError(f"category {category}: the training rows hold only one class")
        sources = np.array([examples[i].source for i in rows])
        weights_ = np.array([config.weight(category, s) for s in sources])
        offset_sources = [s for s in spec.source_offsets if s in set(sources)]
        indicators = _indicators(sources, offset_sources)
        # One design matrix per block group (the whole matrix when the spec has none).
        groups = [
            np.concatenate([columns[b] for b in group if b in columns])
            for group in (spec.block_groups or (tuple(columns),))
        ]
        designs = [matrix[rows][:, cols] if len(groups) > 1 else matrix[rows] for cols in groups]

        def fit_one(
            part: npt.NDArray[np.intp],
            spec: CategorySpec = spec,
            labels: npt.NDArray[np.int_] = labels,
            ws: npt.NDArray[np.float64] = weights_,
            indicators: Any = indicators,
            groups: list[npt.NDArray[np.intp]] = groups,
            designs: list[Any] = designs,
        ) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.float64]]:
            """(coefficients on the TF-IDF features, intercept, per-source offsets), averaged
            over the block groups' models."""
            coef = np.zeros(n_features)
            intercept = 0.0
            offsets_ = np.zeros(0 if indicators is None else indicators.shape[1])
            for cols, x in zip(groups, designs, strict=True):
                xs = x[part]
                scale = nb_ratios(xs, labels[part], ws[part], config.nb_alpha) if spec.nb else None
                design = _scaled(xs, scale)
                if indicators is not None:
                    design = sparse.hstack([design, indicators[part]], format="csr")
                model = LogisticRegression(
                    C=spec.C, solver="liblinear", max_iter=1000, random_state=config.seed
                )
                model.fit(design, labels[part], sample_weight=ws[part])
                fitted = model.coef_[0].astype(np.float64)
                n_text = len(cols)
                coef[cols] += fitted[:n_text] if scale is None else fitted[:n_text] * scale
                intercept += float(model.intercept_[0])
                offsets_ = offsets_ + fitted[n_text:] * OFFSET_SCALE
            k = len(groups)
            return coef / k, intercept / k, offsets_ / k

        x = matrix[rows]
        progress(f"{category}: fitting on {len(rows):,} rows ({int(labels.sum()):,} positive)")
        everything = np.arange(len(rows))
        weights[category], intercepts[category], fitted = fit_one(everything)
        offsets[category] = dict(zip(offset_sources, map(float, fitted), strict=True))
        if not calibrate:
            calibration[category] = (1.0, 0.0)
            continue
        folds = min(config.calibration_folds, int(labels.sum()), int((1 - labels).sum()))
        # Out-of-fold decision values of the *served* part (text features + intercept, no
        # per-source offset): Platt scaling maps them to probabilities over the whole mixture.
        oof = np.zeros(len(rows))
        if folds >= 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=config.seed)
            for k, (tr, te) in enumerate(splitter.split(rows, labels), 1):
                progress(f"{category}: calibration fold {k}/{folds}")
                coef, intercept, _ = fit_one(tr)
                oof[te] = x[te] @ coef + intercept
        else:
            oof = x @ weights[category] + intercepts[category]
        calibration[category] = _platt(oof, labels)
    return TrainedModel(
        vectorizers, weights, intercepts, calibration, uses_rules, source_offsets=offsets
    )


#: Value of the per-source indicator columns: large, so that their L2 penalty is negligible
#: and they act as unpenalised per-source intercepts.
OFFSET_SCALE = 10.0


def _indicators(sources: npt.NDArray[np.str_], names: Sequence[str]) -> Any:
    """One column per name in ``names``, ``OFFSET_SCALE`` on the rows of that source."""
    if not names:
        return None
    from scipy import sparse

    rows = np.flatnonzero(np.isin(sources, list(names)))
    cols = [list(names).index(str(s)) for s in sources[rows]]
    return sparse.csr_matrix(
        (np.full(len(rows), OFFSET_SCALE), (rows, cols)), shape=(len(sources), len(names))
    )


def rule_matrix(matches: Sequence[Sequence[Match]]) -> Any:
    """The rules block: one row per text, ``len(RULE_FEATURES)`` columns."""
    from scipy import sparse

    rows, cols, values = [], [], []
    for i, found in enumerate(matches):
        for col, value in rule_features(found).items():
            rows.append(i)
            cols.append(col)
            values.append(value)
    return sparse.csr_matrix(
        (np.asarray(values, dtype=np.float32), (rows, cols)),
        shape=(len(matches), len(RULE_FEATURES)),
    )


def nb_ratios(
    x: Any, labels: npt.NDArray[np.int_], weights: npt.NDArray[np.float64], alpha: float
) -> npt.NDArray[np.float32]:
    """Log-count ratio of each feature's (weighted) presence in positive vs negative rows."""
    present = (x > 0).astype(np.float64)
    pos = alpha + np.asarray(present[labels == 1].T @ weights[labels == 1]).ravel()
    neg = alpha + np.asarray(present[labels == 0].T @ weights[labels == 0]).ravel()
    ratio: npt.NDArray[np.float32] = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(
        np.float32
    )
    return ratio


def _scaled(x: Any, scale: npt.NDArray[np.float32] | None) -> Any:
    if scale is None:
        return x
    from scipy import sparse

    return x @ sparse.diags(scale)


def export(trained: TrainedModel, version: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The artefact content: strings and numpy arrays (see ``classifier.pack``)."""
    import sklearn

    blocks = []
    for name, ngram, vec in trained.vectorizers:
        terms = [""] * len(vec.vocabulary_)
        for term, col in vec.vocabulary_.items():
            if "\n" in term:
                raise ValueError(f"block {name}: term {term!r} contains a newline")
            terms[col] = term
        blocks.append(
            {
                "name": name,
                "vocabulary": np.frombuffer(
                    "\n".join(terms).encode("utf-8"), dtype=np.uint8
                ).copy(),
                "idf": np.asarray(vec.idf_, dtype=np.float32),
                "ngram": ngram,
            }
        )
    if trained.uses_rules:
        blocks.append(
            {
                "name": "rules",
                "vocabulary": np.frombuffer(
                    "\n".join(RULE_FEATURES).encode(), dtype=np.uint8
                ).copy(),
                "idf": np.ones(len(RULE_FEATURES), dtype=np.float32),
            }
        )
    coef = np.column_stack([trained.weights[c] for c in trained.categories]).astype(np.float32)
    return {
        "format": FORMAT,
        "version": version,
        "sklearn_version": sklearn.__version__,
        "categories": [str(c) for c in trained.categories],
        "blocks": blocks,
        "coef": coef,
        "intercept": np.array([trained.intercepts[c] for c in trained.categories]),
        "calibration_slope": np.array([trained.calibration[c][0] for c in trained.categories]),
        "calibration_offset": np.array([trained.calibration[c][1] for c in trained.categories]),
        "metadata": dict(metadata),
    }


def save(arrays: Mapping[str, Any], path: Path) -> None:
    """Write the artefact as a compressed ``.npz`` (plain arrays, loadable without pickle)."""
    from moderation.scoring.classifier import pack

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=False, **pack(dict(arrays)))
    tmp.replace(path)


def library_versions() -> dict[str, str]:
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }
