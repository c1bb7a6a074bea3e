"""Statements of reasons (DSA Art. 17): stored for each restriction, attached to the site's
events and comment record, and submitted to the Transparency Database (Art. 24(5)).

Recording: :func:`for_comment` (a rejected or held comment) and :func:`for_sanction` (a
watch, suspension or block) turn the rows into a :class:`~moderation.dsa.build.Restriction`
— categories, evidence, who decided, dates; never the author's id or name or the text —
build the statement and store it (once per ``puid``) in the caller's transaction. They
return the statement for the event payload, or None when nothing was restricted.

Submitting: :func:`submit` sends a site's unsent statements in batches of at most 100
(:data:`~moderation.dsa.vocabulary.BATCH_MAX`) with a bearer token, records ``submitted_at``
after each accepted batch (so a statement goes out once), retries a 5xx or a timeout with
exponential backoff, and records a refusal (4xx) on each statement concerned.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from flask import current_app, has_app_context

from moderation import categories
from moderation.clock import utcnow
from moderation.config import Settings
from moderation.dsa import vocabulary
from moderation.dsa.build import (
    DecidedBy,
    Kind,
    LegalGround,
    Platform,
    Restriction,
    build_statement,
)
from moderation.extensions import db
from moderation.services.kept_aside import kept_aside, store_for
from moderation.services.sites import require_site
from moderation.statuses import AuthorStatus, CommentStatus
from moderation.tables import Author, Comment, DsaStatement, Site

log = logging.getLogger(__name__)

#: The actor of automatic decisions (``services.decision_record.POLICY_ACTOR``).
_POLICY = "policy"
_ACCOUNT_GROUNDS = {
    "author_blocked": "the account is blocked",
    "author_suspended": "the account is suspended",
    "author_watched": "the account is under watch",
}
_REVIEW_GROUNDS = {"off_topic": "off topic", "other": "another breach of the site's terms"}
#: Hold reasons that are not a judgement of the content (no statement: nothing is decided).
TECHNICAL_REASONS = frozenset({"scoring_time_limit"})
_KIND_FOR_STATUS = {
    AuthorStatus.WATCHED.value: Kind.ACCOUNT_WATCHED,
    AuthorStatus.SUSPENDED.value: Kind.ACCOUNT_SUSPENDED,
    AuthorStatus.BLOCKED.value: Kind.ACCOUNT_TERMINATED,
}


def platform() -> Platform:
    """The deployment's statement fields (territorial scope, terms URL) from the current
    app's settings; the defaults outside an app."""
    settings = current_app.extensions.get("moderation.settings") if has_app_context() else None
    if settings is None:
        return Platform()
    return Platform(tuple(settings.dsa_territorial_scope), settings.dsa_terms_url)


# --- recording ----------------------------------------------------------------------------


def _label(category: str) -> str:
    return categories.info(category).label if category in categories.CATEGORIES else category


def _evidence(reasons: list[dict[str, Any]]) -> tuple[str, ...]:
    """Sentences for the author about what the policy found (never a quote of the text)."""
    out = []
    for reason in reasons:
        category = reason.get("category")
        if not category:
            continue
        label = _label(category)
        source = reason.get("source")
        if source == "rules":
            found = f"It matched the site's word list for {label}"
        elif source == "links":
            found = f"Its links were counted as {label}"
        else:
            found = f"Automatic screening rated it as {label}"
        score, threshold = reason.get("score"), reason.get("threshold")
        if isinstance(score, int | float) and isinstance(threshold, int | float):
            found += f" (score {score:.2f}, threshold {threshold:.2f})"
        out.append(found + ".")
    return tuple(dict.fromkeys(out))


def _flagged(comment: Comment) -> bool:
    """The scoring flagged the comment (an automatic hold or reject on a category)."""
    return comment.auto_decision in ("hold", "reject") and any(
        r.get("category") for r in comment.reasons or []
    )


def _comment_categories(comment: Comment) -> tuple[str, ...]:
    reasons = comment.reasons or []
    scored = sorted(
        (r for r in reasons if r.get("category")),
        key=lambda r: -float(r["score"]) if isinstance(r.get("score"), int | float) else 0.0,
    )  # the strongest finding first: it names the statement's category
    found = [r["category"] for r in scored]
    if comment.decided_by != _POLICY and comment.review_reason:
        if comment.review_reason in categories.CATEGORIES:
            return (comment.review_reason, *found)
        return ()  # the moderator's reason (off topic, other) is the ground, not the scores
    return tuple(found)


def _store(
    site_id: int, kind: Kind, statement: dict[str, Any], now: datetime, **links: Any
) -> None:
    puid = statement["puid"]
    row = {
        "puid": puid,
        "site_id": site_id,
        "kind": kind.value,
        "statement": statement,
        "created_at": now,
        **links,
    }
    together: dict[str, dict[str, Any]] | None = store_for(_TOGETHER_KEY)
    if together is not None:  # inside stored_together(): checked and inserted at its end
        together.setdefault(puid, row)
        return
    # Without autoflush: statements added but not yet flushed are looked for in the session.
    if any(isinstance(o, DsaStatement) and o.puid == puid for o in db.session.new):
        return
    with db.session.no_autoflush:
        known = db.session.execute(
            sa.select(DsaStatement.id).where(DsaStatement.puid == puid)
        ).scalar_one_or_none()
    if known is None:
        db.session.add(DsaStatement(**row))


_TOGETHER_KEY = "moderation.dsa.together"
#: Most puids looked up in one query by :func:`stored_together`.
_LOOKUP_CHUNK = 500


@contextmanager
def stored_together() -> Iterator[None]:
    """Within, the statements :func:`for_comment` and :func:`for_sanction` store are kept
    aside, and on leaving (without an error) the new ones are added to the session in the
    order they were made, after ONE lookup of the stored puids (per 500) instead of one
    per statement, and inserted in one statement: a batch of decisions
    (services/decisions.py) stores many. A puid stored already, or made twice, is stored
    once, as outside."""
    with kept_aside(_TOGETHER_KEY, {}) as together:
        yield
    if not together:
        return
    known = {o.puid for o in db.session.new if isinstance(o, DsaStatement)}
    puids = list(together)
    with db.session.no_autoflush:
        for start in range(0, len(puids), _LOOKUP_CHUNK):
            known.update(
                db.session.execute(
                    sa.select(DsaStatement.puid).where(
                        DsaStatement.puid.in_(puids[start : start + _LOOKUP_CHUNK])
                    )
                ).scalars()
            )
    new = [row for puid, row in together.items() if puid not in known]
    if new:  # one statement for them all (no ORM objects: nothing reads them back)
        db.session.execute(sa.insert(DsaStatement.__table__), new)


_NOTICES_KEY = "moderation.dsa.notices"


def note_notice(comment: Comment, *, legal_ground: LegalGround | None = None) -> None:
    """Say that the decision about to be taken on ``comment`` in this transaction answers a
    reader's notice (Art. 16), naming the law when the notice did: the statement that
    :func:`for_comment` then writes (from ``review.reject``, say) has ``SOURCE_ARTICLE_16``
    and, with a law, the illegal-content ground. Forgotten at the end of the transaction."""
    db.session.info.setdefault(_NOTICES_KEY, {})[comment.id] = legal_ground


@sa.event.listens_for(sa.orm.Session, "after_commit")
@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_notices(session: sa.orm.Session) -> None:
    session.info.pop(_NOTICES_KEY, None)


def for_comment(
    comment: Comment,
    *,
    now: datetime,
    legal_ground: LegalGround | None = None,
    notice: bool = False,
) -> dict[str, Any] | None:
    """Store and return the statement for the comment's restriction as it now stands
    (rejected: removed; held: disabled); None when it is published or only held for a
    technical reason. ``legal_ground`` and ``notice``: a reader's report named a law / the
    decision followed a notice (Art. 16)."""
    if comment.status == CommentStatus.REJECTED:
        kind = Kind.CONTENT_REMOVED
    elif comment.status == CommentStatus.HELD:
        kind = Kind.CONTENT_DISABLED
    else:
        return None
    reasons = comment.reasons or []
    codes = {r.get("code") for r in reasons}
    by_policy = comment.decided_by == _POLICY
    if by_policy and codes and codes <= TECHNICAL_REASONS:
        return None
    found = _comment_categories(comment)
    grounds: tuple[str, ...] = ()
    if not found:
        if not by_policy and comment.review_reason in _REVIEW_GROUNDS:
            grounds = (_REVIEW_GROUNDS[comment.review_reason],)
        else:
            grounds = tuple(_ACCOUNT_GROUNDS[c] for c in codes if c in _ACCOUNT_GROUNDS)
    noted = db.session.info.get(_NOTICES_KEY, {})
    if comment.id in noted:
        notice = True
        legal_ground = legal_ground or noted[comment.id]
    decided_at = comment.decided_at or now
    restriction = Restriction(
        kind=kind,
        key=f"{comment.site.name}/comment/{comment.id}/{comment.status}/{decided_at.isoformat()}",
        categories=found,
        decided_by=DecidedBy.POLICY if by_policy else DecidedBy.MODERATOR,
        automated_detection=_flagged(comment),
        content_date=(comment.posted_at or comment.received_at or now).date(),
        application_date=decided_at.date(),
        evidence=_evidence(reasons),
        grounds=grounds,
        legal_ground=legal_ground,
        notice=notice,
    )
    statement = build_statement(restriction, platform()).to_api()
    _store(
        comment.site_id, kind, statement, now, comment_id=comment.id, author_id=comment.author_id
    )
    return statement


def for_sanction(
    author: Author,
    *,
    status: str,
    until: datetime | None,
    actor: str,
    by_moderator: bool,
    comment: Comment | None,
    now: datetime,
) -> dict[str, Any] | None:
    """Store and return the statement for a watch, suspension or block of ``author``
    (None for ``active``). The categories are the triggering comment's, else those of the
    author's latest active strike. A moderator's sanction is not automated; the policy's
    ladder stepping on its own is fully automated, and on a moderator's strike partially."""
    kind = _KIND_FOR_STATUS.get(status)
    if kind is None:
        return None
    by_policy = not by_moderator and actor == _POLICY
    found: tuple[str, ...] = ()
    if comment is not None:
        found = _comment_categories(comment)
    if not found:
        strikes = [s for s in author.strikes if s.active(now)]
        if strikes:
            found = (strikes[-1].category,)
    if not by_moderator:
        evidence: tuple[str, ...] = (
            "The site's policy applies this to an account whose comments were repeatedly "
            "found to break its terms.",
        )
    else:
        evidence = ()
    restriction = Restriction(
        kind=kind,
        key=f"{author.site.name}/author/{author.id}/{status}/{now.isoformat()}",
        categories=found,
        decided_by=DecidedBy.POLICY if by_policy else DecidedBy.MODERATOR,
        automated_detection=not by_moderator or (comment is not None and _flagged(comment)),
        content_date=(
            (comment.posted_at or comment.received_at) if comment is not None else now
        ).date(),
        application_date=now.date(),
        end_date=until.date() if until is not None else None,
        evidence=evidence,
        grounds=() if found else ("repeated breaches of the site's terms",),
    )
    statement = build_statement(restriction, platform()).to_api()
    _store(
        author.site_id,
        kind,
        statement,
        now,
        comment_id=comment.id if comment is not None else None,
        author_id=author.id,
    )
    return statement


def comment_statement(comment: Comment) -> dict[str, Any] | None:
    """The statement of the comment's current restriction, if it is restricted (a rejected
    comment back in the queue for its appeal is still under its removal's statement)."""
    kind = {
        CommentStatus.REJECTED: Kind.CONTENT_REMOVED,
        CommentStatus.HELD: Kind.CONTENT_DISABLED,
    }.get(comment.status)
    if comment.status == CommentStatus.HELD and comment.appeal_state == "pending":
        kind = Kind.CONTENT_REMOVED
    if kind is None or comment.id is None:
        return None
    statement: dict[str, Any] | None = db.session.execute(
        sa.select(DsaStatement.statement)
        .where(DsaStatement.comment_id == comment.id, DsaStatement.kind == kind.value)
        .order_by(DsaStatement.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return statement


# --- submitting ---------------------------------------------------------------------------


class SubmissionError(RuntimeError):
    """Submission is not configured, or the configured URL is not acceptable."""


@dataclass
class SubmitReport:
    """What a submission run did. ``refused``: puid -> the database's reason (a 4xx)."""

    sent: int = 0
    batches: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    failed: int = 0
    error: str | None = None

    def summary(self) -> str:
        line = f"{self.sent} statement(s) submitted in {self.batches} batch(es)"
        if self.refused:
            line += f", {len(self.refused)} refused"
        if self.failed:
            line += f", {self.failed} not sent ({self.error})"
        return line


def unsent(
    site: Site, *, since: datetime | None = None, limit: int | None = None
) -> list[DsaStatement]:
    """The site's statements not yet accepted by the database, oldest first."""
    query = (
        sa.select(DsaStatement)
        .where(DsaStatement.site_id == site.id, DsaStatement.submitted_at.is_(None))
        .order_by(DsaStatement.id)
    )
    if since is not None:
        query = query.where(DsaStatement.created_at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def dry_run(site: Site, *, since: datetime | None = None) -> list[dict[str, Any]]:
    """The bodies a submission would send now (``{"statements": [...]}`` per batch)."""
    rows = unsent(site, since=since)
    db.session.rollback()
    return [
        {"statements": [r.statement for r in rows[i : i + vocabulary.BATCH_MAX]]}
        for i in range(0, len(rows), vocabulary.BATCH_MAX)
    ]


def check_api_url(url: str) -> str:
    """https, or http to this machine (a local test double); raises SubmissionError."""
    parts = urlsplit(url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise SubmissionError("the Transparency Database URL must be https")
    return url


@dataclass(frozen=True)
class SubmitConfig:
    url: str
    token: str
    timeout_seconds: float = 30.0
    retries: int = 4
    backoff_seconds: float = 2.0
    batch_size: int = vocabulary.BATCH_MAX


def submit(
    site: Site,
    config: SubmitConfig,
    *,
    since: datetime | None = None,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> SubmitReport:
    """Send the site's unsent statements; see the module docstring. Never logs the token."""
    url = check_api_url(config.url)
    size = max(1, min(config.batch_size, vocabulary.BATCH_MAX))
    headers = {
        "Authorization": f"Bearer {config.token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": "moderation-dsa/1",
    }
    report = SubmitReport()
    tried: set[int] = set()
    with httpx.Client(timeout=config.timeout_seconds, follow_redirects=False) as client:
        while True:
            rows = [r for r in unsent(site, since=since) if r.id not in tried][:size]
            if not rows:
                break
            tried.update(r.id for r in rows)
            ids = [r.id for r in rows]
            body = json.dumps({"statements": [r.statement for r in rows]}, ensure_ascii=False)
            puids = [r.puid for r in rows]
            db.session.rollback()  # no transaction stays open during the HTTP call
            status, answer, error = _post(client, url, body, headers, config, sleep)
            report.batches += 1
            if status is not None and 200 <= status < 300:
                _mark(ids, now(), error=None, submitted=True)
                report.sent += len(ids)
                continue
            if status is not None and 400 <= status < 500:
                per = _per_statement_errors(answer, len(ids))
                for index, (row_id, puid) in enumerate(zip(ids, puids, strict=True)):
                    problem = per.get(index)
                    if problem is not None and _only_duplicate_puid(problem):
                        _mark([row_id], now(), error=None, submitted=True)  # already there
                        report.sent += 1
                    elif problem is not None or not per:
                        reason = (
                            _describe(problem) if problem else f"HTTP {status}: {_text(answer)}"
                        )
                        _mark([row_id], now(), error=f"refused: {reason}", submitted=False)
                        report.refused[puid] = reason
                    else:
                        tried.discard(row_id)  # refused only with the others: send it again
                continue
            _mark(ids, now(), error=error, submitted=False)
            report.failed += len(ids)
            report.error = error
            break  # the database is unavailable: the rest waits for the next run
    log.info(
        "dsa statements submitted",
        extra={
            "site": site.name,
            "sent": report.sent,
            "refused": len(report.refused),
            "failed": report.failed,
        },
    )
    return report


def config_from(settings: Settings) -> SubmitConfig:
    """The submission settings; raises :class:`SubmissionError` when URL or token is unset
    (the token is needed only to submit, so a missing one stops nothing else)."""
    if not settings.dsa_submission_configured:
        raise SubmissionError(
            "submission is not configured: set MODERATION_DSA_API_URL and MODERATION_DSA_API_TOKEN"
        )
    assert settings.dsa_api_url is not None
    assert settings.dsa_api_token is not None
    return SubmitConfig(
        url=check_api_url(settings.dsa_api_url),
        token=settings.dsa_api_token.get_secret_value(),
        timeout_seconds=settings.dsa_submit_timeout_seconds,
        retries=settings.dsa_submit_retries,
        backoff_seconds=settings.dsa_submit_backoff_seconds,
    )


def submit_site(
    name: str,
    settings: Settings,
    *,
    since: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SubmitReport:
    """:func:`submit` for the site called ``name`` with the configured endpoint and token.

    Raises :class:`SubmissionError` (not configured) or ``sites.SiteError`` (no such site).
    """
    config = config_from(settings)
    site = require_site(name)
    return submit(site, config, since=since, now=utcnow, sleep=sleep)


def sites_with_unsent() -> list[str]:
    """Names of the sites with statements not yet submitted."""
    names = db.session.execute(
        sa.select(Site.name)
        .join(DsaStatement, DsaStatement.site_id == Site.id)
        .where(DsaStatement.submitted_at.is_(None))
        .distinct()
        .order_by(Site.name)
    ).scalars()
    found = list(names)
    db.session.rollback()
    return found


def _post(
    client: httpx.Client,
    url: str,
    body: str,
    headers: dict[str, str],
    config: SubmitConfig,
    sleep: Callable[[float], None],
) -> tuple[int | None, Any, str]:
    """POST one batch, retrying 5xx and timeouts: (status or None, parsed answer, error)."""
    error = ""
    for attempt in range(config.retries + 1):
        if attempt:
            sleep(config.backoff_seconds * 2 ** (attempt - 1))
        try:
            response = client.post(url, content=body.encode(), headers=headers)
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}"
            continue
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:500]
        if response.status_code >= 500:
            error = f"HTTP {response.status_code}"
            continue
        return (
            response.status_code,
            answer,
            "" if response.is_success else f"HTTP {response.status_code}",
        )
    return None, None, f"gave up after {config.retries + 1} attempt(s): {error}"


def _per_statement_errors(answer: Any, count: int) -> dict[int, Any]:
    """``{"errors": {"statement_3": {...}}}`` -> {3: {...}}."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    out: dict[int, Any] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, str) and key.startswith("statement_"):
                index = key.removeprefix("statement_")
                if index.isdigit() and int(index) < count:
                    out[int(index)] = value
    return out


def _only_duplicate_puid(problem: Any) -> bool:
    return (
        isinstance(problem, dict)
        and set(problem) == {"puid"}
        and "unique" in json.dumps(problem["puid"]).lower()
    )


def _describe(problem: Any) -> str:
    if isinstance(problem, dict):
        parts = []
        for name, messages in problem.items():
            text = "; ".join(messages) if isinstance(messages, list) else str(messages)
            parts.append(f"{name}: {text}")
        return " | ".join(parts)[:900]
    return str(problem)[:900]


def _text(answer: Any) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("message"), str):
        return str(answer["message"])[:500]
    return str(answer)[:500]


def _mark(ids: list[int], moment: datetime, *, error: str | None, submitted: bool) -> None:
    values: dict[str, Any] = {"attempts": DsaStatement.attempts + 1, "last_error": error}
    if submitted:
        values["submitted_at"] = moment
    db.session.execute(sa.update(DsaStatement).where(DsaStatement.id.in_(ids)).values(**values))
    db.session.commit()


__all__ = [
    "LegalGround",
    "SubmissionError",
    "SubmitConfig",
    "SubmitReport",
    "comment_statement",
    "config_from",
    "dry_run",
    "for_comment",
    "for_sanction",
    "note_notice",
    "sites_with_unsent",
    "submit",
    "submit_site",
    "unsent",
]
