"""Turning a moderation decision into a statement of reasons (DSA Art. 17).

:func:`build_statement` is pure: it reads a :class:`Restriction` (what was restricted, on
which categories, with which evidence, decided by whom and when) and the category registry
(each category's :class:`~moderation.categories.DsaMapping`), and returns a validated
:class:`~moderation.dsa.schema.StatementOfReasons`. A :class:`Restriction` has no field for
the author's id or name or the comment's text, so none can reach a statement.

The mapping (docs/dsa.md has the table):

* a rejected comment: ``DECISION_VISIBILITY_CONTENT_REMOVED``;
* a held comment (hidden until a moderator decides): ``DECISION_VISIBILITY_CONTENT_DISABLED``;
* a watched author (every new comment held first): ``DECISION_VISIBILITY_OTHER``;
* a suspension: ``DECISION_ACCOUNT_SUSPENDED`` with ``end_date_account_restriction``;
* a block: ``DECISION_ACCOUNT_TERMINATED``.

The ground is incompatibility with the site's terms (the categories' clauses), or illegal
content when a :class:`LegalGround` is given (a reader's report naming a law). The policy
deciding alone is ``AUTOMATED_DECISION_FULLY``; a moderator deciding on a comment the
scoring flagged ``PARTIALLY``; a moderator on a comment nothing flagged ``NOT_AUTOMATED``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from moderation import categories
from moderation.categories import DsaMapping
from moderation.dsa import vocabulary as v
from moderation.dsa.schema import StatementOfReasons

#: puids are ``<kind>-<uuid5 of the restriction's key in this namespace>``.
PUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "moderation:dsa-statements-of-reasons")


class Kind(StrEnum):
    """What was restricted (the ``kind`` column of stored statements)."""

    CONTENT_REMOVED = "content_removed"
    CONTENT_DISABLED = "content_disabled"
    ACCOUNT_WATCHED = "account_watched"
    ACCOUNT_SUSPENDED = "account_suspended"
    ACCOUNT_TERMINATED = "account_terminated"


class DecidedBy(StrEnum):
    POLICY = "policy"
    MODERATOR = "moderator"


@dataclass(frozen=True, slots=True)
class LegalGround:
    """The law a notice named and why the content breaks it (the illegal-content ground)."""

    law: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Platform:
    """Deployment-wide statement fields: where decisions apply and the terms' address."""

    territorial_scope: tuple[str, ...] = v.EU_COUNTRY_CODES
    terms_url: str | None = None


@dataclass(frozen=True, slots=True)
class Restriction:
    """One restriction, as the builder needs it.

    ``key`` identifies it for good (the same restriction always gives the same ``puid``):
    e.g. ``site/comment/<row id>/rejected/<decided_at>``. ``categories`` are registry names
    (unknown names are skipped); ``evidence`` are sentences for the author that quote
    nothing of the comment. ``grounds`` names non-category reasons ("off topic", "the
    account is blocked") for a restriction with no category. ``automated_detection``: the
    scoring flagged the comment. ``notice``: a reader's report started it.
    """

    kind: Kind
    key: str
    categories: tuple[str, ...]
    decided_by: DecidedBy
    automated_detection: bool
    content_date: date
    application_date: date
    end_date: date | None = None
    evidence: tuple[str, ...] = ()
    grounds: tuple[str, ...] = ()
    legal_ground: LegalGround | None = None
    notice: bool = False


def make_puid(kind: Kind, key: str) -> str:
    """A stable identifier in the schema's pattern (a-z, A-Z, 0-9, -, _), 43 characters."""
    return f"{_PUID_PREFIX[kind]}-{uuid.uuid5(PUID_NAMESPACE, key).hex}"


_PUID_PREFIX = {
    Kind.CONTENT_REMOVED: "sor_cr",
    Kind.CONTENT_DISABLED: "sor_cd",
    Kind.ACCOUNT_WATCHED: "sor_aw",
    Kind.ACCOUNT_SUSPENDED: "sor_as",
    Kind.ACCOUNT_TERMINATED: "sor_at",
}

_WHAT = {
    Kind.CONTENT_REMOVED: "Your comment was removed and is not shown to readers.",
    Kind.CONTENT_DISABLED: (
        "Your comment is hidden: it waits for a moderator's review and is not shown to "
        "readers until then."
    ),
    Kind.ACCOUNT_WATCHED: (
        "Your account is under watch: each comment you post is held for a moderator's "
        "review before it is published."
    ),
    Kind.ACCOUNT_SUSPENDED: "Your account is suspended: comments you post are rejected.",
    Kind.ACCOUNT_TERMINATED: "Your account is blocked: comments you post are rejected.",
}
WATCH_RESTRICTION = (
    "Pre-moderation of the account: every new comment is held for review before publication"
)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _mappings(names: tuple[str, ...]) -> list[tuple[categories.CategoryInfo, DsaMapping]]:
    out = []
    for name in dict.fromkeys(names):
        if name in categories.CATEGORIES:
            info = categories.info(name)
            out.append((info, info.dsa_mapping()))
    return out


def build_statement(
    restriction: Restriction, platform: Platform | None = None
) -> StatementOfReasons:
    """The statement of reasons for ``restriction``; raises ``pydantic.ValidationError``
    only if the mapping itself is wrong (tests build one for every decision path)."""
    r = restriction
    platform = platform or Platform()
    mapped = _mappings(r.categories)
    fields: dict[str, object] = {}

    if r.kind is Kind.CONTENT_REMOVED:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    elif r.kind is Kind.CONTENT_DISABLED:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    elif r.kind is Kind.ACCOUNT_WATCHED:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_OTHER"]
        fields["decision_visibility_other"] = WATCH_RESTRICTION
    elif r.kind is Kind.ACCOUNT_SUSPENDED:
        fields["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
        if r.end_date is not None:
            fields["end_date_account_restriction"] = max(r.end_date, r.application_date).isoformat()
    else:
        fields["decision_account"] = "DECISION_ACCOUNT_TERMINATED"

    labels = [info.label for info, _ in mapped] or list(r.grounds) or ["the site's terms"]
    if r.legal_ground is not None:
        fields["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        fields["illegal_content_legal_ground"] = _clip(r.legal_ground.law, 500)
        fields["illegal_content_explanation"] = _clip(r.legal_ground.explanation, 2000)
    else:
        fields["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        clauses = [m.clause or f"Community guidelines: {info.label}" for info, m in mapped]
        if not clauses:
            clauses = [f"Community guidelines: {ground}" for ground in labels]
        fields["incompatible_content_ground"] = _clip("; ".join(clauses), 500)
        explanations = [f"{info.label}: {info.description}" for info, _ in mapped]
        if not explanations:
            explanations = [f"not allowed under the site's terms: {', '.join(labels)}"]
        fields["incompatible_content_explanation"] = _clip(
            "The content was judged to be " + "; ".join(explanations) + ".", 2000
        )
    if platform.terms_url:
        fields["decision_ground_reference_url"] = _clip(platform.terms_url, 500)

    if mapped:
        primary = mapped[0][1].category
        additions = [m.category for _, m in mapped[1:] if m.category != primary]
        keywords = [k for _, m in mapped for k in m.keywords]
        others = [m.other for _, m in mapped if m.other and "KEYWORD_OTHER" in m.keywords]
    else:
        primary, additions, keywords, others = (
            "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
            [],
            ["KEYWORD_OTHER"],
            labels,
        )
    fields["category"] = primary
    if additions:
        fields["category_addition"] = list(dict.fromkeys(additions))
    if keywords:
        fields["category_specification"] = list(dict.fromkeys(keywords))
    if others and "KEYWORD_OTHER" in keywords:
        fields["category_specification_other"] = _clip(", ".join(dict.fromkeys(others)), 500)

    fields["content_type"] = ["CONTENT_TYPE_TEXT"]
    fields["territorial_scope"] = list(platform.territorial_scope)
    fields["content_date"] = min(r.content_date, r.application_date).isoformat()
    fields["application_date"] = r.application_date.isoformat()
    fields["decision_facts"] = _clip(_facts(r, labels), 5000)
    fields["source_type"] = "SOURCE_ARTICLE_16" if r.notice else "SOURCE_VOLUNTARY"
    fields["automated_detection"] = "Yes" if r.automated_detection else "No"
    if r.decided_by is DecidedBy.POLICY:
        fields["automated_decision"] = "AUTOMATED_DECISION_FULLY"
    elif r.automated_detection:
        fields["automated_decision"] = "AUTOMATED_DECISION_PARTIALLY"
    else:
        fields["automated_decision"] = "AUTOMATED_DECISION_NOT_AUTOMATED"
    fields["puid"] = make_puid(r.kind, r.key)
    return StatementOfReasons.model_validate(fields)


def _facts(r: Restriction, labels: list[str]) -> str:
    """The facts and circumstances, written for the author."""
    parts = [_WHAT[r.kind]]
    if r.kind is Kind.ACCOUNT_SUSPENDED and r.end_date is not None:
        parts.append(f"The suspension ends on {r.end_date.isoformat()}.")
    if r.legal_ground is not None:
        parts.append(f"Reason: the content was found illegal under {r.legal_ground.law}.")
    else:
        parts.append(f"Reason: {', '.join(labels)}, which the site's terms do not allow.")
    parts.extend(r.evidence)
    if r.notice:
        parts.append("The comment was reported by a reader (a notice under Article 16 DSA).")
    if r.decided_by is DecidedBy.POLICY:
        parts.append("The decision was taken automatically by the site's moderation policy.")
    elif r.automated_detection:
        parts.append(
            "Automatic screening flagged the comment; a moderator reviewed it and took "
            "the decision."
        )
    else:
        parts.append("A moderator reviewed the case and took the decision.")
    parts.append("You can appeal this decision through the site.")
    return " ".join(parts)
