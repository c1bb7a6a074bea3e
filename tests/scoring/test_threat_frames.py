"""Threat frames: threats read from a target, a harm and an intent, condition, time, place,
knowledge or insinuation, however they are phrased; look-alikes (hyperbole, sport, reports,
condemnation, civil plans) stay clean. The dev sentences are in
tests/scoring/data/threat_frames_dev.jsonl (written for this detector; not from any
evaluation set)."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.policy.decide import Outcome, decide
from moderation.policy.schema import load_policy
from moderation.scoring.group_frames import GROUP_FRAME, GroupFrames
from moderation.scoring.pipeline import Pipeline, build_pipeline
from moderation.scoring.rules import RuleFilter
from moderation.scoring.threat_frames import FRAME, MAX_CHARS, ThreatFrames
from moderation.scoring.types import Category
from moderation.scoring.wordlists import RuleConfigError
from tests.support import ROOT

NOW = datetime(2026, 12, 4, tzinfo=UTC)
POLICY = load_policy(ROOT / "config" / "policy.yaml")
DEV = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "threat_frames_dev.jsonl")
    .read_text()
    .splitlines()
]


@pytest.fixture(scope="module")
def frames() -> ThreatFrames:
    return ThreatFrames.from_config(ROOT / "config")


@pytest.fixture(scope="module")
def rules() -> RuleFilter:
    return RuleFilter.from_config(ROOT / "config")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(ROOT / "config", ROOT / "models")


def severity(frames: ThreatFrames, rules: RuleFilter, text: str) -> str:
    [(_, norm)] = rules.analyze_batch([text], None)
    found = frames.find(norm, text)
    assert len(found) <= 1
    return str(found[0].severity) if found else "clean"


def test_the_dev_set_is_large_and_balanced() -> None:
    kinds = {row["expect"] for row in DEV}
    assert kinds == {"severe", "strong", "moderate", "clean"}
    assert len(DEV) >= 150
    assert sum(row["expect"] == "clean" for row in DEV) >= 75


@pytest.mark.parametrize("row", DEV, ids=[row["text"][:40] for row in DEV])
def test_each_dev_sentence_gets_its_severity(
    frames: ThreatFrames, rules: RuleFilter, row: dict[str, str]
) -> None:
    assert severity(frames, rules, row["text"]) == row["expect"]


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        # veiled threats the old patterns published or only held
        ("Your kids walk home alone, don't they? Keep writing.", Outcome.REJECT),
        ("You'll be eating through a straw, mate.", Outcome.REJECT),
        (
            "I know which car is yours... tomorrow night I'm waiting for you with a bat.",
            Outcome.REJECT,
        ),
        ("People have disappeared for less.", Outcome.HOLD),
        ("Your days are numbered.", Outcome.HOLD),
        # look-alikes
        ("You'll regret voting for him.", Outcome.PUBLISH),
        ("I'll shoot you an email tonight.", Outcome.PUBLISH),
        ("Police say the suspect stabbed a man outside his home.", Outcome.PUBLISH),
    ],
)
def test_the_policy_acts_on_the_frame(pipeline: Pipeline, text: str, outcome: Outcome) -> None:
    decision = decide(pipeline.score(text), POLICY, now=NOW)
    assert decision.outcome is outcome, decision.reasons


def test_a_credible_threat_reaches_the_immediate_sanction(pipeline: Pipeline) -> None:
    result = pipeline.score("I followed you home yesterday. Tonight I'm coming with a knife.")
    frame = [m for m in result.matches if m.term == FRAME]
    assert frame and frame[0].category is Category.THREAT
    assert str(frame[0].severity) == "severe"
    assert "frames" in pipeline.versions


def test_the_frame_does_not_feed_the_classifier(pipeline: Pipeline) -> None:
    text = "People have disappeared for less."
    with_frames = pipeline.score(text)
    frames, pipeline.frames = pipeline.frames, None
    try:
        without = pipeline.score(text)
    finally:
        pipeline.frames = frames
    assert with_frames.scores == without.scores
    assert not any(m.term == FRAME for m in without.matches)


def test_a_wall_of_threat_words_is_read_in_linear_time(
    frames: ThreatFrames, rules: RuleFilter
) -> None:
    text = ("you will kill keep talking i know where tonight, be careful " * 400)[:MAX_CHARS]
    [(_, norm)] = rules.analyze_batch([text], None)
    started = time.perf_counter()
    frames.find(norm, text)
    small = time.perf_counter() - started
    long_text = text * 5  # beyond MAX_CHARS: the rest is not read
    [(_, long_norm)] = rules.analyze_batch([long_text], None)
    started = time.perf_counter()
    frames.find(long_norm, long_text)
    assert time.perf_counter() - started < max(1.0, 3 * small)
    assert small < 1.0


def _config_copy(tmp_path: Path) -> Path:
    (tmp_path / "wordlists").mkdir()
    shutil.copy(
        ROOT / "config" / "wordlists" / "threat_frames.yaml",
        tmp_path / "wordlists" / "threat_frames.yaml",
    )
    return tmp_path


def test_a_missing_frames_file_is_named(tmp_path: Path) -> None:
    config = _config_copy(tmp_path)
    (config / "wordlists" / "threat_frames.yaml").unlink()
    with pytest.raises(RuleConfigError, match=r"threat_frames\.yaml: file not found"):
        ThreatFrames.from_config(config)


def test_a_bad_entry_is_named(tmp_path: Path) -> None:
    config = _config_copy(tmp_path)
    path = config / "wordlists" / "threat_frames.yaml"
    path.write_text(path.read_text().replace("intent: |-\n", "intent: |-\n  (unclosed\n", 1))
    with pytest.raises(RuleConfigError, match=r"intent: '\(unclosed'"):
        ThreatFrames.from_config(config)


def test_an_empty_list_is_named(tmp_path: Path) -> None:
    config = _config_copy(tmp_path)
    path = config / "wordlists" / "threat_frames.yaml"
    path.write_text(path.read_text() + "\nweapon: ''\n")
    with pytest.raises(RuleConfigError, match="weapon: must be a non-empty"):
        ThreatFrames.from_config(config)


# --- group frames --------------------------------------------------------------------------

GROUP_DEV = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "group_frames_dev.jsonl").read_text().splitlines()
]


@pytest.fixture(scope="module")
def groups() -> GroupFrames:
    return GroupFrames.from_config(ROOT / "config")


@pytest.mark.parametrize("row", GROUP_DEV, ids=[row["text"][:40] for row in GROUP_DEV])
def test_each_group_sentence_gets_its_severity(
    groups: GroupFrames, rules: RuleFilter, row: dict[str, str]
) -> None:
    [(_, norm)] = rules.analyze_batch([row["text"]], None)
    found = groups.find(norm)
    got = str(max((m.severity for m in found), key=lambda s: s.rank)) if found else "clean"
    assert got == row["expect"]
    assert all(m.category is Category.HATE and m.term == GROUP_FRAME for m in found)


def test_a_reported_and_condemned_group_claim_is_not_acted_on(
    pipeline: Pipeline,
) -> None:
    made = decide(pipeline.score("Kurds are infesting every city in the south."), POLICY, now=NOW)
    assert made.outcome is Outcome.REJECT, made.reasons
    text = "He said Kurds are infesting every city, which is disgusting."
    result = pipeline.score(text)
    [frame] = [m for m in result.matches if m.term == GROUP_FRAME]
    assert str(frame.severity) == "mild"  # reported and condemned: shown, never acted on
    reported = decide(result, POLICY, now=NOW)
    assert not [r for r in reported.reasons if r.category is Category.HATE], reported.reasons


def test_a_wall_of_group_words_is_read_quickly(groups: GroupFrames, rules: RuleFilter) -> None:
    text = "immigrants are all very much really " * 3000
    [(_, norm)] = rules.analyze_batch([text], None)
    started = time.perf_counter()
    groups.find(norm)
    assert time.perf_counter() - started < 1.0
