"""The review queue: what a card shows, the order, the filters, and the actions."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.dashboard.highlight import MAX_EVIDENCE_SPANS
from moderation.extensions import db
from moderation.scoring.types import Category
from moderation.tables import AuditEntry, Author, Event, Strike, utcnow
from tests.dashboard.seed import add_comment, audit_actions, comment_row, csrf_from, token

TEXT = "Honestly you are a jackass and a moron."
MATCHES = [
    {"term": "jackass", "category": "attack", "severity": "moderate", "start": 19, "end": 26},
    {"term": "moron", "category": "attack", "severity": "mild", "start": 33, "end": 38},
]
EVIDENCE = [{"category": "attack", "start": 33, "end": 38, "weight": 1.7, "feature": "moron"}]
#: The attack score the comment was held at: seeded input of the card, not a model output.
RISK = 0.62


def card_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-card data-id="(\d+)"', html)]


def scored_evidence(app: Flask, text: str) -> list[dict[str, Any]]:
    """The classifier evidence the shipped pipeline gives for ``text``, stored as decisions do."""
    with app.app_context():
        result = configured.pipeline().score(text, explain_above={Category.ATTACK: 0.0})
    return [e.to_dict() for e in result.explanations]


def test_card_shows_highlights_scores_reasons_and_author(
    app: Flask, as_moderator: FlaskClient
) -> None:
    evidence = scored_evidence(app, TEXT)
    positive = sorted((e for e in evidence if e["weight"] > 0), key=lambda e: -e["weight"])
    # An insult is evidence of an attack, whatever the weights of the model in use.
    assert any(
        e["category"] == "attack" and "moron" in TEXT[e["start"] : e["end"]] for e in positive
    )
    comment_id = add_comment(app, "c1", TEXT, matches=MATCHES, explanations=evidence, risk=RISK)
    html = as_moderator.get("/dashboard/").text
    assert card_ids(html) == [comment_id]
    assert "hl-rule cat-attack" in html
    assert ">jackass</mark>" in html
    assert 'class="hl hl-model hl-rule cat-attack"' in html  # rule and evidence overlap on "moron"
    assert "rule &#34;jackass&#34; · attack · moderate" in html
    # The card shows the strongest positive evidence with the weight the pipeline computed.
    for e in positive[:MAX_EVIDENCE_SPANS]:
        assert f"classifier evidence · {e['category']} · weight {e['weight']:+.2f}" in html
    assert 'low="0.5" high="0.85"' in html  # the attack thresholds of the default policy
    assert f"hold: attack {RISK:.2f} ≥ 0.50 (model)" in html
    assert 'href="https://news.example/a-1"' in html
    assert ">Budget vote</a>" in html
    assert "Ann Reader" in html
    assert "active strikes" in html
    assert "<kbd>j</kbd>" in html  # the shortcuts are on the page
    assert 'style="' not in html
    assert "onclick" not in html
    assert "<script>" not in html


def test_queue_sorts_by_risk_and_author_history_or_by_age(
    app: Flask, as_moderator: FlaskClient
) -> None:
    now = utcnow()
    from datetime import timedelta

    low = add_comment(
        app, "low", "meh", risk=0.50, author="a", received_at=now - timedelta(hours=3)
    )
    high = add_comment(
        app, "high", "bad", risk=0.80, author="b", received_at=now - timedelta(hours=1)
    )
    repeat = add_comment(
        app, "rep", "meh", risk=0.60, author="c", received_at=now - timedelta(hours=2)
    )
    add_comment(app, "done", "fine", status="published", author="d")
    with app.app_context():
        author = db.session.execute(sa.select(Author).where(Author.external_id == "c")).scalar_one()
        for _ in range(5):  # a record of strikes lifts c's comment above b's
            db.session.add(
                Strike(
                    author_id=author.id,
                    category="attack",
                    weight=1.0,
                    created_at=now,
                    expires_at=now + timedelta(days=30),
                    created_by="policy",
                )
            )
        db.session.commit()
    assert card_ids(as_moderator.get("/dashboard/").text) == [repeat, high, low]
    assert card_ids(as_moderator.get("/dashboard/?sort=age").text) == [low, repeat, high]
    # most informative first: the score nearest 0.5 (the model least sure) first
    page = as_moderator.get("/dashboard/?sort=informative").text
    assert card_ids(page) == [low, repeat, high]
    assert "confidence 0%" in page and "confidence 60%" in page
    assert 'value="informative" selected' in page


def test_queue_filters_by_site_article_category_and_appeal(
    app: Flask, as_moderator: FlaskClient
) -> None:
    from tests.support import make_site

    make_site(app, "other")
    attack = add_comment(app, "c1", "x", article_id="a-1")
    spam = add_comment(
        app,
        "c2",
        "buy now",
        article_id="a-2",
        reasons=[
            {
                "code": "category_score",
                "outcome": "hold",
                "category": "spam",
                "score": 0.6,
                "threshold": 0.5,
                "source": "links",
            }
        ],
    )
    elsewhere = add_comment(app, "c3", "x", site="other", author="z")
    appealed = add_comment(app, "c4", "x", appeal=True)
    get = lambda q: card_ids(as_moderator.get(f"/dashboard/?{q}").text)  # noqa: E731
    assert get("site=other") == [elsewhere]
    assert get("article=a-2") == [spam]
    assert get("category=spam") == [spam]
    assert sorted(get("category=attack")) == sorted([attack, elsewhere, appealed])
    assert get("appeals=true") == [appealed]
    assert as_moderator.get("/dashboard/?category=nonsense").status_code == 400


def test_approve_with_fetch_returns_the_updated_card(app: Flask, as_moderator: FlaskClient) -> None:
    comment_id = add_comment(app, "c1", TEXT, matches=MATCHES)
    response = as_moderator.post(
        f"/dashboard/comments/{comment_id}/approve",
        data={"csrf_token": token(as_moderator), "next": "/dashboard/"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<article")
    assert 'data-status="published"' in response.text
    assert "Approved" in response.text
    comment = comment_row(app, comment_id)
    assert (comment.status, comment.decided_by) == ("published", "moderator:ann")
    assert "comment.approved" in audit_actions(app)
    with app.app_context():
        assert db.session.execute(sa.select(Event.type)).scalars().all() == ["comment.updated"]
    # a second approval (another moderator was faster) is refused and shown on the card
    again = as_moderator.post(
        f"/dashboard/comments/{comment_id}/approve",
        data={"csrf_token": token(as_moderator)},
        headers={"X-Requested-With": "fetch"},
    )
    assert again.status_code == 409
    assert "already published" in again.text


def test_reject_and_block_with_a_plain_form(app: Flask, as_moderator: FlaskClient) -> None:
    comment_id = add_comment(app, "c1", TEXT)
    response = as_moderator.post(
        f"/dashboard/comments/{comment_id}/reject",
        data={
            "csrf_token": token(as_moderator),
            "reason": "attack",
            "note": "targets a reader",
            "sanction": "block",
            "days": "7",
            "next": "/dashboard/?sort=age",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/?sort=age"
    comment = comment_row(app, comment_id)
    assert (comment.status, comment.review_reason, comment.review_note) == (
        "rejected",
        "attack",
        "targets a reader",
    )
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        assert author.status == "blocked"
        assert author.status_by_moderator
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "author.blocked")
        ).scalar_one()
        assert entry.actor == "moderator:ann"
        types = db.session.execute(sa.select(Event.type).order_by(Event.seq)).scalars().all()
        assert types == ["comment.updated", "author.sanctioned"]
    page = as_moderator.get("/dashboard/?sort=age")
    assert "Rejected (attack); author blocked." in page.text


def test_reject_needs_a_known_reason_and_days_for_a_suspension(
    app: Flask, as_moderator: FlaskClient
) -> None:
    comment_id = add_comment(app, "c1", TEXT)
    csrf = token(as_moderator)
    for data in ({"reason": "rude"}, {"reason": "attack", "sanction": "suspend", "days": ""}):
        response = as_moderator.post(
            f"/dashboard/comments/{comment_id}/reject",
            data={"csrf_token": csrf, **data},
            headers={"X-Requested-With": "fetch"},
        )
        assert response.status_code == 422
        assert 'class="notice error"' in response.text
    assert comment_row(app, comment_id).status == "held"
    assert "comment.rejected" not in audit_actions(app)


def test_suspend_for_a_period(app: Flask, as_moderator: FlaskClient) -> None:
    comment_id = add_comment(app, "c1", TEXT)
    as_moderator.post(
        f"/dashboard/comments/{comment_id}/reject",
        data={
            "csrf_token": token(as_moderator),
            "reason": "spam",
            "sanction": "suspend",
            "days": "3",
        },
    )
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        assert author.status == "suspended"
        assert author.status_until is not None
        assert 2.9 < (author.status_until - utcnow()).total_seconds() / 86400 < 3.1


def test_bulk_approve_and_reject(app: Flask, as_moderator: FlaskClient) -> None:
    first = add_comment(app, "c1", "one", author="a")
    second = add_comment(app, "c2", "two", author="b")
    third = add_comment(app, "c3", "three", author="c")
    csrf = token(as_moderator)
    response = as_moderator.post(
        "/dashboard/queue/bulk",
        data={"csrf_token": csrf, "action": "approve", "ids": [str(first), str(second)]},
    )
    assert response.status_code == 302
    assert comment_row(app, first).status == comment_row(app, second).status == "published"
    page = as_moderator.get("/dashboard/")
    assert "2 comment(s) approved." in page.text
    refused = as_moderator.post(
        "/dashboard/queue/bulk", data={"csrf_token": csrf, "action": "reject", "ids": [str(third)]}
    )
    assert refused.status_code == 302
    assert comment_row(app, third).status == "held"  # no reason given
    as_moderator.post(
        "/dashboard/queue/bulk",
        data={
            "csrf_token": csrf,
            "action": "reject",
            "reason": "spam",
            "ids": [str(third), str(first)],
        },
    )
    assert comment_row(app, third).status == "rejected"
    assert comment_row(app, first).status == "rejected"  # a published comment can be rejected


def test_empty_queue(as_moderator: FlaskClient) -> None:
    page = as_moderator.get("/dashboard/")
    assert page.status_code == 200
    assert "The queue is empty" in page.text


def _shown_versions(html: str) -> dict[int, str]:
    """What each card's bulk selection says the moderator saw (``id:version``)."""
    return {int(i): v for i, v in re.findall(r'name="seen" value="(\d+):(\d+)"', html)}


def _comment_events(app: Flask) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Event.type, Event.comment_id)
            .where(Event.type.startswith("comment."))
            .order_by(Event.seq)
        )
        return [(t, c) for t, c in rows]


def test_a_second_moderator_acting_on_what_they_saw_is_told_and_changes_nothing(
    app: Flask, client: FlaskClient, moderator: str
) -> None:
    """Ann and Bo open the queue on the same comment; Ann approves, then Bo rejects from the
    card he still has: Bo's reject is refused with who decided and when, and the site hears
    of one decision only."""
    from tests.dashboard.seed import login, make_user

    comment_id = add_comment(app, "c1", TEXT)
    make_user(app, "bo")
    bo = app.test_client()
    assert login(client, moderator).status_code == 302
    assert login(bo, "bo").status_code == 302
    ann_page, bo_page = client.get("/dashboard/").text, bo.get("/dashboard/").text
    ann_saw = _shown_versions(ann_page).get(comment_id, "0")
    bo_saw = _shown_versions(bo_page).get(comment_id, "0")
    approved = client.post(
        f"/dashboard/comments/{comment_id}/approve",
        data={"csrf_token": csrf_from(ann_page), "version": ann_saw},
        headers={"X-Requested-With": "fetch"},
    )
    assert approved.status_code == 200
    refused = bo.post(
        f"/dashboard/comments/{comment_id}/reject",
        data={"csrf_token": csrf_from(bo_page), "reason": "attack", "version": bo_saw},
        headers={"X-Requested-With": "fetch"},
    )
    assert refused.status_code == 409
    assert "already decided by moderator:ann at " in refused.text
    assert comment_row(app, comment_id).status == "published"
    assert _comment_events(app) == [("comment.updated", comment_id)]
    assert audit_actions(app).count("comment.approved") == 1
    assert "comment.rejected" not in audit_actions(app)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Strike.id))).scalar_one() == 0


def test_bulk_actions_skip_comments_changed_since_the_page_was_shown(
    app: Flask, client: FlaskClient, moderator: str
) -> None:
    from tests.dashboard.seed import login, make_user

    first = add_comment(app, "c1", "one", author="a")
    second = add_comment(app, "c2", "two", author="b")
    make_user(app, "bo")
    bo = app.test_client()
    assert login(client, moderator).status_code == 302
    assert login(bo, "bo").status_code == 302
    bo_page = bo.get("/dashboard/").text
    seen = [f"{i}:{v}" for i, v in _shown_versions(bo_page).items()] or [
        f"{first}:0",
        f"{second}:0",
    ]
    ann_page = client.get("/dashboard/").text
    client.post(
        f"/dashboard/comments/{first}/approve",
        data={
            "csrf_token": csrf_from(ann_page),
            "version": _shown_versions(ann_page).get(first, "0"),
        },
    )
    bo.post(
        "/dashboard/queue/bulk",
        data={
            "csrf_token": csrf_from(bo_page),
            "action": "reject",
            "reason": "spam",
            "ids": [str(first), str(second)],
            "seen": seen,
        },
    )
    assert comment_row(app, first).status == "published"
    assert comment_row(app, second).status == "rejected"
    assert _comment_events(app) == [("comment.updated", first), ("comment.updated", second)]
    assert f"Comment #{first} was not rejected: already decided by moderator:ann" in (
        bo.get("/dashboard/").text
    )


def _reason_choice(html: str, comment_id: int) -> str | None:
    card = html[html.index(f'id="comment-{comment_id}"') :]
    select = card[card.index('name="reason"') : card.index("</select>")]
    chosen = re.findall(r'<option value="(\w+)" selected>', select)
    return chosen[0] if chosen else None


def test_the_reject_form_preselects_the_top_category(app: Flask, as_moderator: FlaskClient) -> None:
    threat = {"code": "category_score", "outcome": "hold", "category": "threat", "score": 0.55,
              "threshold": 0.4, "source": "model"}  # fmt: skip
    attack = add_comment(app, "c1", "a", author="a")  # the seed's reason: hold for attack
    threatening = add_comment(
        app, "c2", "b", author="b", reasons=[threat],
        scores={"profanity": 0.0, "attack": 0.3, "threat": 0.55, "hate": 0.0, "spam": 0.0},
    )  # fmt: skip
    html = as_moderator.get("/dashboard/").text
    assert _reason_choice(html, attack) == "attack"
    assert _reason_choice(html, threatening) == "threat"
    assert "choose…" not in html


def test_the_gauge_shows_the_threshold_the_decision_applied(
    app: Flask, as_moderator: FlaskClient
) -> None:
    """A new author's comment held at the new-author threshold (0.40), not the default 0.50."""
    reason = {"code": "category_score", "outcome": "hold", "category": "attack", "score": 0.45,
              "threshold": 0.4, "source": "model", "tier": "new_authors"}  # fmt: skip
    comment_id = add_comment(app, "c1", "text", risk=0.45, reasons=[reason])
    html = as_moderator.get("/dashboard/").text
    card = html[html.index(f'id="comment-{comment_id}"') :]
    assert "hold: attack 0.45 ≥ 0.40 (model; new-author threshold)" in card
    row = card[card.index('<th scope="row">attack</th>') :]
    row = row[: row.index("</tr>")]
    assert 'low="0.4" high="0.85"' in row  # the new-author tier of config/policy.yaml
    assert "<td>0.40</td>" in row
    assert "new-author thresholds applied" in card


def test_reasons_show_times_to_the_minute(app: Flask, as_moderator: FlaskClient) -> None:
    reason = {"code": "author_suspended", "outcome": "reject",
              "until": "2026-11-08T12:00:00.123456+00:00"}  # fmt: skip
    add_comment(app, "c1", "text", status="rejected", reasons=[reason])
    html = as_moderator.get("/dashboard/comments").text
    assert "reject: author is suspended until 2026-11-08 12:00 UTC" in html
    assert ".123456" not in html


def test_bulk_without_a_selection_says_so_in_words(app: Flask, as_moderator: FlaskClient) -> None:
    add_comment(app, "c1", "text")
    response = as_moderator.post(
        "/dashboard/queue/bulk",
        data={"csrf_token": token(as_moderator), "action": "approve"},
        follow_redirects=True,
    )
    assert "Select at least one comment" in response.text
    assert "List should have" not in response.text
    assert "ids:" not in response.text


def test_card_details_fold_away_in_the_queue_and_open_on_the_comment_page(
    app: Flask, as_moderator: FlaskClient
) -> None:
    comment_id = add_comment(app, "c1", TEXT, matches=MATCHES, explanations=EVIDENCE)
    queue = as_moderator.get("/dashboard/").text
    assert '<details class="more">' in queue
    assert re.search(r"Scores, evidence \(\d+\) and history", queue)
    single = as_moderator.get(f"/dashboard/comments/{comment_id}").text
    assert '<details class="more" open>' in single
