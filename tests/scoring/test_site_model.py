"""Site-model artefacts: the current format round-trips; format 1 (plain log-odds prior) still
loads; anything else is refused with a message naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moderation.scoring.classifier import ModelLoadError
from moderation.scoring.site_model import (
    FORMAT,
    PRIOR_HINGE_SCALE,
    PRIOR_KNOTS,
    SiteWeights,
    prior_features,
)
from moderation.scoring.types import Category

CATEGORIES = (Category.ATTACK, Category.PROFANITY)
BITS = 4


def weights(knots: tuple[float, ...]) -> SiteWeights:
    n_prior = (1 + len(knots)) * len(CATEGORIES)
    coef = np.arange((n_prior + (1 << BITS)) * len(CATEGORIES), dtype=np.float32)
    return SiteWeights(
        site="news",
        version="news-1",
        base_version="1.1.1",
        hash_bits=BITS,
        categories=CATEGORIES,
        fitted=np.array([True, False]),
        coef=coef.reshape(n_prior + (1 << BITS), len(CATEGORIES)),
        intercept=np.array([0.5, -0.5]),
        metadata={"labels": 3},
        prior_knots=knots,
    )


def test_the_current_format_round_trips(tmp_path: Path) -> None:
    saved = weights(PRIOR_KNOTS)
    saved.save(tmp_path / "news-1.npz")
    read = SiteWeights.read(tmp_path / "news-1.npz")
    assert read.prior_knots == PRIOR_KNOTS and read.prior_scale == PRIOR_HINGE_SCALE
    assert np.array_equal(read.coef, saved.coef) and read.n_prior == 18
    with np.load(tmp_path / "news-1.npz", allow_pickle=False) as stored:
        assert str(stored["format"]) == FORMAT


def test_prior_hinges_follow_the_log_odds() -> None:
    probs = np.array([[0.5, 0.9]])
    out = prior_features(probs, (0.0, 1.0), 0.5)
    logit = np.log(9.0)
    assert out.shape == (1, 6)
    assert np.allclose(out[0], [0.0, logit, 0.0, 0.5 * logit, 0.0, 0.5 * (logit - 1.0)])
    assert np.array_equal(prior_features(probs), out[:, :2])


def write_v1(path: Path, fmt: str = "site-model/1") -> None:
    old = weights(())
    np.savez_compressed(
        path,
        format=np.array(fmt),
        site=np.array(old.site),
        version=np.array(old.version),
        base_version=np.array(old.base_version),
        hash_bits=np.array(old.hash_bits),
        categories=np.array([str(c) for c in old.categories]),
        fitted=old.fitted,
        coef=old.coef,
        intercept=old.intercept,
        metadata=np.frombuffer(json.dumps(old.metadata).encode("utf-8"), dtype=np.uint8),
    )


def test_a_format_1_artefact_still_loads_with_the_plain_prior(tmp_path: Path) -> None:
    write_v1(tmp_path / "news-1.npz")
    read = SiteWeights.read(tmp_path / "news-1.npz")
    assert read.prior_knots == () and read.n_prior == len(CATEGORIES)
    probs = np.array([[0.2, 0.7]])
    assert np.array_equal(read.prior(probs), prior_features(probs))


def test_an_unknown_format_is_refused_naming_the_file(tmp_path: Path) -> None:
    write_v1(tmp_path / "news-1.npz", fmt="site-model/9")
    with pytest.raises(ModelLoadError, match=r"news-1\.npz: format 'site-model/9'.*retrain"):
        SiteWeights.read(tmp_path / "news-1.npz")
