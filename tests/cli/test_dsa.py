"""`moderation dsa submit`: dry run, submission to a local fake of the Transparency
Database, configuration; and the daily beat entry."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from moderation import configured
from moderation.celery_app import celery_config
from moderation.cli import main
from moderation.config import load_settings
from moderation.tasks import submit_dsa_statements
from tests.dsa.fake_tdb import FakeTDB, running_fake
from tests.services.test_dsa import many_statements, statements

TOKEN = "tdb-secret-token-6d1f"


@pytest.fixture
def fake() -> Iterator[FakeTDB]:
    with running_fake(FakeTDB(token=TOKEN)) as server:
        yield server


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], fake: FakeTDB) -> dict[str, Any]:
    return {**settings_overrides, "dsa_api_url": fake.url, "dsa_api_token": TOKEN}


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(main, list(args))
    return result.exit_code, result.output


def stdout_of(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.usefixtures("site")
def test_dry_run_writes_the_json_and_sends_nothing(
    app: Flask, fake: FakeTDB, tmp_path: Path
) -> None:
    many_statements(app, 120)
    batches = json.loads(stdout_of(app, "dsa", "submit", "--site", "news", "--dry-run"))
    assert [len(b["statements"]) for b in batches] == [100, 20]
    target = tmp_path / "sor.json"
    code, out = invoke(app, "dsa", "submit", "--site", "news", "--dry-run", "--out", str(target))
    assert code == 0, out
    assert json.loads(target.read_text(encoding="utf-8")) == batches
    assert fake.raw_bodies == []
    assert all(r.submitted_at is None for r in statements(app))


@pytest.mark.usefixtures("site")
def test_submit_sends_each_statement_once_and_never_shows_the_token(
    app: Flask, fake: FakeTDB, caplog: pytest.LogCaptureFixture
) -> None:
    many_statements(app, 101)
    with caplog.at_level(logging.DEBUG):
        code, out = invoke(app, "dsa", "submit", "--site", "news")
        assert code == 0, out
        assert "101 statement(s) submitted in 2 batch(es)" in out
        code, out = invoke(app, "dsa", "submit", "--site", "news", "--since", "30d")
        assert code == 0, out
        assert "0 statement(s) submitted" in out
    assert len(fake.bodies) == 2
    assert TOKEN not in out
    assert TOKEN not in caplog.text


@pytest.mark.usefixtures("site")
def test_a_refusal_is_reported_and_the_exit_status_says_so(app: Flask, fake: FakeTDB) -> None:
    many_statements(app, 1)
    fake.token = "another"
    code, out = invoke(app, "dsa", "submit", "--site", "news")
    assert code == 1
    assert "refused sor_cr-" in out and "HTTP 401" in out


def test_an_unknown_site_is_named(app: Flask) -> None:
    code, out = invoke(app, "dsa", "submit", "--site", "nowhere")
    assert code != 0 and "no site named 'nowhere'" in out


@pytest.mark.usefixtures("site")
def test_the_beat_task_submits_every_site(app: Flask, fake: FakeTDB) -> None:
    many_statements(app, 3)
    with app.app_context():
        assert "news: 3 statement(s) submitted" in submit_dsa_statements.run()
        assert submit_dsa_statements.run() == "nothing to submit"
    assert len(fake.bodies) == 1


def test_the_daily_beat_entry_exists_only_when_configured(tmp_path: Path) -> None:
    base = {"instance_path": str(tmp_path)}
    plain = celery_config(load_settings(base, environ={}))
    assert "submit-dsa-statements" not in plain["beat_schedule"]
    configured_ = celery_config(
        load_settings(
            {**base, "dsa_api_url": "https://tdb.example/api/v1/statements"},
            environ={"MODERATION_DSA_API_TOKEN": TOKEN},
        )
    )
    entry = configured_["beat_schedule"]["submit-dsa-statements"]
    assert entry["task"] == "moderation.submit_dsa_statements"
    assert entry["schedule"] == timedelta(days=1).total_seconds()


def test_submitting_without_a_token_says_what_to_set(
    app: Flask, settings_overrides: dict[str, Any]
) -> None:
    with app.app_context():
        settings = configured.settings()
    assert settings.dsa_submission_configured
    from moderation.app import create_app

    bare = create_app({**settings_overrides, "dsa_api_token": None, "dsa_api_url": None})
    code, out = invoke(bare, "dsa", "submit", "--site", "news")
    assert code != 0 and "MODERATION_DSA_API_TOKEN" in out
    assert repr(load_settings({"dsa_api_token": TOKEN}, environ={})).count(TOKEN) == 0
