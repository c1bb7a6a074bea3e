"""Statements of reasons: every decision path maps to a statement the database accepts,
and the model refuses what the Transparency Database's rules refuse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from moderation import categories
from moderation.dsa import vocabulary as v
from moderation.dsa.build import (
    DecidedBy,
    Kind,
    LegalGround,
    Platform,
    Restriction,
    build_statement,
    make_puid,
)
from moderation.dsa.schema import StatementOfReasons

D0 = date(2026, 11, 1)


def restriction(**changes: Any) -> Restriction:
    base: dict[str, Any] = {
        "kind": Kind.CONTENT_REMOVED,
        "key": "news/comment/1/rejected/2026-11-01T12:00:00+00:00",
        "categories": ("attack",),
        "decided_by": DecidedBy.POLICY,
        "automated_detection": True,
        "content_date": D0,
        "application_date": D0,
    }
    base.update(changes)
    return Restriction(**base)


PATHS = {
    "policy reject": restriction(),
    "policy hold": restriction(kind=Kind.CONTENT_DISABLED, categories=("hate",)),
    "moderator reject": restriction(decided_by=DecidedBy.MODERATOR, automated_detection=False),
    "moderator reject of a held comment": restriction(decided_by=DecidedBy.MODERATOR),
    "moderator reject off topic": restriction(
        decided_by=DecidedBy.MODERATOR, categories=(), grounds=("off topic",)
    ),
    "blocked author's comment refused": restriction(
        categories=(), grounds=("the account is blocked",)
    ),
    "watch": restriction(kind=Kind.ACCOUNT_WATCHED, categories=("attack", "profanity")),
    "suspension": restriction(
        kind=Kind.ACCOUNT_SUSPENDED, end_date=date(2026, 11, 8), categories=("threat",)
    ),
    "block": restriction(kind=Kind.ACCOUNT_TERMINATED, decided_by=DecidedBy.MODERATOR),
    "report naming a law": restriction(
        decided_by=DecidedBy.MODERATOR,
        automated_detection=False,
        notice=True,
        legal_ground=LegalGround("§ 130 StGB (incitement)", "Incites hatred against a group."),
    ),
    "spam": restriction(categories=("spam",)),
}


@pytest.mark.parametrize("name", PATHS)
def test_every_decision_path_gives_a_statement_the_rules_accept(name: str) -> None:
    statement = build_statement(PATHS[name], Platform(terms_url="https://news.example/terms"))
    body = statement.to_api()
    again = StatementOfReasons.model_validate(body)  # what the fake API re-checks
    assert again == statement
    assert body["content_type"] == ["CONTENT_TYPE_TEXT"]
    assert len(body["puid"]) <= v.PUID_MAX


def test_the_mapping_of_each_restriction() -> None:
    def built(name: str) -> dict[str, Any]:
        return build_statement(PATHS[name]).to_api()

    assert built("policy reject")["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert built("policy hold")["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert built("watch")["decision_visibility"] == ["DECISION_VISIBILITY_OTHER"]
    suspension = built("suspension")
    assert suspension["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert suspension["end_date_account_restriction"] == "2026-11-08"
    assert "2026-11-08" in suspension["decision_facts"]
    assert built("block")["decision_account"] == "DECISION_ACCOUNT_TERMINATED"
    assert "end_date_account_restriction" not in built("block")
    # who decided
    assert built("policy reject")["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert built("moderator reject of a held comment")["automated_decision"] == (
        "AUTOMATED_DECISION_PARTIALLY"
    )
    assert built("moderator reject")["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert built("moderator reject")["automated_detection"] == "No"
    # ground and source
    policy = built("policy reject")
    assert policy["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert "personal attacks" in policy["incompatible_content_ground"]
    assert policy["source_type"] == "SOURCE_VOLUNTARY"
    legal = built("report naming a law")
    assert legal["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert legal["illegal_content_legal_ground"] == "§ 130 StGB (incitement)"
    assert "incompatible_content_ground" not in legal
    assert legal["source_type"] == "SOURCE_ARTICLE_16"
    # categories and keywords from the registry
    assert policy["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert policy["category_specification"] == ["KEYWORD_ONLINE_BULLYING_INTIMIDATION"]
    assert built("policy hold")["category_specification"] == ["KEYWORD_HATE_SPEECH"]
    assert built("suspension")["category"] == "STATEMENT_CATEGORY_VIOLENCE"
    watch = built("watch")
    assert watch["category_addition"] == ["STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"]
    off_topic = built("moderator reject off topic")
    assert off_topic["category"] == "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    assert off_topic["category_specification_other"] == "off topic"


def test_every_built_in_category_maps_into_the_schema() -> None:
    for info in categories.declared():
        body = build_statement(restriction(categories=(info.name,))).to_api()
        assert body["category"] in v.STATEMENT_CATEGORIES


@pytest.fixture
def site_category(tmp_path: Path) -> Iterator[None]:
    (tmp_path / "categories.yaml").write_text(
        "categories:\n"
        "  doxxing:\n"
        "    label: doxxing\n"
        "    description: publishing someone's private details\n"
        "    review_reason: publishes private details\n"
        "    dsa:\n"
        "      category: STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS\n"
        "      keywords: [KEYWORD_RIGHT_TO_BE_FORGOTTEN]\n"
        "      clause: 'House rules 4: no private details'\n"
        "  selling:\n"
        "    label: selling\n"
        "    description: selling goods in the comments\n"
        "    review_reason: sells things\n",
        encoding="utf-8",
    )
    categories.use(tmp_path)
    yield
    categories.use(None)


@pytest.mark.usefixtures("site_category")
def test_a_site_added_category_maps_too() -> None:
    doxxing = build_statement(restriction(categories=("doxxing",))).to_api()
    assert doxxing["category"] == "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"
    assert doxxing["category_specification"] == ["KEYWORD_RIGHT_TO_BE_FORGOTTEN"]
    assert doxxing["incompatible_content_ground"] == "House rules 4: no private details"
    selling = build_statement(restriction(categories=("selling",))).to_api()
    assert selling["category"] == "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    assert selling["category_specification_other"] == "selling"


def test_a_wrong_mapping_in_categories_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text(
        "categories:\n  doxxing:\n    label: d\n    description: d\n    review_reason: d\n"
        "    dsa: {category: STATEMENT_CATEGORY_GOSSIP}\n",
        encoding="utf-8",
    )
    with pytest.raises(categories.CategoryError, match=r"doxxing\.dsa\.category"):
        categories.use(tmp_path)
    categories.use(None)


def test_the_puid_is_stable_and_in_the_pattern() -> None:
    key = "news/comment/7/rejected/2026-11-01T12:00:00+00:00"
    assert make_puid(Kind.CONTENT_REMOVED, key) == make_puid(Kind.CONTENT_REMOVED, key)
    assert make_puid(Kind.CONTENT_REMOVED, key) != make_puid(Kind.CONTENT_DISABLED, key)
    assert make_puid(Kind.CONTENT_REMOVED, key) != make_puid(Kind.CONTENT_REMOVED, key + "x")


def test_nothing_but_schema_fields_can_be_added() -> None:
    body = build_statement(restriction()).to_api()
    with pytest.raises(ValidationError, match="author_id"):
        StatementOfReasons.model_validate({**body, "author_id": "u1"})


VALID = build_statement(restriction()).to_api()
INVALID = {
    "no decision": {"decision_visibility": None},
    "empty visibility": {"decision_visibility": []},
    "unknown visibility": {"decision_visibility": ["DECISION_VISIBILITY_HIDDEN"]},
    "unknown ground": {"decision_ground": "DECISION_GROUND_RUDE"},
    "unknown category": {"category": "STATEMENT_CATEGORY_RUDENESS"},
    "unknown keyword": {"category_specification": ["KEYWORD_RUDE"]},
    "unknown content type": {"content_type": ["CONTENT_TYPE_POEM"]},
    "no content type": {"content_type": []},
    "unknown source": {"source_type": "SOURCE_GOSSIP"},
    "automated detection not Yes/No": {"automated_detection": "Maybe"},
    "automated decision old Yes/No": {"automated_decision": "Yes"},
    "puid with a space": {"puid": "sor 1"},
    "puid with a slash": {"puid": "news/1"},
    "puid too long": {"puid": "a" * 501},
    "facts too long": {"decision_facts": "x" * 5001},
    "no facts": {"decision_facts": ""},
    "ground too long": {"incompatible_content_ground": "x" * 501},
    "explanation too long": {"incompatible_content_explanation": "x" * 2001},
    "incompatible ground missing": {"incompatible_content_ground": None},
    "illegal fields with incompatible ground": {"illegal_content_legal_ground": "§ 1"},
    "illegal ground without law": {"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"},
    "other visibility without text": {"decision_visibility": ["DECISION_VISIBILITY_OTHER"]},
    "keyword other text without KEYWORD_OTHER": {"category_specification_other": "x"},
    "date format": {"application_date": "01/11/2026"},
    "not a calendar date": {"application_date": "2026-02-30"},
    "application date too early": {"application_date": "2019-12-31"},
    "content date too early": {"content_date": "1999-12-31"},
    "end before application": {
        "decision_visibility": None,
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction": "2026-10-31",
    },
    "not an EU/EEA country": {"territorial_scope": ["US"]},
    "source identity with voluntary": {"source_identity": "a reader"},
    "unknown account decision": {"decision_visibility": None, "decision_account": "BANNED"},
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_statements_are_refused(name: str) -> None:
    StatementOfReasons.model_validate(VALID)
    with pytest.raises(ValidationError):
        StatementOfReasons.model_validate({**VALID, **INVALID[name]})


@given(
    kind=st.sampled_from(list(Kind)),
    names=st.lists(st.sampled_from(["attack", "profanity", "threat", "hate", "spam"]), max_size=5),
    by=st.sampled_from(list(DecidedBy)),
    detected=st.booleans(),
    notice=st.booleans(),
    days=st.integers(min_value=0, max_value=3000),
    ahead=st.one_of(st.none(), st.integers(min_value=0, max_value=365)),
    key=st.text(max_size=200),
    law=st.one_of(st.none(), st.text(min_size=1, max_size=900)),
)
def test_any_restriction_builds_a_valid_statement(
    kind: Kind,
    names: list[str],
    by: DecidedBy,
    detected: bool,
    notice: bool,
    days: int,
    ahead: int | None,
    key: str,
    law: str | None,
) -> None:
    from datetime import timedelta

    applied = date(2026, 11, 1)
    statement = build_statement(
        Restriction(
            kind=kind,
            key=key,
            categories=tuple(names),
            decided_by=by,
            automated_detection=detected,
            content_date=applied - timedelta(days=days),
            application_date=applied,
            end_date=None if ahead is None else applied + timedelta(days=ahead),
            legal_ground=LegalGround(law, law * 3) if law else None,
            notice=notice,
        )
    )
    StatementOfReasons.model_validate(statement.to_api())


@given(puid=st.text(min_size=1, max_size=60))
def test_the_puid_rule_matches_the_documented_pattern(puid: str) -> None:
    import re

    ok = re.fullmatch(r"[a-zA-Z0-9_-]+", puid) is not None
    try:
        StatementOfReasons.model_validate({**VALID, "puid": puid})
    except ValidationError:
        assert not ok
    else:
        assert ok
