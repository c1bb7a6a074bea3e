"""Issue 4 end to end: a repeat offender climbs the ladder through webhook → Redis → worker,
and the site's receiver gets every event signed, exactly once per event id, in order."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from moderation.dsa.schema import StatementOfReasons
from tests.integration.conftest import notifying_stack
from tests.integration.test_service import decided, post
from tests.support import (
    LOCAL_RECEIVER,
    ROOT,
    Receiver,
    Services,
    comment_payload,
    wait_until,
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """This module's receivers listen on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


SUSPENSION_SECONDS = 4


@pytest.fixture
def short_suspension_config(tmp_path: Path) -> Path:
    """The shipped config, plus a site override shortening the suspension to seconds."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sites").mkdir(exist_ok=True)
    days = SUSPENSION_SECONDS / 86_400
    (config / "sites" / "news.yaml").write_text(
        "authors:\n"
        "  ladder:\n"
        "    - {strikes: 2, sanction: watch}\n"
        f"    - {{strikes: 3, sanction: suspend, days: {days}}}\n"
        "    - {strikes: 5, sanction: block}\n"
    )
    return config


def test_repeat_offender_is_watched_suspended_and_blocked_and_the_site_hears_it(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    receiver: Receiver,
    short_suspension_config: Path,
) -> None:
    secret = site[1]
    receiver.fail_first = 2  # the site is down at first: deliveries are retried
    with notifying_stack(
        app, services, stack_overrides, receiver, config_dir=str(short_suspension_config)
    ) as stack:
        statuses = []
        attack = "You are a worthless f*cking idiot and everyone knows it."
        for n in range(1, 7):
            response = post(stack, secret, comment_payload(comment_id=f"v{n}", text=attack))
            assert response.status_code in (201, 202), response.text
            body = wait_until(
                lambda n=n: decided(stack, secret, f"v{n}"),
                timeout=60,
                what=f"v{n} decided",  # type: ignore[arg-type,misc]
            )
            statuses.append(
                (body["decision"], body["author"]["status"], body["reasons"][0]["code"])
            )
            if (
                body["author"]["status"] == "suspended"
                and body["reasons"][0]["code"] != "author_suspended"
            ):
                if n == 3:
                    continue  # v4 arrives while suspended and is refused at once
                time.sleep(SUSPENSION_SECONDS + 1)
            elif n == 4:
                time.sleep(SUSPENSION_SECONDS + 1)
        assert statuses == [
            ("reject", "active", "category_score"),
            ("reject", "watched", "category_score"),
            ("reject", "suspended", "category_score"),
            ("reject", "suspended", "author_suspended"),
            ("reject", "suspended", "category_score"),
            ("reject", "blocked", "category_score"),
        ]

        def all_delivered() -> list[dict[str, Any]] | None:
            events = receiver.verified_events(secret)
            sanctions = [e for e in events if e["type"].startswith("author.")]
            done = len([e for e in events if e["type"] == "comment.decided"]) == 6
            return (
                events
                if done and sanctions and sanctions[-1]["author"]["status"] == "blocked"
                else None
            )

        events = wait_until(all_delivered, timeout=90, what="every event delivered")
        time.sleep(2)  # any duplicate would arrive within a poll or two
        events = receiver.verified_events(secret)
        ids = Counter(e["id"] for e in events)
        assert all(n == 1 for n in ids.values()), ids
        assert len(receiver.attempts) >= len(events) + 2  # the two refused attempts
        transitions = [
            (e["type"], e["details"]["from"], e["details"]["to"])
            for e in events
            if e["type"].startswith("author.")
        ]
        assert transitions == [
            ("author.sanctioned", "active", "watched"),
            ("author.sanctioned", "watched", "suspended"),
            ("author.reinstated", "suspended", "watched"),
            ("author.sanctioned", "watched", "suspended"),
            ("author.reinstated", "suspended", "watched"),
            ("author.sanctioned", "watched", "blocked"),
        ]
        for e in events:
            assert e["site"] == "news"
            assert e["policy_version"]
        decided_events = [e for e in events if e["type"] == "comment.decided"]
        assert {e["comment"]["id"] for e in decided_events} == {f"v{n}" for n in range(1, 7)}
        assert all(
            e["comment"]["reasons"] and e["comment"]["scores"] is not None for e in decided_events
        )
        # Issue 15: each restriction reached the site with its statement of reasons (DSA).
        for e in decided_events:
            statement = StatementOfReasons.model_validate(e["statement_of_reasons"])
            assert statement.decision_visibility == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
        accounts = [
            StatementOfReasons.model_validate(e["statement_of_reasons"]).decision_account
            for e in events
            if e["type"] == "author.sanctioned" and e["details"]["to"] != "watched"
        ]
        assert accounts == [
            "DECISION_ACCOUNT_SUSPENDED",
            "DECISION_ACCOUNT_SUSPENDED",
            "DECISION_ACCOUNT_TERMINATED",
        ]
