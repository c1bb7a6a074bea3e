"""Issue 12's "done when": a category added through the registry alone — a fixture config
directory with ``categories.yaml``, a policy and a word list, no other module touched — is
scored, decided, shown in the dashboard and offered in the Perspective-compatible API.

See docs/categories.md for the same example, step by step.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from moderation import categories, tasks
from moderation.extensions import db
from moderation.tables import Comment, Strike
from tests.dashboard.seed import fast_password_hashing, login, make_user
from tests.support import ROOT, comment_payload, encode, signed

__all__ = ["fast_password_hashing"]

DOXXING_CATEGORY = """\
categories:
  doxxing:
    label: doxxing
    description: publishing someone's private contact details or home address
    perspective: [DOXXING]
    review_reason: publishes someone's private details
    colour: "#0f766e"
    highlight: "#c8f0e8"
    wordlist: doxxing.yaml
"""
DOXXING_WORDS = """\
groups:
  - about: asking for or publishing where someone lives
    category: doxxing
    severity: moderate
    inflect: true
    terms: [doxx, home address, lives at]
"""
TEXT = "Somebody should doxx him. His home address is easy to find."


def doxxing_config(target: Path, *, in_policy: bool = True) -> Path:
    """The project's config directory plus the new category, its word list and thresholds."""
    config = target / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "categories.yaml").write_text(DOXXING_CATEGORY, encoding="utf-8")
    (config / "wordlists" / "doxxing.yaml").write_text(DOXXING_WORDS, encoding="utf-8")
    if in_policy:
        policy = yaml.safe_load((config / "policy.yaml").read_text(encoding="utf-8"))
        policy["categories"]["doxxing"] = {"hold": 0.5, "reject": 0.85}
        policy["authors"]["strike_weights"]["doxxing"] = 3
        (config / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    return config


@pytest.fixture(autouse=True)
def _builtin_categories_afterwards() -> Iterator[None]:
    yield
    categories.use(None)  # later tests in this process see the built-in categories only


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {**settings_overrides, "config_dir": str(doxxing_config(tmp_path))}


def post_comment(client: FlaskClient, secret: str, text: str, comment_id: str) -> int:
    body = encode(comment_payload(text=text, comment_id=comment_id))
    response = client.post("/api/v1/comments", data=body, headers=signed(secret, body))
    assert response.status_code == 202, response.json
    comment_id_in_db: int = response.json["id"]
    return comment_id_in_db


def test_a_category_added_in_the_registry_is_scored_decided_shown_and_offered(
    app: Flask, client: FlaskClient, site: tuple[str, str], fast_password_hashing: None
) -> None:
    assert "doxxing" in categories.CATEGORIES
    comment_id = post_comment(client, site[1], TEXT, "c-dox")
    clean_id = post_comment(client, site[1], "Thanks, a clear and fair article.", "c-ok")
    with app.app_context():  # the worker's task, in this process
        assert tasks.score_comment(comment_id) == "decided"
        assert tasks.score_comment(clean_id) == "decided"

    # Scored (a rule-only category: the word list's moderate severity through rule_scores)
    # and decided: held, with the category named in the reason.
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        assert comment.scores["doxxing"] == pytest.approx(0.60)
        # the classifier has no output for it: its model score is 0, as spam's is
        assert comment.model_scores["doxxing"] == comment.model_scores["spam"] == 0.0
        terms = {m["term"] for m in comment.matches if m["category"] == "doxxing"}
        assert terms == {"doxx", "home address"}
        assert comment.status == "held"
        assert {"code": "category_score", "category": "doxxing", "outcome": "hold"}.items() <= (
            next(r for r in comment.reasons if r.get("category") == "doxxing").items()
        )
        clean = db.session.get(Comment, clean_id)
        assert clean is not None
        assert (clean.status, clean.scores["doxxing"]) == ("published", 0.0)

    # Shown in the dashboard: its score row, highlighted matches, colours and reject reason.
    make_user(app, "ann", "moderator")
    assert login(client, "ann").status_code == 302
    page = client.get("/dashboard/").text
    assert '<th scope="row">doxxing</th>' in page
    assert re.search(r'<mark class="[^"]*cat-doxxing[^"]*"', page)
    assert '<option value="doxxing"' in page
    assert "doxxing: publishes someone&#39;s private details" in page
    assert client.get("/dashboard/?category=doxxing").status_code == 200
    css = client.get("/dashboard/categories.css")
    assert css.mimetype == "text/css"
    assert "mark.hl-rule.cat-doxxing { background: #c8f0e8; }" in css.text

    # Rejected under the new category by a moderator: the strike takes its weight.
    page = client.get("/dashboard/").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    response = client.post(
        f"/dashboard/comments/{comment_id}/reject",
        data={"reason": "doxxing", "csrf_token": token.group(1)},
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        strike = db.session.query(Strike).filter_by(comment_id=comment_id).one()
        assert (strike.category, strike.weight) == ("doxxing", 3.0)

    # Offered in the Perspective-compatible API under the attribute name it declares.
    with app.app_context():
        from moderation.services import api_keys
        from moderation.services.sites import require_site

        _, key = api_keys.create_key(require_site(site[0]))
    analyzed = client.post(
        f"/v1alpha1/comments:analyze?key={key}",
        json={
            "comment": {"text": TEXT},
            "requestedAttributes": {"DOXXING": {}, "TOXICITY": {}},
            "languages": ["en"],
            "spanAnnotations": True,
        },
    )
    assert analyzed.status_code == 200, analyzed.text
    scores = analyzed.get_json()["attributeScores"]
    assert scores["DOXXING"]["summaryScore"]["value"] == pytest.approx(0.60)
    assert [s["begin"] for s in scores["DOXXING"]["spanScores"]] == [
        TEXT.index("doxx"),
        TEXT.index("home address"),
    ]
    # it did not join TOXICITY (it did not declare it)
    assert scores["TOXICITY"]["summaryScore"]["value"] < 0.5


def test_registry_thresholds_apply_when_the_policy_leaves_the_category_out(
    tmp_path: Path,
) -> None:
    from moderation.policy.loader import load_policies
    from moderation.policy.schema import PolicyError

    config = doxxing_config(tmp_path, in_policy=False)
    with pytest.raises(PolicyError, match="categories: missing doxxing"):
        load_policies(config)
    path = config / "categories.yaml"
    path.write_text(
        DOXXING_CATEGORY + "    thresholds: {hold: 0.4, reject: 0.9}\n", encoding="utf-8"
    )
    default = load_policies(config).default
    assert default.thresholds(categories.Category("doxxing")).hold == 0.4


@pytest.mark.parametrize(
    ("declaration", "named"),
    [
        ("categories:\n  attack: {}\n", "categories.attack: 'attack' is already taken"),
        ("categories:\n  other: {}\n", "categories.other"),
        ("categories:\n  Bad-Name: {}\n", "categories.Bad-Name"),
        (DOXXING_CATEGORY.replace("#0f766e", "red;}body{"), "categories.doxxing.colour"),
        (DOXXING_CATEGORY.replace("[DOXXING]", "[doxx ing]"), "categories.doxxing.perspective"),
        (DOXXING_CATEGORY.replace("doxxing.yaml", "../x.yaml"), "categories.doxxing.wordlist"),
        (DOXXING_CATEGORY + "    surprise: 1\n", "categories.doxxing.surprise"),
        ("- doxxing\n", "expected a mapping"),
    ],
)
def test_a_bad_declaration_stops_start_up_naming_the_key(
    tmp_path: Path, declaration: str, named: str
) -> None:
    from moderation.policy.loader import load_policies
    from moderation.policy.schema import PolicyError

    config = doxxing_config(tmp_path)
    (config / "categories.yaml").write_text(declaration, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policies(config)
    assert str(info.value).startswith(str(config / "categories.yaml"))
    assert named in str(info.value)
    assert "doxxing" not in categories.CATEGORIES  # nothing half-declared


def test_a_missing_word_list_stops_start_up(tmp_path: Path) -> None:
    from moderation.policy.loader import load_policies
    from moderation.scoring.rules import RuleConfigError, validate_config

    config = doxxing_config(tmp_path)
    (config / "wordlists" / "doxxing.yaml").unlink()
    load_policies(config)
    with pytest.raises(RuleConfigError, match=r"doxxing\.yaml"):
        validate_config(config)


def test_policy_check_reads_the_declared_categories(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moderation.cli import main

    config = doxxing_config(tmp_path / "cli")
    monkeypatch.setenv("MODERATION_CONFIG_DIR", str(config))
    result = app.test_cli_runner().invoke(main, ["policy", "check"])
    assert result.exit_code == 0, result.output
    (config / "categories.yaml").write_text(
        DOXXING_CATEGORY.replace("#0f766e", "teal"), encoding="utf-8"
    )
    result = app.test_cli_runner().invoke(main, ["policy", "check"])
    assert result.exit_code != 0
    assert "categories.doxxing.colour" in result.output
