from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from moderation.policy.loader import load_policies
from moderation.policy.schema import PolicyError, load_policy, parse_policy
from tests.policy.conftest import policy_data
from tests.support import ROOT


def test_shipped_policy_is_valid() -> None:
    policy = load_policy(ROOT / "config" / "policy.yaml")
    assert policy.name == "default"
    # The quoted posting policy: profanity and personal attacks are not permitted.
    assert policy.rule_scores["strong"] >= policy.categories["profanity"].reject


def _mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(policy_data())
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("categories.attack.hold", 1.5, "categories.attack.hold"),
        ("categories.attack.hold", "high", "categories.attack.hold"),
        ("categories.attack", {"hold": 0.9, "reject": 0.5}, "categories.attack"),
        ("categories.attack", _DELETE, "attack"),
        ("categories.rudeness", {"hold": 0.1, "reject": 0.2}, "categories.rudeness"),
        ("rule_scores.strong", 2, "rule_scores.strong"),
        ("rule_scores.mild", _DELETE, "mild"),
        ("spam.max_links", -1, "spam.max_links"),
        ("spam.unknown", 1, "spam.unknown"),
        ("authors.ladder", [{"strikes": 3, "sanction": "suspend"}], "authors.ladder.0"),
        ("authors.ladder", [{"strikes": 3, "sanction": "exile"}], "authors.ladder.0.sanction"),
        (
            "authors.ladder",
            [{"strikes": 3, "sanction": "watch"}, {"strikes": 2, "sanction": "block"}],
            "authors.ladder",
        ),
        ("authors.strike_window_days", 0, "authors.strike_window_days"),
        ("authors.immediate.threat.sanction", "ban", "authors.immediate.threat.sanction"),
        ("authors.new_authors.comments", -2, "authors.new_authors.comments"),
        ("name", "", "name"),
        ("surprise", True, "surprise"),
    ],
)
def test_invalid_policy_names_the_key(path: str, value: Any, named: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(_mutate(path, value), "policy.yaml")
    message = str(info.value)
    assert message.startswith("policy.yaml: invalid policy")
    assert named in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "not found"),
        ("categories: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "top level must be a mapping"),
    ],
)
def test_unreadable_policy_file(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "policy.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PolicyError, match=problem) as info:
        load_policy(path)
    assert str(path) in str(info.value)


def test_version_follows_content() -> None:
    a = parse_policy(policy_data(), "a")
    b = parse_policy(policy_data(), "b")
    c = parse_policy(_mutate("categories.attack.hold", 0.55), "c")
    assert a.version == b.version
    assert a.version != c.version


def _write_config(tmp_path: Path, site_yaml: str) -> Path:
    import yaml

    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy_data()))
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "gazette.yaml").write_text(site_yaml)
    return tmp_path


def test_site_override_merges_onto_default(tmp_path: Path) -> None:
    config = _write_config(tmp_path, "categories:\n  attack: {hold: 0.3, reject: 0.7}\n")
    policies = load_policies(config)
    gazette = policies.for_site("gazette")
    assert gazette.categories["attack"].hold == 0.3
    assert gazette.categories["threat"] == policies.default.categories["threat"]
    assert policies.for_site("other") is policies.default
    assert gazette.version != policies.default.version


def test_invalid_site_override_names_site_file_and_key(tmp_path: Path) -> None:
    config = _write_config(tmp_path, "categories:\n  attack: {hold: 0.9, reject: 0.7}\n")
    with pytest.raises(PolicyError) as info:
        load_policies(config)
    assert "gazette.yaml" in str(info.value)
    assert "categories.attack" in str(info.value)


@pytest.mark.parametrize(
    ("cap", "problem"),
    [
        (0.30, "authors.new_authors (0.3)"),  # the test policy's new authors hold attack at 0.3
        (0.50, "categories (0.5)"),
    ],
)
def test_a_criticism_cap_that_would_hold_criticism_is_refused(cap: float, problem: str) -> None:
    with pytest.raises(PolicyError, match="criticism") as caught:
        parse_policy(policy_data(criticism={"max_attack": cap}), "p")
    assert problem in str(caught.value)


def test_a_criticism_cap_below_every_hold_or_no_cap_is_accepted() -> None:
    assert parse_policy(policy_data(criticism={"max_attack": 0.25}), "p").criticism.max_attack
    assert parse_policy(policy_data(), "p").criticism.max_attack == 1.0


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"threat_target": {"max_untargeted": 0.40}}, "categories (0.4)"),  # threat hold 0.4
        ({"threat_target": {"max_untargeted": 0.60}}, "categories (0.4)"),
        (
            {
                "threat_target": {"max_untargeted": 0.30},
                "authors": {
                    **policy_data()["authors"],
                    "new_authors": {
                        "comments": 3,
                        "categories": {"threat": {"hold": 0.25, "reject": 0.8}},
                    },
                },
            },
            "authors.new_authors (0.25)",
        ),
        (
            {
                "threat_target": {"max_untargeted": 0.35},
                "authors": {
                    **policy_data()["authors"],
                    "trusted_authors": {
                        "min_published": 50,
                        "categories": {"threat": {"hold": 0.35, "reject": 0.8}},
                    },
                },
            },
            "authors.trusted_authors (0.35)",
        ),
    ],
)
def test_a_threat_target_cap_that_would_hold_hyperbole_is_refused(
    changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(PolicyError, match=r"threat_target\.max_untargeted") as caught:
        parse_policy(policy_data(**changes), "p")
    assert problem in str(caught.value)


@pytest.mark.parametrize("value", [-0.1, 1.5, "high"])
def test_a_threat_target_cap_outside_zero_one_is_refused(value: object) -> None:
    with pytest.raises(PolicyError, match=r"threat_target\.max_untargeted"):
        parse_policy(policy_data(threat_target={"max_untargeted": value}), "p")


def test_a_threat_target_cap_below_every_hold_or_no_cap_is_accepted() -> None:
    capped = parse_policy(policy_data(threat_target={"max_untargeted": 0.35}), "p")
    assert capped.threat_target.max_untargeted == 0.35
    assert parse_policy(policy_data(), "p").threat_target.max_untargeted == 1.0
    shipped = load_policy(ROOT / "config" / "policy.yaml")
    assert shipped.threat_target.max_untargeted < shipped.categories["threat"].hold


def test_an_unknown_threat_target_key_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"threat_target\.max_threat"):
        parse_policy(policy_data(threat_target={"max_threat": 0.3}), "p")
