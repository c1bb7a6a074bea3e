"""The dashboard and languages: the queue and the comments browser filter by the detected
language (a select of the languages present), cards show it, and it is all escaped."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.dashboard.seed import add_comment
from tests.dashboard.test_queue import card_ids

LANGUAGE_REASON = {
    "code": "language_unsupported",
    "outcome": "hold",
    "language": "ru",
    "detail": "language not supported: Russian (ru)",
}


def _seed(app: Flask) -> tuple[int, int, int]:
    russian = add_comment(
        app, "ru-1", "Ты ничего не понимаешь", language="ru", reasons=[LANGUAGE_REASON]
    )
    armenian = add_comment(app, "hy-1", "Դու ոչինչ չես հասկանում", author="u2", language="hy")
    english = add_comment(app, "en-1", "You are a moron.", author="u3", language="en")
    return russian, armenian, english


def test_queue_filters_by_language(app: Flask, as_moderator: FlaskClient) -> None:
    russian, armenian, english = _seed(app)
    html = as_moderator.get("/dashboard/").text
    assert set(card_ids(html)) == {russian, armenian, english}
    # the select offers the languages present, by name
    assert '<select name="language">' in html
    for option in ("Armenian (hy)", "English (en)", "Russian (ru)"):
        assert option in html
    assert card_ids(as_moderator.get("/dashboard/?language=ru").text) == [russian]
    assert card_ids(as_moderator.get("/dashboard/?language=hy").text) == [armenian]
    filtered = as_moderator.get("/dashboard/?language=ru").text
    assert '<option value="ru" selected>Russian (ru)</option>' in filtered


def test_card_shows_the_language_and_the_reason_naming_it(
    app: Flask, as_moderator: FlaskClient
) -> None:
    russian, _, _ = _seed(app)
    html = as_moderator.get(f"/dashboard/comments/{russian}").text
    assert 'data-language="ru"' in html
    assert "Russian (ru)" in html
    assert "hold: language not supported: Russian (ru)" in html


def test_comments_browser_filters_by_language(app: Flask, as_moderator: FlaskClient) -> None:
    russian, _armenian, english = _seed(app)
    published = add_comment(
        app, "ru-2", "Спасибо за статью", author="u4", status="published", language="ru"
    )
    html = as_moderator.get("/dashboard/comments?language=ru").text
    assert set(card_ids(html)) == {russian, published}
    assert card_ids(as_moderator.get("/dashboard/comments?language=en").text) == [english]


def test_a_bad_language_filter_is_refused_not_rendered(
    app: Flask, as_moderator: FlaskClient
) -> None:
    _seed(app)
    for bad in ('"><script>alert(1)</script>', "russian", "RU"):
        response = as_moderator.get("/dashboard/", query_string={"language": bad})
        assert response.status_code == 400
        assert "<script>alert(1)</script>" not in response.text


def test_a_stored_language_is_escaped(app: Flask, as_moderator: FlaskClient) -> None:
    """Codes come from the detector, but whatever the column holds is shown as text."""
    add_comment(app, "odd-1", "hello", language="<i>x</i>")
    html = as_moderator.get("/dashboard/").text
    assert "<i>x</i>" not in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html
