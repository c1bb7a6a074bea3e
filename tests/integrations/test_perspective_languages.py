"""The Perspective-compatible API and languages: detection when the request gives none,
``detectedLanguages`` in the answer, and Perspective's language-not-supported error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integrations.test_perspective import analyze, request_for
from tests.support import ROOT


def _without_languages(text: str, *attributes: str) -> dict[str, Any]:
    request = request_for(text, *attributes)
    del request["languages"]
    return request


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ты ничего не понимаешь, Карабах наш", "ru"),
        ("Դու ոչինչ չես հասկանում", "hy"),
        ("ty nichego ne ponyal, Karabakh nash", "ru"),
        ("sen axmaqsan", "az"),
    ],
)
def test_detected_unsupported_language_gives_perspectives_error(
    client: FlaskClient, api_key: str, text: str, code: str
) -> None:
    response = analyze(client, api_key, _without_languages(text, "TOXICITY"))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == f"Attribute TOXICITY does not support request languages: {code}"
    [detail] = [d for d in error["details"] if "languageNotSupportedByAttributeError" in d]
    assert detail["errorType"] == "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    assert detail["languageNotSupportedByAttributeError"] == {
        "detectedLanguages": [code],
        "attribute": "TOXICITY",
    }


@pytest.mark.parametrize(
    "text",
    ["Pashinyan met Aliyev in Stepanakert", "Karabagh", "Artsakh is Armenia", "lol"],
)
def test_english_about_the_region_is_detected_english(
    client: FlaskClient, api_key: str, text: str
) -> None:
    response = analyze(client, api_key, _without_languages(text, "TOXICITY"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["detectedLanguages"] == ["en"]
    assert body["languages"] == ["en"]


def test_the_requests_languages_are_honoured(client: FlaskClient, api_key: str) -> None:
    """A client that says "en" is believed (as by Perspective); detection is still reported."""
    body = analyze(client, api_key, request_for("Ты сука", "TOXICITY")).get_json()
    assert body["languages"] == ["en"]
    assert body["detectedLanguages"] == ["ru"]
    assert body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] >= 0.9  # ru list
    response = analyze(client, api_key, request_for("Hello there", "TOXICITY", languages=["ru"]))
    assert response.status_code == 400
    detail = response.get_json()["error"]["details"][0]
    assert detail["languageNotSupportedByAttributeError"] == {
        "requestedLanguages": ["ru"],
        "attribute": "TOXICITY",
    }


def test_text_without_letters_is_not_refused(client: FlaskClient, api_key: str) -> None:
    response = analyze(client, api_key, _without_languages("👍👍 !!!", "TOXICITY"))
    assert response.status_code == 200
    assert response.get_json()["detectedLanguages"] == []


def test_drop_unsupported_attributes_drops_them_for_a_detected_language(
    client: FlaskClient, api_key: str
) -> None:
    request = _without_languages("Ты ничего не понимаешь", "TOXICITY")
    request["dropUnsupportedAttributes"] = True
    body = analyze(client, api_key, request).get_json()
    assert body["attributeScores"] == {}
    assert body["detectedLanguages"] == ["ru"]


class TestASiteSupportingRussian:
    """The site's policy (config/sites/news.yaml) decides which languages its key accepts."""

    @pytest.fixture
    def settings_overrides(
        self, settings_overrides: dict[str, Any], tmp_path: Path
    ) -> dict[str, Any]:
        config = tmp_path / "config"
        config.mkdir()
        for item in (ROOT / "config").iterdir():
            (config / item.name).symlink_to(item)
        (config / "sites").mkdir()
        (config / "sites" / "news.yaml").write_text("languages: {supported: [en, ru]}\n")
        return {**settings_overrides, "config_dir": str(config)}

    def test_a_site_that_supports_the_language_is_answered(
        self, client: FlaskClient, api_key: str
    ) -> None:
        response = analyze(
            client, api_key, _without_languages("Ты ничего не понимаешь", "TOXICITY")
        )
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["detectedLanguages"] == ["ru"]
