from __future__ import annotations

from typing import Any

import pytest

from moderation.policy.schema import Policy, parse_policy


def policy_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "test",
        "categories": {
            "profanity": {"hold": 0.5, "reject": 0.85},
            "attack": {"hold": 0.5, "reject": 0.85},
            "threat": {"hold": 0.4, "reject": 0.8},
            "hate": {"hold": 0.45, "reject": 0.85},
            "spam": {"hold": 0.5, "reject": 0.9},
        },
        "rule_scores": {"none": 0.0, "mild": 0.35, "moderate": 0.6, "strong": 0.9, "severe": 1.0},
        "spam": {"max_links": 2, "excess_links_score": 0.6},
        "authors": {
            "strike_window_days": 30,
            "strike_weights": {"threat": 2, "hate": 2},
            "ladder": [
                {"strikes": 2, "sanction": "watch"},
                {"strikes": 3, "sanction": "suspend", "days": 7},
                {"strikes": 5, "sanction": "block"},
            ],
            "immediate": {"threat": {"sanction": "block", "min_score": 0.95}},
            "new_authors": {"comments": 3, "categories": {"attack": {"hold": 0.3, "reject": 0.85}}},
            "trusted_authors": {
                "min_published": 50,
                "categories": {"attack": {"hold": 0.7, "reject": 0.9}},
            },
        },
    }
    data.update(changes)
    return data


@pytest.fixture
def policy() -> Policy:
    return parse_policy(policy_data(), "test-policy")
