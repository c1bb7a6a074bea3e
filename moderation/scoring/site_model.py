"""Site models: a site's own standard, learnt from its moderators' labels on top of the general
model. Pure: no Flask, no database; artefacts are plain arrays (``.npz``, no pickle) plus a
JSON card.

Design (figures in ``docs/site-models.md``): per category, a logistic regression over

* the general model's log-odds for every category (the prior: a site model starts from what
  the general model knows, and only has to learn where the site differs), each with hinge
  terms ``max(0, log-odds - k)`` at fixed knots ``k`` (:data:`PRIOR_KNOTS`), scaled by
  :data:`PRIOR_HINGE_SCALE` (so their weights are penalised more than the linear ones): a
  piecewise-linear, regularised re-reading of the general scores, since a site's line may sit
  anywhere on them, and
* the site's own vocabulary: word 1-2-grams of the rule-normalised text, hashed into
  ``2**hash_bits`` buckets (CRC-32, stable across processes and machines), sublinear term
  frequency, L2-normalised.

A category with too few positive labels is not fitted: its score passes through from the
general model. Evidence spans (:meth:`SiteModel.explain`) are the general model's.

Both :class:`~moderation.scoring.classifier.Classifier` and :class:`SiteModel` implement
:class:`Model`, so the pipeline does not care which one scores a site.

On disk, per site: ``<root>/<site>/<version>.npz`` and ``<version>.json`` (the card: labels
used, gate report, status), ``CURRENT`` naming the promoted version, and ``promotions.json``,
the promotion history (``rollback`` goes back one entry).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from moderation.scoring.classifier import (
    Classifier,
    ModelLoadError,
    NormalizedText,
    word_grams,
)
from moderation.scoring.types import Category, Evidence, Match

log = logging.getLogger(__name__)

FORMAT = "site-model/2"
#: Formats this code reads: /1 has the plain log-odds prior only (no knots stored).
READABLE_FORMATS = frozenset({"site-model/1", FORMAT})
#: Knots of the prior's hinge terms (log-odds) and the hinge columns' scale (format /2).
PRIOR_KNOTS: tuple[float, ...] = (-6.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0)
PRIOR_HINGE_SCALE = 0.125
SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: Log-odds of the prior are clipped to this magnitude (probabilities of exactly 0 or 1).
PRIOR_CLIP = 12.0


@runtime_checkable
class Model(Protocol):
    """What the pipeline needs of a model: versioned per-category probabilities and the spans
    that drove them."""

    @property
    def version(self) -> str: ...

    @property
    def categories(self) -> tuple[Category, ...]: ...

    def predict_batch(
        self,
        normalized: Sequence[NormalizedText],
        matches: Sequence[Iterable[Match]] | None = None,
    ) -> list[dict[Category, float]]: ...

    def explain(
        self,
        normalized: NormalizedText,
        categories: Iterable[Category],
        top_k: int = 5,
        *,
        min_relative: float | None = None,
    ) -> list[Evidence]: ...


def hashed_rows(
    texts: Sequence[str], bits: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Hashed word 1-2-gram features of normalised texts as ``(rows, columns, values)``:
    sublinear tf, each row L2-normalised. Colliding grams add up."""
    mask = (1 << bits) - 1
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
    vals: list[npt.NDArray[np.float64]] = []
    for i, text in enumerate(texts):
        grams = word_grams(text, 2)
        if not grams:
            continue
        hashed = np.fromiter(
            (zlib.crc32(g.encode("utf-8")) & mask for g in grams), dtype=np.int64, count=len(grams)
        )
        unique, counts = np.unique(hashed, return_counts=True)
        values = np.log(counts) + 1.0
        values /= math.sqrt(float(values @ values))
        rows.append(np.full(len(unique), i, dtype=np.int64))
        cols.append(unique)
        vals.append(values)
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def prior_features(
    probs: npt.NDArray[np.float64],
    knots: Sequence[float] = (),
    scale: float = PRIOR_HINGE_SCALE,
) -> npt.NDArray[np.float64]:
    """The general model's probabilities as clipped log-odds, followed (when ``knots`` are
    given) by ``scale * max(0, log-odds - k)`` for each knot ``k``, knot-major: columns
    ``[logits, hinge(k0), hinge(k1), ...]``, each block one column per category."""
    p = np.clip(probs, 1e-6, 1 - 1e-6)
    logits: npt.NDArray[np.float64] = np.clip(np.log(p / (1 - p)), -PRIOR_CLIP, PRIOR_CLIP)
    if not len(knots):
        return logits
    out: npt.NDArray[np.float64] = np.hstack(
        [logits, *(scale * np.maximum(logits - k, 0.0) for k in knots)]
    )
    return out


def _expit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


@dataclass(frozen=True)
class SiteWeights:
    """The fitted arrays of a site model. Column layout: the prior columns (see
    :func:`prior_features`: ``(1 + len(prior_knots)) * len(categories)``), then
    ``2**hash_bits`` hashed columns."""

    site: str
    version: str
    base_version: str
    hash_bits: int
    categories: tuple[Category, ...]  # the general model's categories, in its order
    fitted: npt.NDArray[np.bool_]  # per category: False = pass the general score through
    coef: npt.NDArray[np.float32]  # (n_prior + 2**hash_bits, n_categories)
    intercept: npt.NDArray[np.float64]  # (n_categories,)
    metadata: dict[str, Any]
    prior_knots: tuple[float, ...] = ()
    prior_scale: float = PRIOR_HINGE_SCALE

    @property
    def n_prior(self) -> int:
        return (1 + len(self.prior_knots)) * len(self.categories)

    def prior(self, probs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The prior columns for the general model's probabilities ``probs``."""
        return prior_features(probs, self.prior_knots, self.prior_scale)

    def save(self, path: Path) -> None:
        """Write the ``.npz`` (plain arrays only)."""
        meta = json.dumps(self.metadata, sort_keys=True).encode("utf-8")
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as handle:
            np.savez_compressed(
                handle,
                format=np.array(FORMAT),
                site=np.array(self.site),
                version=np.array(self.version),
                base_version=np.array(self.base_version),
                hash_bits=np.array(self.hash_bits),
                categories=np.array([str(c) for c in self.categories]),
                fitted=self.fitted,
                coef=self.coef,
                intercept=self.intercept,
                prior_knots=np.array(self.prior_knots, dtype=np.float64),
                prior_scale=np.array(self.prior_scale, dtype=np.float64),
                metadata=np.frombuffer(meta, dtype=np.uint8),
            )
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> SiteWeights:
        """Raises :class:`ModelLoadError` naming the file and the problem."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                found = str(stored["format"])
                if found not in READABLE_FORMATS:
                    raise ModelLoadError(
                        f"{path}: format {found!r} is not one this version reads "
                        f"({', '.join(sorted(READABLE_FORMATS))}): retrain the site"
                    )
                newer = found != "site-model/1"
                weights = cls(
                    site=str(stored["site"]),
                    version=str(stored["version"]),
                    base_version=str(stored["base_version"]),
                    hash_bits=int(stored["hash_bits"]),
                    categories=tuple(Category(str(c)) for c in stored["categories"]),
                    fitted=np.asarray(stored["fitted"], dtype=bool),
                    coef=np.asarray(stored["coef"], dtype=np.float32),
                    intercept=np.asarray(stored["intercept"], dtype=np.float64),
                    metadata=json.loads(stored["metadata"].tobytes().decode("utf-8")),
                    prior_knots=(tuple(float(k) for k in stored["prior_knots"]) if newer else ()),
                    prior_scale=float(stored["prior_scale"]) if newer else PRIOR_HINGE_SCALE,
                )
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise ModelLoadError(f"{path}: cannot read site model ({exc})") from exc
        n_cat = len(weights.categories)
        if weights.coef.shape != (weights.n_prior + (1 << weights.hash_bits), n_cat) or not (
            weights.intercept.shape == weights.fitted.shape == (n_cat,)
        ):
            raise ModelLoadError(f"{path}: array shapes do not match")
        return weights


class SiteModel:
    """A site's model: the general model plus the site's fitted weights. Implements
    :class:`Model`."""

    def __init__(self, base: Classifier, weights: SiteWeights) -> None:
        """Raises :class:`ModelLoadError` when ``weights`` were fitted on another general model
        (their prior columns would mean something else)."""
        if weights.base_version != base.version or weights.categories != base.categories:
            raise ModelLoadError(
                f"site model {weights.version} was trained on general model "
                f"{weights.base_version}, not {base.version}: retrain the site"
            )
        self.base = base
        self.weights = weights
        self.site = weights.site
        self._n_prior = weights.n_prior

    @property
    def version(self) -> str:
        return self.weights.version

    @property
    def categories(self) -> tuple[Category, ...]:
        return self.base.categories

    def predict_proba(
        self, texts: Sequence[str], matches: Sequence[Iterable[Match]] | None = None
    ) -> npt.NDArray[np.float64]:
        """``(len(texts), len(categories))`` probabilities for normalised texts."""
        return self.combine(texts, self.base.predict_proba(texts, matches))

    def combine(
        self, texts: Sequence[str], base: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Site probabilities from the normalised texts and the general model's probabilities
        of the same texts."""
        if not len(texts):
            return base
        w = self.weights
        logits = w.prior(base) @ w.coef[: self._n_prior].astype(np.float64) + w.intercept
        rows, cols, values = hashed_rows(texts, w.hash_bits)
        if len(rows):
            contrib = values[:, None] * w.coef[self._n_prior + cols].astype(np.float64)
            np.add.at(logits, rows, contrib)
        out = np.where(w.fitted[None, :], _expit(logits), base)
        return out

    def predict_batch(
        self,
        normalized: Sequence[NormalizedText],
        matches: Sequence[Iterable[Match]] | None = None,
    ) -> list[dict[Category, float]]:
        return [
            {c: float(p) for c, p in zip(self.categories, row, strict=True)}
            for row in self.predict_proba([n.text for n in normalized], matches)
        ]

    def explain(
        self,
        normalized: NormalizedText,
        categories: Iterable[Category],
        top_k: int = 5,
        *,
        min_relative: float | None = None,
    ) -> list[Evidence]:
        """The general model's evidence (the site's vocabulary is not explained yet)."""
        return self.base.explain(normalized, categories, top_k, min_relative=min_relative)


# --------------------------------------------------------------------------- storage


class SiteModelError(ValueError):
    """A site-model operation that does not apply; the message says why."""


class SiteModelStore:
    """Site models under ``root``, one folder per site. Thread-safe; a worker sees a
    promotion or rollback at its next comment (``CURRENT`` is checked on every lookup, one
    ``stat``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[int, SiteModel | None]] = {}

    def folder(self, site: str) -> Path:
        if not SITE_NAME.match(site):
            raise SiteModelError(f"invalid site name {site!r}")
        return self.root / site

    def versions(self, site: str) -> list[dict[str, Any]]:
        """The cards of the site's models, oldest first."""
        folder = self.folder(site)
        if not folder.is_dir():
            return []
        cards = []
        for path in folder.glob("*.json"):
            if path.name == "promotions.json":
                continue
            cards.append(json.loads(path.read_text(encoding="utf-8")))
        return sorted(cards, key=lambda c: (int(c.get("number", 0)), str(c["version"])))

    def next_version(self, site: str) -> tuple[str, int]:
        number = max((int(c.get("number", 0)) for c in self.versions(site)), default=0) + 1
        return f"{site}-{number}", number

    def card(self, site: str, version: str) -> dict[str, Any]:
        if not VERSION_NAME.match(version):
            raise SiteModelError(f"invalid version {version!r}")
        path = self.folder(site) / f"{version}.json"
        if not path.is_file():
            raise SiteModelError(f"site {site!r} has no model {version!r}")
        card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return card

    def write_card(self, site: str, card: dict[str, Any]) -> None:
        path = self.folder(site) / f"{card['version']}.json"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def save(self, weights: SiteWeights, card: dict[str, Any]) -> Path:
        folder = self.folder(weights.site)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{weights.version}.npz"
        weights.save(path)
        self.write_card(weights.site, card)
        return path

    def weights(self, site: str, version: str) -> SiteWeights:
        self.card(site, version)  # validates the name
        return SiteWeights.read(self.folder(site) / f"{version}.npz")

    def current(self, site: str) -> str | None:
        """The promoted version, or ``None`` (the site is scored by the general model)."""
        path = self.folder(site) / "CURRENT"
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8").strip() or None

    def promotions(self, site: str) -> list[str]:
        path = self.folder(site) / "promotions.json"
        if not path.is_file():
            return []
        history: list[str] = json.loads(path.read_text(encoding="utf-8"))
        return history

    def _set_current(self, site: str, version: str | None, history: list[str]) -> None:
        folder = self.folder(site)
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in (
            ("promotions.json", json.dumps(history) + "\n"),
            ("CURRENT", (version or "") + "\n"),
        ):
            tmp = folder / f"{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, folder / name)

    def promote(self, site: str, version: str) -> None:
        """Make ``version`` the site's live model (the gate is the caller's business)."""
        self.weights(site, version)  # exists and is readable
        history = self.promotions(site)
        if history and history[-1] == version:
            raise SiteModelError(f"{version} is already live on {site}")
        self._set_current(site, version, [*history, version])

    def rollback(self, site: str) -> str | None:
        """Back to the previously promoted version (``None``: the general model)."""
        history = self.promotions(site)
        if not history:
            raise SiteModelError(f"site {site!r} has no promoted model to roll back")
        history = history[:-1]
        previous = history[-1] if history else None
        self._set_current(site, previous, history)
        return previous

    def shadow(self, site: str) -> str | None:
        """The version scoring the site's traffic in shadow (deciding nothing), or ``None``."""
        path = self.folder(site) / "SHADOW"
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8").strip() or None

    def set_shadow(self, site: str, version: str | None) -> None:
        """Run ``version`` (any kept version, refused ones too) in shadow; ``None``: stop."""
        if version is not None:
            self.weights(site, version)  # exists and is readable
        folder = self.folder(site)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "SHADOW.tmp"
        tmp.write_text((version or "") + "\n", encoding="utf-8")
        os.replace(tmp, folder / "SHADOW")

    def model_for(self, site: str, base: Classifier) -> SiteModel | None:
        """The site's promoted model on ``base``, loaded once per promotion; ``None`` when
        the site has none, or when it cannot be used (logged: the general model scores)."""
        return self._load(site, base, "CURRENT")

    def shadow_model_for(self, site: str, base: Classifier) -> SiteModel | None:
        """The site's shadow model on ``base`` (see :meth:`set_shadow`), or ``None``."""
        return self._load(site, base, "SHADOW")

    def _load(self, site: str, base: Classifier, pointer: str) -> SiteModel | None:
        path = self.folder(site) / pointer
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        key = f"{pointer}:{site}"
        with self._lock:
            cached = self._loaded.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            version = self.current(site) if pointer == "CURRENT" else self.shadow(site)
            model = None
            if version is not None:
                try:
                    model = SiteModel(base, self.weights(site, version))
                except (ModelLoadError, SiteModelError) as exc:
                    log.error("site model unusable, %s scored by the general model: %s", site, exc)
            self._loaded[key] = (stamp, model)
            return model
