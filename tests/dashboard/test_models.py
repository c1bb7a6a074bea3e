"""The Model page: live version, gate history with its table, and the learning curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.dashboard.charts import line_chart
from moderation.scoring.site_model import SiteModelStore
from tests.cli.test_sites import invoke
from tests.services.site_fixture import record_refusal, site_labels, write_shared
from tests.services.test_site_models import import_lines


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {
        **settings_overrides,
        "site_models_dir": str(tmp_path / "site-models"),
        "shared_eval_dir": str(write_shared(tmp_path / "eval")),
    }


def test_the_model_page_shows_the_live_model_the_gate_history_and_the_curve(
    app: Flask, as_moderator: FlaskClient, tmp_path: Path
) -> None:
    page = as_moderator.get("/dashboard/model")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "general model" in html and "No candidate yet." in html
    assert "no site model trained yet" in html
    assert 'href="/dashboard/model"' in html  # in the nav

    import_lines(app, "news", site_labels(300), tmp_path)
    assert invoke(app, "train", "--site", "news")[0] == 0
    import_lines(app, "news", site_labels(400, seed=1), tmp_path)
    assert invoke(app, "train", "--site", "news", "--no-promote")[0] == 0
    record_refusal(app, "news", "news-2")  # the gate's verdict depends on the general model
    html = as_moderator.get("/dashboard/model").get_data(as_text=True)
    assert '<strong class="live-version">news-1</strong>' in html
    # newest first: the refused news-2 with its reason, then the promoted news-1
    assert html.index('data-version="news-2"') < html.index('data-version="news-1"')
    assert "refused" in html and "must beat live" in html
    assert "site AUC: attack" in html and "shared AUC: tiny_eval" in html
    # the learning curve: one point per candidate for attack, joined by a line
    assert html.count("at 300 labels") >= 1 and html.count("at 700 labels") >= 1
    assert '<polyline class="line series-attack"' in html


def test_the_model_page_escapes_what_it_shows(
    app: Flask, as_moderator: FlaskClient, tmp_path: Path
) -> None:
    import_lines(app, "news", site_labels(300), tmp_path)
    assert invoke(app, "train", "--site", "news")[0] == 0
    with app.app_context():
        store = SiteModelStore(configured.settings().resolved_site_models_dir())
        card = store.card("news", "news-1")
        store.write_card("news", {**card, "created_by": "<script>alert(1)</script>"})
    html = as_moderator.get("/dashboard/model").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_a_line_chart_escapes_series_names_and_says_when_empty() -> None:
    svg = str(line_chart({"<b>": [(100, 0.7), (200, 0.8)]}, title="t<"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "t&lt;" in svg
    assert svg.count("<circle") == 2 and "<polyline" in svg
    assert "no data yet" in str(line_chart({}, title="t"))


def test_the_model_page_needs_a_signed_in_moderator(client: FlaskClient) -> None:
    response = client.get("/dashboard/model")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]


def test_the_model_page_lists_where_the_shadow_model_would_have_decided_differently(
    app: Flask, as_moderator: FlaskClient, tmp_path: Path
) -> None:
    from moderation.tables import utcnow
    from tests.services.test_decisions import score, submit
    from tests.services.test_site_models import PROBE

    import_lines(app, "news", site_labels(300), tmp_path)
    assert invoke(app, "train", "--site", "news", "--no-promote")[0] == 0
    assert invoke(app, "model", "shadow", "--site", "news", "news-1")[0] == 0
    hostile = PROBE + " <img src=x onerror=alert(1)>"
    same = "I disagree with the council's budget, but thanks for explaining it so clearly."
    for external_id, text in (("c-differs", hostile), ("c-same", same)):
        score(app, submit(app, external_id, text, utcnow()), utcnow())
    html = as_moderator.get("/dashboard/model").get_data(as_text=True)
    assert '<span class="shadow-version">news-1</span>' in html
    table = html[html.index('class="shadow-differences"') :]
    assert "c-differs" in table and "c-same" not in table
    assert "<img src=x" not in html and "&lt;img src=x" in table
