"""An author's record and the actions on it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.tables import Author, AuthorNote, Event
from tests.dashboard.seed import add_author, add_comment, audit_actions, token


def author_row(app: Flask) -> Author:
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        db.session.expunge(author)
        return author


def test_author_page_shows_history_and_takes_actions(app: Flask, as_moderator: FlaskClient) -> None:
    first = add_comment(app, "c1", "First comment", status="published")
    held = add_comment(app, "c2", "You are a fool")
    author_id = author_row(app).id
    as_moderator.post(
        f"/dashboard/comments/{held}/reject",
        data={"csrf_token": token(as_moderator), "reason": "attack"},
    )
    page = as_moderator.get(f"/dashboard/authors/{author_id}")
    assert page.status_code == 200
    assert "Ann Reader" in page.text
    assert f'data-id="{first}"' in page.text
    assert f'data-id="{held}"' in page.text
    assert "weight 1 by moderator:ann" in page.text  # the strike timeline

    csrf = token(as_moderator, f"/dashboard/authors/{author_id}")
    suspend = as_moderator.post(
        f"/dashboard/authors/{author_id}/sanction",
        data={"csrf_token": csrf, "sanction": "suspend", "days": "2", "reason": "cooling off"},
    )
    assert suspend.status_code == 302
    assert author_row(app).status == "suspended"
    as_moderator.post(
        f"/dashboard/authors/{author_id}/notes",
        data={"csrf_token": csrf, "text": "Warned by email on Monday."},
    )
    as_moderator.post(
        f"/dashboard/authors/{author_id}/reinstate",
        data={"csrf_token": csrf, "reason": "apologised"},
    )
    assert author_row(app).status == "active"
    page = as_moderator.get(f"/dashboard/authors/{author_id}")
    assert "active → suspended" in page.text
    assert "suspended → active" in page.text
    assert "cooling off" in page.text
    assert "apologised" in page.text
    assert "Warned by email on Monday." in page.text
    assert "moderator:ann" in page.text
    assert {"author.suspended", "author.note", "author.active"} <= set(audit_actions(app))
    with app.app_context():
        types = db.session.execute(sa.select(Event.type).order_by(Event.seq)).scalars().all()
        assert types[-2:] == ["author.sanctioned", "author.reinstated"]
        assert db.session.execute(sa.select(AuthorNote.text)).scalar_one() == (
            "Warned by email on Monday."
        )


def test_author_action_errors_are_shown_and_change_nothing(
    app: Flask, as_moderator: FlaskClient
) -> None:
    author_id = add_author(app, "u1")
    csrf = token(as_moderator)
    response = as_moderator.post(
        f"/dashboard/authors/{author_id}/reinstate", data={"csrf_token": csrf, "reason": "x"}
    )
    assert response.status_code == 302
    assert "already active" in as_moderator.get(f"/dashboard/authors/{author_id}").text
    as_moderator.post(
        f"/dashboard/authors/{author_id}/sanction",
        data={"csrf_token": csrf, "sanction": "suspend", "reason": "no days"},
    )
    assert author_row(app).status == "active"
    assert as_moderator.get("/dashboard/authors/999").status_code == 404
