"""The report body's rules as pure functions: reasons follow the category registry (declared
categories too), email-shaped reporter references are refused, ``illegal`` is complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from moderation import categories
from moderation.report_schemas import ReportIn, illegal_problems, looks_like_email


@pytest.fixture(autouse=True)
def _builtin_categories_afterwards() -> Iterator[None]:
    yield
    categories.use(None)


def test_a_declared_category_is_a_report_reason(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must be one of"):
        ReportIn.model_validate({"reason": "doxxing"})
    (tmp_path / "categories.yaml").write_text(
        "categories:\n  doxxing:\n    label: doxxing\n    description: private details\n"
        "    review_reason: publishes private details\n",
        encoding="utf-8",
    )
    categories.use(tmp_path)
    assert ReportIn.model_validate({"reason": "doxxing"}).reason == "doxxing"


@pytest.mark.parametrize(
    ("value", "email"),
    [
        ("ann@example.org", True),
        ("Ann.Smith+news@mail.example.co.uk", True),
        ("ann%40example.org", True),
        ("reader ann@example.org here", True),
        ("acct-5521", False),
        ("9f86d081884c7d659a2feaa0c55ad015", False),
        ("user@42", False),  # no domain: an opaque handle
    ],
)
def test_email_shapes(value: str, email: bool) -> None:
    assert looks_like_email(value) is email


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"reason": "attack"}, set()),
        ({"reason": "illegal"}, {"law", "explanation", "good_faith"}),
        ({"reason": "illegal", "law": "L", "explanation": "E", "good_faith": True}, set()),
        ({"reason": "illegal", "law": " ", "explanation": "E", "good_faith": True}, {"law"}),
        (
            {"reason": "illegal", "law": "L", "explanation": "E", "good_faith": False},
            {"good_faith"},
        ),
    ],
)
def test_illegal_needs_law_explanation_and_good_faith(
    body: dict[str, Any], missing: set[str]
) -> None:
    problems = illegal_problems(ReportIn.model_validate(body))
    assert {p["field"] for p in problems} == missing
