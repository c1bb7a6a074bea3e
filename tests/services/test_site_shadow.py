"""Shadow mode: a candidate site model scores live traffic beside the live model, its
would-be decision and scores are recorded with the decision, and it decides nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.services.decisions import SHADOW_DECISION, SHADOW_MODEL, SHADOW_SCORES
from moderation.tables import AuditEntry, Comment, utcnow
from tests.cli.test_sites import invoke
from tests.services.site_fixture import site_labels, write_shared
from tests.services.test_decisions import score, submit
from tests.services.test_site_models import PROBE, import_lines


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {
        **settings_overrides,
        "site_models_dir": str(tmp_path / "site-models"),
        "shared_eval_dir": str(write_shared(tmp_path / "eval")),
    }


def decided(app: Flask, pk: int) -> Comment:
    with app.app_context():
        row = db.session.get(Comment, pk)
        assert row is not None
        db.session.expunge(row)
        return row


def trained_candidate(app: Flask, tmp_path: Path) -> None:
    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(300), tmp_path)
    code, out = invoke(app, "train", "--site", "news", "--no-promote")
    assert code == 0 and "news-1 passed the gate" in out, out


def test_a_shadow_model_is_recorded_beside_the_decision_and_decides_nothing(
    app: Flask, tmp_path: Path
) -> None:
    trained_candidate(app, tmp_path)
    before = submit(app, "c-0", PROBE, utcnow())
    score(app, before, utcnow())
    live = decided(app, before)
    assert SHADOW_MODEL not in live.versions and "site_model" not in live.versions

    code, out = invoke(app, "model", "shadow", "--site", "news", "news-1")
    assert code == 0, out
    pk = submit(app, "c-1", PROBE, utcnow())
    score(app, pk, utcnow())
    row = decided(app, pk)
    # the decision is still the general model's, exactly as without the shadow
    assert (row.status, row.auto_decision, row.model_scores) == (
        live.status,
        live.auto_decision,
        live.model_scores,
    )
    assert "site_model" not in row.versions
    # beside it: what the site's candidate would have done (it knows the site's word)
    assert row.versions[SHADOW_MODEL] == "news-1"
    shadow_scores = json.loads(row.versions[SHADOW_SCORES])
    assert shadow_scores["attack"] > 0.5 > row.model_scores["attack"]
    assert row.versions[SHADOW_DECISION] != row.auto_decision

    code, out = invoke(app, "model", "shadow", "--site", "news", "--off")
    assert code == 0, out
    pk = submit(app, "c-2", PROBE, utcnow())
    score(app, pk, utcnow())
    assert SHADOW_MODEL not in decided(app, pk).versions
    with app.app_context():
        actions = db.session.execute(
            sa.select(AuditEntry.action).where(AuditEntry.action == "model.shadow")
        ).scalars()
        assert len(list(actions)) == 2


def test_the_shadow_command_refuses_bad_input(app: Flask, tmp_path: Path) -> None:
    trained_candidate(app, tmp_path)
    code, out = invoke(app, "model", "shadow", "--site", "news")
    assert code != 0 and "VERSION or --off" in out
    code, out = invoke(app, "model", "shadow", "--site", "news", "news-1", "--off")
    assert code != 0 and "VERSION or --off" in out
    code, out = invoke(app, "model", "shadow", "--site", "news", "news-9")
    assert code != 0 and "no model 'news-9'" in out
    code, out = invoke(app, "model", "shadow", "--site", "news", "../x")
    assert code != 0 and "invalid version" in out
    code, out = invoke(app, "model", "shadow", "--site", "nowhere", "news-1")
    assert code != 0 and "nowhere" in out
    assert not (tmp_path / "site-models" / "news" / "SHADOW").exists()
