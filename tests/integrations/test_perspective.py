"""POST /v1alpha1/comments:analyze: Perspective's request and response shapes and errors.

Texts are chosen so the word lists decide their scores (a trained classifier can only raise
a category's combined score, never lower it), so these hold with or without a model.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderation import configured
from moderation.extensions import db
from moderation.scoring.rules import RuleFilter
from moderation.tables import AuditEntry, SiteLabel
from tests.integrations.support import CLEAN, LINKS, snapshot

URL = "/v1alpha1/comments:analyze"
ALL = ("TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY", "THREAT", "IDENTITY_ATTACK")


def analyze(client: FlaskClient, key: str | None, body: Any, **kwargs: Any) -> TestResponse:
    url = URL if key is None else f"{URL}?key={key}"
    if isinstance(body, bytes):
        return client.post(url, data=body, content_type="application/json", **kwargs)
    return client.post(url, json=body, **kwargs)


def request_for(text: str, *attributes: str, **extra: Any) -> dict[str, Any]:
    return {
        "comment": {"text": text},
        "requestedAttributes": {a: {} for a in attributes or ALL},
        "languages": ["en"],
        **extra,
    }


def summary(body: dict[str, Any], attribute: str) -> float:
    value: float = body["attributeScores"][attribute]["summaryScore"]["value"]
    return value


def google_error(response: TestResponse, code: int, status: str) -> dict[str, Any]:
    assert response.status_code == code, response.get_data(as_text=True)
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


def error_type(error: dict[str, Any]) -> str:
    (detail,) = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
    kind: str = detail["errorType"]
    return kind


# --- responses ------------------------------------------------------------------------


def test_response_shape_for_every_attribute(client: FlaskClient, api_key: str) -> None:
    response = analyze(client, api_key, request_for(CLEAN, clientToken="comment:42"))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body["attributeScores"]) == set(ALL)
    for attribute in ALL:
        score = body["attributeScores"][attribute]["summaryScore"]
        assert score["type"] == "PROBABILITY"
        assert 0.0 <= score["value"] < 0.5
        assert "spanScores" not in body["attributeScores"][attribute]  # not asked for
    assert body["languages"] == ["en"]
    assert body["detectedLanguages"] == ["en"]
    assert body["clientToken"] == "comment:42"
    assert "rules=" in response.headers["X-Moderation-Versions"]  # every score names its scorers
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("text", "attribute", "at_least"),
    [
        ("This is shit.", "PROFANITY", 0.9),  # strong profanity
        ("You dickhead.", "INSULT", 0.9),  # strong insult: attack
        ("Just kys already.", "THREAT", 0.9),  # incitement to self-harm: threat
        ("What a retard.", "IDENTITY_ATTACK", 0.6),  # moderate slur: hate
        ("This is shit.", "TOXICITY", 0.9),
        ("You dickhead.", "SEVERE_TOXICITY", 0.81),  # 0.9 squared
    ],
)
def test_each_attribute_follows_its_category(
    client: FlaskClient, api_key: str, text: str, attribute: str, at_least: float
) -> None:
    body = analyze(client, api_key, request_for(text)).get_json()
    assert summary(body, attribute) >= at_least
    assert summary(body, "SEVERE_TOXICITY") <= summary(body, "TOXICITY")


def test_profanity_alone_is_toxic_but_not_severe(client: FlaskClient, api_key: str) -> None:
    body = analyze(client, api_key, request_for("Well, shit.")).get_json()
    assert summary(body, "TOXICITY") >= 0.9
    assert summary(body, "SEVERE_TOXICITY") < 0.5


def test_spam_attribute_counts_links(client: FlaskClient, api_key: str) -> None:
    body = analyze(client, api_key, request_for(LINKS, "SPAM")).get_json()
    assert summary(body, "SPAM") >= 0.6


def test_span_annotations_point_at_the_words(client: FlaskClient, api_key: str) -> None:
    text = "Honestly 😀 you dickhead, this is shit."
    body = analyze(
        client, api_key, request_for(text, "TOXICITY", "PROFANITY", "INSULT", spanAnnotations=True)
    ).get_json()
    utf16 = text.encode("utf-16-le")

    def spanned(attribute: str) -> dict[str, float]:
        spans = body["attributeScores"][attribute]["spanScores"]
        out = {}
        for span in spans:
            assert span["score"]["type"] == "PROBABILITY"
            word = utf16[2 * span["begin"] : 2 * span["end"]].decode("utf-16-le")
            out[word] = span["score"]["value"]
        return out

    assert spanned("PROFANITY")["shit"] >= 0.9
    assert spanned("INSULT")["dickhead"] >= 0.9
    toxic = spanned("TOXICITY")
    assert toxic["shit"] >= 0.9
    assert toxic["dickhead"] >= 0.9
    # begin/end are UTF-16 code units: the emoji counts twice, as in JavaScript
    begin = body["attributeScores"]["PROFANITY"]["spanScores"][-1]["begin"]
    assert begin == text.index("shit") + 1


def test_score_threshold_leaves_out_attributes_below_it(client: FlaskClient, api_key: str) -> None:
    request = request_for("This is shit.", spanAnnotations=True)
    request["requestedAttributes"] = {
        "PROFANITY": {"scoreThreshold": 0.5},
        "THREAT": {"scoreThreshold": 0.5},
        "TOXICITY": {"scoreType": "PROBABILITY", "scoreThreshold": 0.0},
    }
    body = analyze(client, api_key, request).get_json()
    assert set(body["attributeScores"]) == {"PROFANITY", "TOXICITY"}
    assert summary(body, "PROFANITY") >= 0.5
    request["requestedAttributes"] = {"PROFANITY": {"scoreThreshold": 1.0}}
    body = analyze(client, api_key, request).get_json()
    assert body["attributeScores"] == {} or summary(body, "PROFANITY") == 1.0


def test_spans_below_the_threshold_are_left_out(client: FlaskClient, api_key: str) -> None:
    text = "You idiot, this is shit."  # idiot: mild (0.35), shit: strong (0.9)
    request = request_for(text, spanAnnotations=True)
    request["requestedAttributes"] = {"TOXICITY": {"scoreThreshold": 0.5}}
    body = analyze(client, api_key, request).get_json()
    spans = body["attributeScores"]["TOXICITY"]["spanScores"]
    assert all(s["score"]["value"] >= 0.5 for s in spans)
    assert "shit" in [text[s["begin"] : s["end"]] for s in spans]


def test_versioned_names_lowercase_languages_and_snake_case_fields(
    client: FlaskClient, api_key: str
) -> None:
    body = analyze(
        client,
        api_key,
        {
            "comment": {"text": "This is shit.", "type": "PLAIN_TEXT"},
            "requested_attributes": {"TOXICITY@6": {}},
            "languages": ["en-GB"],
            "do_not_store": True,
        },
    ).get_json()
    assert summary(body, "TOXICITY@6") >= 0.9
    assert body["languages"] == ["en-GB"]


def test_key_may_come_in_the_google_header(client: FlaskClient, api_key: str) -> None:
    response = analyze(client, None, request_for(CLEAN), headers={"X-Goog-Api-Key": api_key})
    assert response.status_code == 200


def test_no_languages_means_english(client: FlaskClient, api_key: str) -> None:
    request = request_for(CLEAN, "TOXICITY")
    del request["languages"]
    body = analyze(client, api_key, request).get_json()
    assert body["languages"] == ["en"]
    assert body["detectedLanguages"] == ["en"]


def test_drop_unsupported_attributes(client: FlaskClient, api_key: str) -> None:
    request = request_for(CLEAN, "TOXICITY", "FLIRTATION", dropUnsupportedAttributes=True)
    body = analyze(client, api_key, request).get_json()
    assert set(body["attributeScores"]) == {"TOXICITY"}
    request = request_for(CLEAN, "TOXICITY", dropUnsupportedAttributes=True, languages=["fr"])
    assert analyze(client, api_key, request).get_json()["attributeScores"] == {}


def test_suggestscore_stores_a_label_of_the_keys_site(
    app: Flask, client: FlaskClient, api_key: str
) -> None:
    response = client.post(
        f"/v1alpha1/comments:suggestscore?key={api_key}",
        json={
            "comment": {"text": CLEAN},
            "attributeScores": {
                "TOXICITY": {"summaryScore": {"value": 0}},
                "INSULT": {"summaryScore": {"value": 0.1}},
            },
            "communityId": "news-desk",
            "clientToken": "comment:7",
        },
    )
    assert response.status_code == 200
    assert response.get_json() == {"clientToken": "comment:7"}
    with app.app_context():
        row = db.session.execute(sa.select(SiteLabel)).scalar_one()
        assert (row.comment_ref, row.text, row.violation, row.labels, row.source) == (
            "comment:7",
            CLEAN,
            False,
            {"attack": 0},
            "suggestscore",
        )
        assert row.site.name == "news"
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "label.suggested")
        ).scalar_one()
        assert CLEAN not in str(entry.details)
    again = client.post(
        f"/v1alpha1/comments:suggestscore?key={api_key}",
        json={
            "comment": {"text": CLEAN},
            "attributeScores": {"THREAT": {"summaryScore": {"value": 0.9}}},
            "clientToken": "comment:7",
        },
    )
    assert again.status_code == 200
    with app.app_context():
        row = db.session.execute(sa.select(SiteLabel)).scalar_one()
        assert (row.violation, row.labels) == (True, {"threat": 1})


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({}, "attribute_scores"),
        ({"TOXICITY": {"summaryScore": {}}}, "attribute_scores"),
        ({"TOXICITY": {"summaryScore": {"value": 1.5}}}, "attribute_scores[TOXICITY]"),
        ({"NOT_AN_ATTRIBUTE": {"summaryScore": {"value": 1}}}, "attribute_scores"),
    ],
)
def test_suggestscore_without_a_usable_score_is_refused_and_stores_nothing(
    app: Flask, client: FlaskClient, api_key: str, scores: dict[str, object], field: str
) -> None:
    before = snapshot(app)
    response = client.post(
        f"/v1alpha1/comments:suggestscore?key={api_key}",
        json={"comment": {"text": CLEAN}, "attributeScores": scores},
    )
    assert response.status_code == 400
    violation = response.get_json()["error"]["details"][0]["fieldViolations"][0]
    assert violation["field"].startswith(field)
    assert snapshot(app) == before


# --- what is stored -------------------------------------------------------------------


def test_do_not_store_leaves_every_table_and_the_logs_untouched(
    app: Flask, client: FlaskClient, api_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Zebrafinch-7731 says you dickhead, this is shit."
    before = snapshot(app)
    caplog.set_level(logging.DEBUG)
    response = analyze(client, api_key, request_for(text, doNotStore=True, spanAnnotations=True))
    assert response.status_code == 200
    # errors too: an invalid request must not log the text either
    analyze(client, api_key, request_for(text, "NOPE", doNotStore=True))
    assert snapshot(app) == before
    for record in caplog.records:
        assert "Zebrafinch" not in json.dumps(vars(record), default=str)
    assert "Zebrafinch" not in caplog.text


def test_without_do_not_store_the_request_is_counted_not_kept(
    app: Flask, client: FlaskClient, api_key: str
) -> None:
    text = "Zebrafinch-7731 writes a perfectly nice comment."
    before = snapshot(app)
    assert analyze(client, api_key, request_for(text, "TOXICITY", "INSULT")).status_code == 200
    after = snapshot(app)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"audit_log"}
    with app.app_context():
        (entry,) = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "perspective.analyzed")
        ).scalars()
        assert entry.actor == f"api-key:{api_key[:12]}"
        assert sorted(entry.details["attributes"]) == ["INSULT", "TOXICITY"]
        assert "Zebrafinch" not in json.dumps(entry.details)


# --- errors ---------------------------------------------------------------------------


def test_missing_key(client: FlaskClient, site: tuple[str, str]) -> None:
    error = google_error(analyze(client, None, request_for(CLEAN)), 403, "PERMISSION_DENIED")
    assert error["message"] == "The request is missing a valid API key."


@pytest.mark.parametrize("key", ["mk_not-a-key", "x" * 300, "AIzaSyD-google-key"])
def test_invalid_key(client: FlaskClient, api_key: str, key: str) -> None:
    error = google_error(analyze(client, key, request_for(CLEAN)), 400, "INVALID_ARGUMENT")
    assert error["message"] == "API key not valid. Please pass a valid API key."
    assert error["details"][0]["reason"] == "API_KEY_INVALID"


def test_revoked_key(app: Flask, client: FlaskClient, api_key: str) -> None:
    from moderation.services import api_keys
    from moderation.services.sites import require_site

    assert analyze(client, api_key, request_for(CLEAN)).status_code == 200
    with app.app_context():
        api_keys.revoke_key(require_site("news"), api_key[:12])
    error = google_error(analyze(client, api_key, request_for(CLEAN)), 400, "INVALID_ARGUMENT")
    assert error["message"].startswith("API key not valid")


def test_the_key_is_checked_before_the_body(client: FlaskClient, site: tuple[str, str]) -> None:
    google_error(analyze(client, "wrong", b"{not json"), 400, "INVALID_ARGUMENT")
    assert "API key" in analyze(client, "wrong", b"{not json").get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Invalid JSON payload received."),
        (b"[1, 2]", "Invalid JSON payload received. Root element must be a message."),
        (b"\xff\xfe{}", "Invalid JSON payload received."),
        (b'{"comment": {"text": 5}}', "Invalid value at 'comment.text'"),
        (b'{"comment": "text"}', "Invalid value at 'comment'"),
        (b'{"comment": {"text": "hi"}, "requestedAttributes": []}', "requestedAttributes"),
        (b'{"comment": {"text": "hi"}, "spanAnnotations": "maybe"}', "spanAnnotations"),
    ],
)
def test_malformed_bodies(client: FlaskClient, api_key: str, body: bytes, message: str) -> None:
    error = google_error(analyze(client, api_key, body), 400, "INVALID_ARGUMENT")
    assert message in error["message"]
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


@pytest.mark.parametrize(
    ("request_body", "kind", "message"),
    [
        ({"requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY", "Comment must be non-empty."),
        (request_for(""), "COMMENT_EMPTY", "Comment must be non-empty."),
        (request_for("x" * 20_481), "COMMENT_TOO_LONG", "Comment text too long."),
        (request_for("€" * 7_000), "COMMENT_TOO_LONG", "Comment text too long."),  # 21 000 bytes
        ({"comment": {"text": "hi"}}, "NO_REQUESTED_ATTRIBUTES", "Missing requested_attributes"),
        (
            request_for("hi", "NOT_AN_ATTRIBUTE"),
            "INVALID_REQUEST",
            "Unknown requested attribute: NOT_AN_ATTRIBUTE",
        ),
        (
            request_for("hi", "TOXICITY", languages=["es"]),
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
            "Attribute TOXICITY does not support request languages: es",
        ),
        (
            request_for("hi", "TOXICITY", languages=["en", "fr"]),
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
            "Attribute TOXICITY does not support request languages: en, fr",
        ),
        (
            request_for("hi", "SEXUALLY_EXPLICIT"),
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
            "Attribute SEXUALLY_EXPLICIT does not support request languages: en",
        ),
        (
            {
                "comment": {"text": "<b>hi</b>", "type": "HTML"},
                "requestedAttributes": {"TOXICITY": {}},
            },
            "INVALID_REQUEST",
            "Currently, only 'PLAIN_TEXT' comments are supported",
        ),
        (
            {
                "comment": {"text": "hi", "type": "MARKDOWN"},
                "requestedAttributes": {"TOXICITY": {}},
            },
            "INVALID_REQUEST",
            "Unknown text type",
        ),
        (
            request_for(
                "hi",
                "TOXICITY",
                context={
                    "entries": [{"text": "a"}],
                    "articleAndParentComment": {"article": {"text": "b"}},
                },
            ),
            "INVALID_REQUEST",
            "Context can have either entries or article_and_parent_comment",
        ),
        (
            {
                "comment": {"text": "hi"},
                "requestedAttributes": {"TOXICITY": {"scoreType": "PERCENTILE"}},
            },
            "INVALID_REQUEST",
            "Requested score type PERCENTILE is not supported by attribute TOXICITY",
        ),
        (
            {
                "comment": {"text": "hi"},
                "requestedAttributes": {"TOXICITY": {"scoreThreshold": 1.5}},
            },
            "INVALID_REQUEST",
            "Score threshold for attribute TOXICITY must be between 0 and 1",
        ),
    ],
)
def test_perspective_errors(
    client: FlaskClient, api_key: str, request_body: dict[str, Any], kind: str, message: str
) -> None:
    error = google_error(analyze(client, api_key, request_body), 400, "INVALID_ARGUMENT")
    assert error_type(error) == kind
    assert error["message"].startswith(message)


def test_language_error_names_attribute_and_languages(client: FlaskClient, api_key: str) -> None:
    error = google_error(
        analyze(client, api_key, request_for("hola", "TOXICITY", languages=["es"])),
        400,
        "INVALID_ARGUMENT",
    )
    assert error["details"][0]["languageNotSupportedByAttributeError"] == {
        "requestedLanguages": ["es"],
        "attribute": "TOXICITY",
    }


def test_unknown_score_type_enum(client: FlaskClient, api_key: str) -> None:
    request = {
        "comment": {"text": "hi"},
        "requestedAttributes": {"TOXICITY": {"scoreType": "LOUD"}},
    }
    error = google_error(analyze(client, api_key, request), 400, "INVALID_ARGUMENT")
    assert "scoreType" in error["message"]


def test_a_body_past_the_size_limit(client: FlaskClient, api_key: str) -> None:
    body = json.dumps(request_for("a" * 300_000)).encode()
    error = google_error(analyze(client, api_key, body), 400, "INVALID_ARGUMENT")
    assert error_type(error) == "COMMENT_TOO_LONG"


def test_a_failure_inside_is_a_google_500_without_the_text_in_the_logs(
    client: FlaskClient,
    api_key: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from moderation.scoring.pipeline import Pipeline

    def broken(
        self: Pipeline,
        text: str,
        explain_above: object = None,
        *,
        site: object = None,
        allow: object = None,
    ) -> None:
        raise ValueError(f"cannot score {text!r}")

    monkeypatch.setattr(Pipeline, "score", broken)
    caplog.set_level(logging.DEBUG)
    response = analyze(client, api_key, request_for("Zebrafinch-7731 text", doNotStore=True))
    error = google_error(response, 500, "INTERNAL")
    assert error["message"] == "Internal error encountered."
    assert "Zebrafinch" not in caplog.text
    assert any("ValueError" in r.getMessage() for r in caplog.records)


def test_get_is_not_allowed(client: FlaskClient, api_key: str) -> None:
    assert client.get(f"{URL}?key={api_key}").status_code == 405


def test_discovery_document_for_client_libraries(client: FlaskClient, api_key: str) -> None:
    """Google's client libraries build a Perspective client from this document
    (checked by hand with google-api-python-client 2.202: only discoveryServiceUrl and the
    key change)."""
    response = client.get("/$discovery/rest?version=v1alpha1", base_url="https://mod.example")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["name"] == "commentanalyzer"
    assert doc["version"] == "v1alpha1"
    assert doc["rootUrl"] == "https://mod.example/"
    methods = doc["resources"]["comments"]["methods"]
    assert methods["analyze"]["httpMethod"] == "POST"
    path = doc["rootUrl"].removeprefix("https://mod.example") + methods["analyze"]["path"]
    assert analyze(client, api_key, request_for(CLEAN)).status_code == 200
    assert path == URL
    missing = client.get("/$discovery/rest?version=v1")
    google_error(missing, 404, "NOT_FOUND")


def test_nulls_stand_for_defaults(client: FlaskClient, api_key: str) -> None:
    body = analyze(
        client,
        api_key,
        {
            "comment": {"text": "This is shit.", "type": None},
            "requestedAttributes": {"PROFANITY": None},
            "languages": None,
            "spanAnnotations": None,
            "doNotStore": None,
            "clientToken": None,
        },
    ).get_json()
    assert summary(body, "PROFANITY") >= 0.9
    assert "clientToken" not in body


def test_a_lone_surrogate_is_refused(client: FlaskClient, api_key: str) -> None:
    body = b'{"comment": {"text": "bad \\ud800 text"}, "requestedAttributes": {"TOXICITY": {}}}'
    error = google_error(analyze(client, api_key, body), 400, "INVALID_ARGUMENT")
    assert "comment.text" in error["message"]


def rule_filter(app: Flask) -> RuleFilter:
    with app.app_context():
        return configured.pipeline().rules


@pytest.mark.parametrize(
    "text",
    [
        "f.u." * 2_500,  # 10,000 characters: once over two minutes of one worker's CPU
        "a-b-c-" * 1_666 + "a-b-",
        "fսсk." * 2_000,
    ],
)
def test_a_long_adversarial_comment_is_scored_within_the_work_budget(
    app: Flask, client: FlaskClient, api_key: str, text: str
) -> None:
    """The length limit and the rule filter's bounded work per character are the budget."""
    assert len(text) <= 10_000
    rules = rule_filter(app)
    before = rules.work
    response = analyze(client, api_key, request_for(text, "TOXICITY"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert rules.work - before <= 100 * len(text) + 2_000


def test_a_comment_past_the_length_limit_is_refused_before_scoring(
    app: Flask, client: FlaskClient, api_key: str
) -> None:
    rules = rule_filter(app)
    before = rules.work
    response = analyze(client, api_key, request_for("f.u." * 2_501))
    error = google_error(response, 400, "INVALID_ARGUMENT")
    assert error_type(error) == "COMMENT_TOO_LONG"
    assert rules.work == before


def test_the_sites_allow_list_applies_to_analyze(
    app: Flask, client: FlaskClient, api_key: str
) -> None:
    from moderation import configured
    from moderation.clock import utcnow
    from moderation.extensions import db
    from moderation.services import allowlist
    from moderation.services.sites import require_site

    text = "The Bitchford under-12s won the cup."
    before = analyze(client, api_key, request_for(text, "PROFANITY", doNotStore=True))
    with app.app_context():
        allowlist.add_entry(
            require_site("news"),
            "Bitchford",
            rules=configured.pipeline().rules,
            actor="test",
            now=utcnow(),
        )
        db.session.commit()
    after = analyze(client, api_key, request_for(text, "PROFANITY", doNotStore=True))
    assert before.json is not None and after.json is not None
    assert summary(before.json, "PROFANITY") >= 0.85
    assert summary(after.json, "PROFANITY") < 0.5
