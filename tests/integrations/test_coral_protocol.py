"""Coral's external moderation protocol: signatures, comment identity, answers (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.integrations.coral_protocol import (
    ExternalModerationRequest,
    answer,
    comment_key,
    sign,
    signatures,
    verify,
)
from tests.integrations.support import CORAL_SECRET, coral_body, coral_headers, coral_request

BODY = coral_body(coral_request())


def test_verifies_coral_signatures() -> None:
    header = coral_headers(BODY, CORAL_SECRET)["X-Coral-Signature"]
    assert header == sign(CORAL_SECRET, BODY)
    assert verify(CORAL_SECRET, BODY, header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=" + "0" * 40,
        sign("empsec_other", BODY),
        sign(CORAL_SECRET, BODY + b" "),
        sign(CORAL_SECRET, BODY).upper(),
        "sha256=é",
    ],
)
def test_refuses_other_signatures(header: str | None) -> None:
    assert not verify(CORAL_SECRET, BODY, header)


def test_any_of_several_signatures_during_a_rotation() -> None:
    header = coral_headers(BODY, "empsec_old", CORAL_SECRET)["X-Coral-Signature"]
    assert len(signatures(header)) == 2
    assert verify(CORAL_SECRET, BODY, header)
    assert verify("empsec_old", BODY, header)
    assert verify(CORAL_SECRET, BODY, header.replace(",", ", "))


def parsed(**changes: Any) -> ExternalModerationRequest:
    return ExternalModerationRequest.model_validate(coral_request(**changes))


def test_comment_key_is_stable_and_tells_submissions_apart() -> None:
    key = comment_key(parsed())
    assert key == comment_key(parsed())
    assert key.startswith("coral-")
    assert len(key) <= 255
    others = {
        comment_key(parsed(text="Another comment")),
        comment_key(parsed(action="EDIT")),
        comment_key(parsed(author={"id": "someone-else", "role": "COMMENTER"})),
        comment_key(parsed(story={"id": "another-story", "url": "https://x.example/"})),
        comment_key(
            parsed(
                comment={
                    "body": "Thanks for the thoughtful article, I learned a lot.",
                    "parentID": "p1",
                }
            )
        ),
        comment_key(parsed(tenantID="other-tenant")),
    }
    assert key not in others
    assert len(others) == 6


def reason(code: str, outcome: str, category: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "outcome": outcome}
    if category is not None:
        out["category"] = category
    return out


TOXIC = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}
SPAM = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}


@pytest.mark.parametrize(
    ("status", "reasons", "approve", "expected"),
    [
        ("published", [], False, None),
        ("published", [], True, {"status": "APPROVED"}),
        ("pending", [], True, None),
        (
            "held",
            [reason("category_score", "hold", "attack")],
            False,
            {"status": "SYSTEM_WITHHELD", "actions": [TOXIC]},
        ),
        (
            "held",
            [reason("category_score", "hold", "spam")],
            False,
            {"status": "SYSTEM_WITHHELD", "actions": [SPAM]},
        ),
        ("held", [reason("author_watched", "hold")], False, {"status": "PREMOD"}),
        (
            "held",
            [reason("author_watched", "hold"), reason("category_score", "hold", "threat")],
            False,
            {"status": "SYSTEM_WITHHELD", "actions": [TOXIC]},
        ),
        (
            "rejected",
            [
                reason("category_score", "reject", "profanity"),
                reason("category_score", "hold", "attack"),
                reason("category_score", "hold", "spam"),
            ],
            False,
            {"status": "REJECTED", "actions": [TOXIC, SPAM]},
        ),
        ("rejected", [reason("author_blocked", "reject")], False, {"status": "REJECTED"}),
    ],
)
def test_answers(
    status: str, reasons: list[dict[str, Any]], approve: bool, expected: dict[str, Any] | None
) -> None:
    assert answer(status, reasons, approve_published=approve) == expected


def test_answers_only_use_values_coral_accepts() -> None:
    """Coral's Joi schema (external.ts) refuses the whole response for any other value."""
    statuses = {"NONE", "APPROVED", "REJECTED", "PREMOD", "SYSTEM_WITHHELD"}
    categories = ("profanity", "attack", "threat", "hate", "spam")
    for status in ("published", "held", "rejected"):
        for category in categories:
            for outcome in ("hold", "reject"):
                out = answer(
                    status, [reason("category_score", outcome, category)], approve_published=True
                )
                assert out is not None
                assert set(out) <= {"status", "actions", "tags"}
                assert out["status"] in statuses
                for action in out.get("actions", []):
                    assert action in (TOXIC, SPAM)
