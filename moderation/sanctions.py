"""The registry of sanctions: each declared once, and read by everything else.

The policy's ladder and ``immediate`` rules (validation: which sanctions exist, which need
``days``), the ladder (which author status a sanction sets), the decision and the intake
(what a status does to the author's comments: hold or reject, with which reason code), a
moderator's sanction (review service, dashboard forms and menus) all read :data:`SANCTIONS`.
It imports nothing from the rest of the service.

Adding a sanction the ladder can use: a :class:`Sanction` member and its
:class:`SanctionInfo` here, the author status it sets (``AuthorStatus``, with its rank: how
strict it is), and the database's ``author_status`` check constraint (a migration); then use
it in ``config/policy.yaml``. See docs/categories.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Sanction(StrEnum):
    WATCH = "watch"
    SUSPEND = "suspend"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class SanctionInfo:
    """What a sanction does.

    ``status`` is the author status it sets; while it is in force the author's comments are
    ``posting`` (held or rejected) with the reason ``reason``. A ``timed`` sanction needs a
    number of days (policy ``days``, a moderator's days) and lapses to ``watched`` when served.
    ``noun`` names it in messages; ``menu`` and ``describe`` are the dashboard's texts (the
    reject form's author menu, the author page's action menu).
    """

    sanction: Sanction
    status: str
    posting: Literal["hold", "reject"]
    reason: str
    timed: bool
    noun: str
    menu: str
    describe: str


SANCTIONS: tuple[SanctionInfo, ...] = (
    SanctionInfo(
        Sanction.WATCH,
        "watched",
        "hold",
        "author_watched",
        False,
        "watch",
        "watch (hold their comments)",
        "watch (hold every comment)",
    ),
    SanctionInfo(
        Sanction.SUSPEND,
        "suspended",
        "reject",
        "author_suspended",
        True,
        "suspension",
        "suspend for…",
        "suspend (reject for a period)",
    ),
    SanctionInfo(
        Sanction.BLOCK,
        "blocked",
        "reject",
        "author_blocked",
        False,
        "block",
        "block",
        "block (reject for good)",
    ),
)

_BY_SANCTION = {s.sanction: s for s in SANCTIONS}
_BY_STATUS = {s.status: s for s in SANCTIONS}


def info(sanction: Sanction) -> SanctionInfo:
    return _BY_SANCTION[sanction]


def for_status(status: str) -> SanctionInfo | None:
    """The sanction that sets author status ``status`` (None for ``active``)."""
    return _BY_STATUS.get(status)
