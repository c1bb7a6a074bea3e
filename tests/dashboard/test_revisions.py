"""The comment page shows an edited comment's revisions: each text (escaped) and decision."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.services.test_decisions import CLEAN, score, submit
from tests.services.test_revisions import T0, edit

EDITED = CLEAN + " <script>alert(1)</script> You are a fucking moron."


def test_the_comment_page_lists_every_revision_with_its_decision(
    app: Flask, as_moderator: FlaskClient
) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    score(app, comment_id, T0)
    edit(app, EDITED, T0 + timedelta(minutes=1))
    score(app, comment_id, T0 + timedelta(minutes=2))
    html = as_moderator.get(f"/dashboard/comments/{comment_id}").text
    rows = re.findall(r'<tr data-revision="(\d+)"[^>]*>(.*?)</tr>', html, re.S)
    assert [number for number, _ in rows] == ["1", "2"]
    first, second = (body for _, body in rows)
    assert "<td data-decision>publish</td>" in first and "I disagree" in first
    assert "<td data-decision>reject</td>" in second and "(current)" in second
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in second
    assert "<script>alert(1)" not in html


def test_a_comment_never_edited_has_no_revision_list(app: Flask, as_moderator: FlaskClient) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    html = as_moderator.get(f"/dashboard/comments/{comment_id}").text
    assert "data-revisions" not in html
