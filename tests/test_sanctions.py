"""The sanctions registry: every sanction declared once, and consistent with the statuses,
the database and the decisions that read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation import sanctions
from moderation.policy.decide import AuthorContext, AuthorStatus, Outcome, _author_reason
from moderation.policy.schema import PolicyError, parse_policy
from moderation.sanctions import SANCTIONS, Sanction
from moderation.tables import Author
from tests.policy.conftest import policy_data

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_every_sanction_is_declared_once_and_sets_a_known_status() -> None:
    assert [s.sanction for s in SANCTIONS] == list(Sanction)
    assert len({s.status for s in SANCTIONS}) == len(SANCTIONS)
    stored = set(Author.__table__.c.status.type.enums)  # type: ignore[attr-defined]
    for declared in SANCTIONS:
        assert AuthorStatus(declared.status).rank > AuthorStatus.ACTIVE.rank
        assert declared.status in stored  # a new status needs the migration too
        assert sanctions.for_status(declared.status) is declared
    assert sanctions.for_status("active") is None


@pytest.mark.parametrize("declared", SANCTIONS, ids=lambda s: str(s.sanction))
def test_a_sanction_in_force_acts_on_the_authors_comments(declared: sanctions.SanctionInfo) -> None:
    until = NOW + timedelta(days=3)
    reason = _author_reason(
        AuthorContext(status=AuthorStatus(declared.status), status_until=until), NOW
    )
    assert reason is not None
    assert (reason.code, reason.outcome) == (declared.reason, Outcome(declared.posting))
    assert reason.until == (until if declared.timed else None)


@pytest.mark.parametrize("declared", SANCTIONS, ids=lambda s: str(s.sanction))
def test_the_policy_asks_days_of_timed_sanctions_only(declared: sanctions.SanctionInfo) -> None:
    def ladder(**step: object) -> object:
        authors = {**policy_data()["authors"], "ladder": [{"strikes": 2, **step}]}
        return parse_policy(policy_data(authors=authors), "policy.yaml")

    with_days = {"sanction": str(declared.sanction), "days": 3}
    without = {"sanction": str(declared.sanction)}
    if declared.timed:
        ladder(**with_days)
        with pytest.raises(PolicyError, match="needs 'days'"):
            ladder(**without)
    else:
        ladder(**without)
        with pytest.raises(PolicyError, match="only applies to a suspend step"):
            ladder(**with_days)
