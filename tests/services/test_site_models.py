"""Site models: trained from a site's labels, gated, promoted, rolled back; a site is scored
by its own model only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from moderation import configured
from moderation.scoring.site_model import Model, SiteModelError, SiteModelStore
from moderation.services import labels, site_models
from moderation.tables import utcnow
from tests.cli.test_sites import invoke
from tests.services.site_fixture import record_refusal, site_labels, write_shared

PROBE = "The park is overdue, and whoever wrote this is a zorblax."


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {
        **settings_overrides,
        "site_models_dir": str(tmp_path / "site-models"),
        "shared_eval_dir": str(write_shared(tmp_path / "eval")),
    }


def import_lines(app: Flask, site: str, lines: list[dict[str, object]], tmp_path: Path) -> None:
    path = tmp_path / f"{site}.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    code, out = invoke(app, "feedback", "import", site, str(path))
    assert code == 0, out


def attack(app: Flask, text: str, site: str | None) -> tuple[float, dict[str, str]]:
    with app.app_context():
        result = configured.pipeline().score(text, site=site)
    return result.scores["attack"], dict(result.versions)


def test_both_models_implement_the_model_interface(app: Flask, tmp_path: Path) -> None:
    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(300), tmp_path)
    code, out = invoke(app, "train", "--site", "news")
    assert code == 0, out
    with app.app_context():
        pipeline = configured.pipeline()
        assert isinstance(pipeline.classifier, Model)
        site_model = pipeline.model_for("news")
        assert isinstance(site_model, Model)
        assert site_model is not pipeline.classifier


def test_train_promotes_a_site_model_that_learns_the_sites_word(app: Flask, tmp_path: Path) -> None:
    invoke(app, "site", "add", "news")
    invoke(app, "site", "add", "gazette")
    before, versions = attack(app, PROBE, "news")
    assert "site_model" not in versions
    import_lines(app, "news", site_labels(300), tmp_path)
    code, out = invoke(app, "train", "--site", "news")
    assert code == 0, out
    assert "decision: PROMOTE" in out and "news-1 promoted" in out
    assert "site AUC: attack" in out and "shared AUC: tiny_eval" in out
    after, versions = attack(app, PROBE, "news")
    assert versions["site_model"] == "news-1"
    assert after > 0.5 > before
    # another site, and no site at all, are untouched
    assert attack(app, PROBE, "gazette") == (
        before,
        {k: v for k, v in versions.items() if k != "site_model"},
    )
    assert attack(app, PROBE, None)[0] == before
    code, out = invoke(app, "model", "list", "--site", "news")
    assert code == 0 and "* news-1" in out and "promoted" in out


def test_a_sites_labels_never_change_another_sites_model(app: Flask, tmp_path: Path) -> None:
    for name in ("news", "gazette"):
        invoke(app, "site", "add", name)
    import_lines(app, "gazette", site_labels(300, seed=5), tmp_path)
    assert invoke(app, "train", "--site", "gazette")[0] == 0
    first = (tmp_path / "site-models" / "gazette" / "gazette-1.npz").read_bytes()
    gazette_score = attack(app, PROBE, "gazette")
    # the other site gets labels saying the opposite, and its own model
    flipped = [
        {**line, "labels": None, "violation": "labels" not in line}
        for line in site_labels(300, seed=9)
    ]
    for line in flipped:
        line.pop("labels")
    import_lines(app, "news", flipped, tmp_path)
    invoke(app, "train", "--site", "news")
    assert attack(app, PROBE, "gazette") == gazette_score
    # retraining gazette on its own labels gives the very same weights (deterministic)
    invoke(app, "model", "rollback", "--site", "gazette")
    assert invoke(app, "train", "--site", "gazette", "--no-promote")[0] == 0
    with app.app_context():
        store = SiteModelStore(configured.settings().resolved_site_models_dir())
        a, b = store.weights("gazette", "gazette-1"), store.weights("gazette", "gazette-2")
    assert (a.coef == b.coef).all() and (a.intercept == b.intercept).all()
    assert first  # the file was written


def test_rollback_and_promote_by_hand(app: Flask, tmp_path: Path) -> None:
    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(300), tmp_path)
    invoke(app, "train", "--site", "news")
    import_lines(app, "news", site_labels(400, seed=1), tmp_path)
    code, out = invoke(app, "train", "--site", "news", "--no-promote")
    assert code == 0, out
    assert attack(app, PROBE, "news")[1]["site_model"] == "news-1"
    record_refusal(app, "news", "news-2")  # the gate's verdict depends on the general model
    # a refused news-2 is kept out, with why
    code, out = invoke(app, "model", "list", "--site", "news")
    assert "news-2" in out and "refused" in out and "must beat live" in out
    code, out = invoke(app, "model", "promote", "--site", "news", "news-2")
    assert code != 0 and "refused by the gate" in out
    code, out = invoke(app, "model", "promote", "--site", "news", "news-2", "--force")
    assert code == 0, out
    assert attack(app, PROBE, "news")[1]["site_model"] == "news-2"
    assert invoke(app, "model", "rollback", "--site", "news")[0] == 0
    assert attack(app, PROBE, "news")[1]["site_model"] == "news-1"
    code, out = invoke(app, "model", "rollback", "--site", "news")
    assert code == 0 and "general model" in out
    assert "site_model" not in attack(app, PROBE, "news")[1]
    code, out = invoke(app, "model", "rollback", "--site", "news")
    assert code != 0 and "no promoted model" in out
    code, out = invoke(app, "model", "promote", "--site", "news", "news-9")
    assert code != 0 and "no model 'news-9'" in out


def test_too_few_labels_and_unknown_sites_are_refused(app: Flask, tmp_path: Path) -> None:
    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(20), tmp_path)
    code, out = invoke(app, "train", "--site", "news")
    assert code != 0 and "20 label(s); at least 50" in out
    code, out = invoke(app, "train", "--site", "nowhere")
    assert code != 0 and "no site named 'nowhere'" in out
    code, out = invoke(app, "model", "list", "--site", "../etc")
    assert code != 0
    with pytest.raises(SiteModelError):
        SiteModelStore(tmp_path).folder("../x")
    with app.app_context():
        assert labels.count(1) >= 0
        assert site_models.MIN_LABELS == 50
    assert utcnow()


def test_score_cli_uses_the_sites_promoted_model(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from moderation.cli.scoring import score_command

    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(300), tmp_path)
    assert invoke(app, "train", "--site", "news")[0] == 0
    monkeypatch.setenv("MODERATION_SITE_MODELS_DIR", str(tmp_path / "site-models"))
    line = json.dumps({"id": "p", "text": PROBE}) + "\n"
    plain = json.loads(CliRunner().invoke(score_command, [], input=line).output)
    with_site = json.loads(CliRunner().invoke(score_command, ["--site", "news"], input=line).output)
    assert "site_model" not in plain["versions"]
    assert with_site["versions"]["site_model"] == "news-1"
    assert with_site["scores"]["attack"] > plain["scores"]["attack"]


def test_the_gate_refuses_a_candidate_poisoned_by_one_account(app: Flask, tmp_path: Path) -> None:
    """500 labels from one account call slurs and threats clean. The candidate fitted on
    them is refused and the live model stays."""
    from tests.services.site_fixture import poisoned_labels

    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(600), tmp_path)
    code, out = invoke(app, "train", "--site", "news")
    assert code == 0 and "news-1 promoted" in out, out
    threat_before = attack(app, "I will kill you.", "news")
    path = tmp_path / "poison.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in poisoned_labels(500)) + "\n")
    code, out = invoke(app, "feedback", "import", "news", str(path), "--actor", "mallory")
    assert code == 0 and "500 label(s) added" in out
    code, out = invoke(app, "train", "--site", "news")
    assert code == 0, out
    assert "decision: REFUSE" in out
    assert "news-2 refused and kept out" in out
    # the poisoned candidate flags fewer of the site's honest held-out violations at the
    # live model's false-positive rate (the shared set shows a loss too, within tolerance here)
    assert "site recall @ live FPR" in out.split("refused and kept out")[1]
    assert attack(app, "I will kill you.", "news") == threat_before  # news-1 still live
    code, out = invoke(app, "model", "list", "--site", "news")
    assert "* news-1" in out and "news-2" in out and "refused" in out


def test_perspective_analyze_uses_the_keys_site_model(app: Flask, tmp_path: Path) -> None:
    from moderation.services import api_keys
    from moderation.services.sites import require_site

    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(300), tmp_path)
    assert invoke(app, "train", "--site", "news")[0] == 0
    with app.app_context():
        _, key = api_keys.create_key(require_site("news"))
    response = app.test_client().post(
        f"/v1alpha1/comments:analyze?key={key}",
        json={"comment": {"text": PROBE}, "requestedAttributes": {"INSULT": {}}},
    )
    assert response.status_code == 200
    assert "site_model=news-1" in response.headers["X-Moderation-Versions"]
    insult = response.get_json()["attributeScores"]["INSULT"]["summaryScore"]["value"]
    assert insult > 0.5


def test_beat_task_retrains_due_sites_gates_and_tells_the_site(app: Flask, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from moderation.extensions import db
    from moderation.tables import AuditEntry, Event
    from moderation.tasks import retrain_sites

    invoke(app, "site", "add", "news")
    invoke(app, "site", "add", "gazette")
    import_lines(app, "news", site_labels(300), tmp_path)
    import_lines(app, "gazette", site_labels(30, seed=2), tmp_path)  # below the minimum
    with app.app_context():
        assert retrain_sites.run() == "1 site(s) trained"
        assert retrain_sites.run() == "0 site(s) trained"  # nothing new: not due again
        actions = db.session.execute(
            sa.select(AuditEntry.action, AuditEntry.actor, AuditEntry.target_id).where(
                AuditEntry.action.like("model.%")
            )
        ).all()
        assert actions == [("model.promoted", "scheduler", "news-1")]
        event = db.session.execute(
            sa.select(Event).where(Event.type == "model.promoted")
        ).scalar_one()
        assert event.payload["details"]["version"] == "news-1"
        assert event.ordering_key.startswith("site:")
    assert attack(app, PROBE, "news")[1]["site_model"] == "news-1"
    # 200 new labels make news due again; the candidate does no better: rejected, told
    import_lines(app, "news", site_labels(200, seed=7), tmp_path)
    with app.app_context():
        assert retrain_sites.run() == "1 site(s) trained"
        types = (
            db.session.execute(
                sa.select(Event.type).where(Event.type.like("model.%")).order_by(Event.seq)
            )
            .scalars()
            .all()
        )
        assert types[0] == "model.promoted" and len(types) == 2


def test_policy_advise_prints_figures_and_writes_a_policy_simulate_reads(
    app: Flask, tmp_path: Path
) -> None:
    invoke(app, "site", "add", "news")
    import_lines(app, "news", site_labels(300), tmp_path)
    out_file = tmp_path / "advised.yaml"
    code, out = invoke(
        app, "policy", "advise", "--site", "news", "--rate", "0.02", "--out", str(out_file)
    )
    assert code == 0, out
    assert "budget: 2.0% of them held" in out and "attack" in out
    code, simulated = invoke(app, "policy", "simulate", "--site", "news", str(out_file))
    assert code == 0, simulated
    code, out = invoke(app, "policy", "advise", "--site", "news", "--rate", "1.5")
    assert code != 0
    code, out = invoke(app, "policy", "advise", "--site", "nowhere")
    assert code != 0


def test_the_blind_evaluation_set_is_not_a_shared_set() -> None:
    """eval/blind/ holds a set measured once at the end of its issue: the gate's shared sets
    (every eval/*.jsonl) must not score it before then."""
    eval_dir = Path(__file__).resolve().parents[2] / "eval"
    blind = sorted((eval_dir / "blind").glob("*.jsonl"))
    assert blind, "eval/blind/ holds the blind set"
    names = {found.name for found in site_models.shared_sets(eval_dir)}
    assert names and not any(path.stem in names or path.name in names for path in blind)
