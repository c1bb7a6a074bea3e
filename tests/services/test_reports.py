"""The reports service: the keyed reporter hash, the Reported queue's order and counts,
and ``keep`` refusing a comment with nothing to answer."""

from __future__ import annotations

import pytest
from flask import Flask

from moderation import configured
from moderation.extensions import db
from moderation.report_schemas import ReportIn
from moderation.services import dsa, intake, reports, review
from moderation.services.sites import require_site
from moderation.tables import Comment, utcnow
from tests.services.test_decisions import CLEAN, score, submit


def test_the_reporter_hash_is_keyed_and_per_site() -> None:
    one = reports.reporter_hash("key", "news", "acct-1")
    assert one == reports.reporter_hash("key", "news", "acct-1")
    assert len(one) == 64 and "acct-1" not in one
    assert one != reports.reporter_hash("other-key", "news", "acct-1")
    assert one != reports.reporter_hash("key", "gazette", "acct-1")
    assert one != reports.reporter_hash("key", "news", "acct-2")


def file(app: Flask, comment_id: str, *reasons: str) -> None:
    with app.app_context():
        site = require_site("news")
        comment = intake.find_comment(site, comment_id)
        assert comment is not None
        for reason in reasons:
            extra = (
                {"law": "L", "explanation": "E", "good_faith": True} if reason == "illegal" else {}
            )
            reports.file_report(
                site,
                comment,
                ReportIn.model_validate({"reason": reason, **extra}),
                reporter=None,
                now=utcnow(),
            )


@pytest.mark.usefixtures("site")
def test_the_queue_puts_illegal_first_then_the_most_reported(app: Flask) -> None:
    for name in ("few", "many", "law"):
        score(app, submit(app, name, CLEAN, utcnow(), author=name), utcnow())
    file(app, "few", "spam")
    file(app, "many", "attack", "attack", "spam")
    file(app, "law", "illegal")
    with app.app_context():
        page = reports.reported_queue(site=None, now=utcnow())
        order = [entry.item.comment.external_id for entry in page.items]
        assert order == ["law", "many", "few"]
        many = page.items[1]
        assert (many.open_count, many.reasons) == (3, [("attack", 2), ("spam", 1)])
        assert page.items[0].has_illegal
        assert reports.reported_queue(site="elsewhere", now=utcnow()).total == 0


@pytest.mark.usefixtures("site")
def test_keep_needs_an_open_report(app: Flask) -> None:
    pk = submit(app, "c1", CLEAN, utcnow())
    score(app, pk, utcnow())
    with app.app_context(), pytest.raises(review.ReviewError, match="no open report"):
        review.keep(pk, actor="moderator:ann", now=utcnow())


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    ("reasons", "ground"),
    [
        (("attack",), None),  # a notice for a policy reason: the terms are the ground
        (("attack", "illegal"), ("L", "E")),  # a notice naming a law: that law is the ground
    ],
)
def test_a_rejection_after_reports_states_that_it_answers_a_notice(
    app: Flask, reasons: tuple[str, ...], ground: tuple[str, str] | None
) -> None:
    pk = submit(app, "c1", CLEAN, utcnow())
    score(app, pk, utcnow())
    file(app, "c1", *reasons)
    with app.app_context():
        review.reject(
            pk, actor="moderator:ann", policies=configured.policies(), reason="attack", now=utcnow()
        )
        comment = db.session.get(Comment, pk)
        assert comment is not None
        statement = dsa.comment_statement(comment)
    assert statement is not None
    assert statement["source_type"] == "SOURCE_ARTICLE_16"
    if ground is None:
        assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    else:
        assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
        law, explanation = ground
        assert statement["illegal_content_legal_ground"] == law
        assert statement["illegal_content_explanation"] == explanation


@pytest.mark.usefixtures("site")
def test_a_rejection_without_reports_is_voluntary(app: Flask) -> None:
    pk = submit(app, "c1", CLEAN, utcnow())
    score(app, pk, utcnow())
    with app.app_context():
        review.reject(
            pk, actor="moderator:ann", policies=configured.policies(), reason="attack", now=utcnow()
        )
        comment = db.session.get(Comment, pk)
        assert comment is not None
        statement = dsa.comment_statement(comment)
    assert statement is not None
    assert statement["source_type"] == "SOURCE_VOLUNTARY"
