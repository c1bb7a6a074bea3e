"""Storing an incoming comment: idempotent per (site, comment_id), one transaction."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from moderation.extensions import db
from moderation.policy.decide import AuthorContext, AuthorStatus, Outcome, Reason
from moderation.sanctions import for_status
from moderation.schemas import AuthorIn, CommentIn
from moderation.services.decision_record import POLICY_ACTOR, record_decision
from moderation.services.sites import SiteLike
from moderation.tables import Author, Comment, CommentStatus


class StoredComment(NamedTuple):
    """What intake needs to answer: the row id, its status, and whether this call stored it."""

    id: int
    status: str
    created: bool


class AuthorStanding(NamedTuple):
    """An author's row id and sanction status, as the intake reads them."""

    id: int
    status: str
    status_until: datetime | None


def find_comment(site: SiteLike, external_id: str) -> Comment | None:
    return db.session.execute(
        sa.select(Comment).where(Comment.site_id == site.id, Comment.external_id == external_id)
    ).scalar_one_or_none()


def load_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:  # pragma: no cover - callers pass ids they just read or stored
        raise LookupError(f"comment {comment_id} not found")
    return comment


def _insert(dialect: str, table: sa.Table) -> Any:
    """An INSERT that supports ``ON CONFLICT`` on ``dialect``.

    On the Core table, not the ORM entity: an ORM-enabled insert goes through the ORM's bulk
    persistence layer, which costs more than the statement itself on this path.
    """
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database: {dialect}")  # pragma: no cover


def _dialect() -> str:
    return str(db.session.get_bind().dialect.name)


# The intake's statements are built once per dialect with bound parameters, then executed
# with each request's values: building an upsert costs more than running it.


def _new_author_row() -> dict[str, Any]:
    """A new author's row: the parameters ``site_id``, ``external_id``, ``name`` and ``now``,
    the rest constants (bound once, written as literals by :func:`_store_driver_statement`)."""
    authors = Author.__table__
    return {
        "site_id": sa.bindparam("site_id", type_=authors.c.site_id.type),
        "external_id": sa.bindparam("external_id", type_=authors.c.external_id.type),
        "name": sa.bindparam("name", type_=authors.c.name.type),
        "status": sa.literal(AuthorStatus.ACTIVE.value, authors.c.status.type),
        "status_by_moderator": sa.literal(False, authors.c.status_by_moderator.type),
        "comments_count": sa.literal(1, authors.c.comments_count.type),
        "published_count": sa.literal(0, authors.c.published_count.type),
        "held_count": sa.literal(0, authors.c.held_count.type),
        "rejected_count": sa.literal(0, authors.c.rejected_count.type),
        "first_seen_at": sa.bindparam("now", type_=authors.c.first_seen_at.type),
        "last_seen_at": sa.bindparam("now", type_=authors.c.last_seen_at.type),
    }


def _touch_author(insert: Any, counted: Any) -> Any:
    """``insert`` (of :func:`_new_author_row`) as an upsert: an existing author's name (when
    given) and last visit are updated and ``counted`` added to its comments."""
    authors = Author.__table__
    return insert.on_conflict_do_update(
        index_elements=[authors.c.site_id, authors.c.external_id],
        set_={
            "last_seen_at": insert.excluded.last_seen_at,
            "name": sa.func.coalesce(insert.excluded.name, authors.c.name),
            "comments_count": authors.c.comments_count + counted,
        },
    ).returning(authors.c.id, authors.c.status, authors.c.status_until)


@functools.cache
def _author_upsert(dialect: str) -> Any:
    return _touch_author(_insert(dialect, Author.__table__).values(_new_author_row()), 1)


_COMMENT_FIELDS = (
    "site_id",
    "external_id",
    "author_id",
    "article_id",
    "article_url",
    "article_title",
    "parent_id",
    "text",
    "posted_at",
    "received_at",
    "status",
)
_REFUSAL_FIELDS = (
    "decision",
    "auto_decision",
    "reasons",
    "decided_at",
    "decided_by",
    "policy_version",
)


@functools.cache
def _comment_insert(dialect: str, refused: bool) -> Any:
    fields = _COMMENT_FIELDS + (_REFUSAL_FIELDS if refused else ())
    comments = Comment.__table__
    return (
        _insert(dialect, comments)
        .values({name: sa.bindparam(name) for name in fields})
        .on_conflict_do_nothing(index_elements=[comments.c.site_id, comments.c.external_id])
        .returning(comments.c.id)
    )


def upsert_author(site_id: int, author_in: AuthorIn, now: datetime) -> AuthorStanding:
    """Create or touch the author and count the new comment, in one statement.

    Returns only the author's id and standing: intake needs no more, and a Core ``RETURNING``
    of three columns costs a fraction of loading the ORM object.
    """
    row = (
        db.session.connection()
        .execute(
            _author_upsert(_dialect()),
            {"site_id": site_id, "external_id": author_in.id, "name": author_in.name, "now": now},
        )
        .one()
    )
    return AuthorStanding(row.id, row.status, row.status_until)


#: Author statuses under which a new comment is stored ``pending`` whatever the sanction's
#: end: no sanction, or one that does not refuse at posting (an expired suspension only
#: relaxes a status, see ``AuthorContext.effective_status``). The single-statement intake
#: stores a comment only for these; any other status takes :func:`_store_in_steps`.
_OPEN_STATUSES = tuple(
    s.value
    for s in AuthorStatus
    if (sanction := for_status(s.value)) is None or sanction.posting != "reject"
)


@functools.cache
def _comment_defaults() -> dict[str, Any]:
    """The Python-side defaults of the comment columns intake does not set (empty JSON
    documents, zero counters, revision 1), as the ORM and a Core insert would apply them."""
    defaults: dict[str, Any] = {}
    for column in Comment.__table__.columns:
        default = column.default
        if column.name in _COMMENT_FIELDS or default is None:
            continue
        if default.is_scalar:
            defaults[column.name] = default.arg
        elif default.is_callable:
            defaults[column.name] = default.arg(None)
        else:  # pragma: no cover - a SQL-expression default would need rendering instead
            raise RuntimeError(f"comments.{column.name}: unsupported default {default!r}")
    return defaults


@functools.cache
def _store_statement() -> Any:
    """PostgreSQL: the author upsert and the comment insert in one statement (one round trip),
    which writes nothing at all for a repeat, so that it can run in autocommit.

    ``author`` upserts the author as :func:`_author_upsert` does, except that it does nothing
    when the comment is stored already, and counts the comment only for an author whose
    status is in :data:`_OPEN_STATUSES`; ``comment`` inserts the comment ``pending`` (``ON
    CONFLICT DO NOTHING``) only for such an author. Its row: the new comment's id (NULL when
    nothing was inserted: a repeat, or an author whose status may refuse the comment), and
    the author's id and status when the author was upserted (NULL for a repeat stored before
    the statement began; a copy inserted concurrently is found only by the comment's unique
    key, after the author was counted: :func:`_store_at_once` takes that back), and when the
    stored repeat was received.
    """
    comments = Comment.__table__
    authors = Author.__table__
    for status in _OPEN_STATUSES:  # rendered as literals: the set is fixed
        if not status.isidentifier():  # pragma: no cover - statuses are plain words
            raise RuntimeError(f"unexpected author status {status!r}")
    open_statuses: list[Any] = [sa.literal_column(f"'{status}'") for status in _OPEN_STATUSES]
    this_comment = (
        comments.c.site_id == sa.bindparam("site_id", type_=comments.c.site_id.type),
        comments.c.external_id
        == sa.bindparam("comment_external_id", type_=comments.c.external_id.type),
    )
    row = _new_author_row()
    author = _touch_author(
        postgresql.insert(authors).from_select(
            list(row),
            sa.select(*row.values()).where(~sa.exists().where(*this_comment)),
            include_defaults=False,
        ),
        sa.case((authors.c.status.in_(open_statuses), 1), else_=0),
    ).cte("author")
    # The upsert's own parameters are the author's (``external_id``, ``name``, ``now``); the
    # site's id is the same for both.
    params = {"external_id": "comment_external_id"}
    columns: dict[str, Any] = {
        name: sa.bindparam(params.get(name, name), type_=comments.c[name].type)
        for name in _COMMENT_FIELDS
        if name != "author_id"
    }
    columns["author_id"] = author.c.id
    # An INSERT inside a CTE gets no Python-side column defaults: they are bound explicitly
    # (values: :func:`_comment_defaults`).
    for name in _comment_defaults():
        columns[name] = sa.bindparam(name, type_=comments.c[name].type)
    names = list(columns)
    insert = (
        postgresql.insert(comments)
        .from_select(
            names,
            sa.select(*(columns[n] for n in names)).where(author.c.status.in_(open_statuses)),
            include_defaults=False,
        )
        .on_conflict_do_nothing(index_elements=[comments.c.site_id, comments.c.external_id])
        .returning(comments.c.id)
        .cte("comment")
    )
    # The author's CTE runs whether or not the query reads it (PostgreSQL runs every
    # data-modifying WITH statement to completion).
    stored_at = sa.select(comments.c.received_at).where(*this_comment)
    return sa.select(
        sa.select(insert.c.id).scalar_subquery().label("comment_id"),
        sa.select(author.c.id).scalar_subquery().label("author_id"),
        sa.select(author.c.status).scalar_subquery().label("author_status"),
        stored_at.scalar_subquery().label("stored_at"),
    )


def store_comment(
    site: SiteLike,
    payload: CommentIn,
    now: datetime,
    *,
    policy_version: str,
    admit: Callable[[], None] | None = None,
    release: Callable[[], None] | None = None,
) -> StoredComment:
    """Store ``payload`` and commit.

    A repeat of a stored (site, comment_id) returns the stored comment untouched with
    ``created=False``, also when two requests race (the unique key decides). ``admit`` (the
    rate limit) counts the request that stores the comment: when it raises, nothing is
    stored and the exception propagates, unless the request is a repeat, which is returned
    as above (a concurrent duplicate waits on the unique key and then either finds the
    committed comment or stores it itself). ``release`` takes the count back from a request
    that turns out to repeat a comment stored earlier. A comment by a blocked or suspended
    author is stored already rejected; every other new comment is ``pending``.

    On PostgreSQL the common case is ``admit``, then one statement in autocommit
    (:func:`_store_statement`), on a connection of its own rather than the ORM session,
    whose unit of work this path does not need. Every other case (a repeat, an author whose
    status may refuse the comment, a refusal) takes the statement-by-statement path (author
    upsert, comment insert, ``admit``, commit), as on any other database.
    """
    if db.engine.dialect.name == "postgresql":  # not the session's bind: it builds a session
        refusal: Exception | None = None
        if admit is not None:
            try:
                admit()
            except Exception as exc:
                refusal = exc
        if refusal is None:
            stored = _store_at_once(site, payload, now, release if admit is not None else None)
            if stored is not None:
                return stored
        else:
            # Refused, unless this is a repeat: the other path tells them apart by the unique
            # key (waiting for a concurrent duplicate's insert) and refuses a new comment
            # with the same exception, counting nothing again.
            admit = _refuse_with(refusal)
    return _store_in_steps(site, payload, now, policy_version=policy_version, admit=admit)


def _refuse_with(refusal: Exception) -> Callable[[], None]:
    def refuse() -> None:
        raise refusal

    return refuse


class _DriverStatement(NamedTuple):
    """A statement compiled once for the driver: its SQL, with the values that never change
    written in as literals, and the bind processor of each remaining parameter (what
    SQLAlchemy would apply on every execution)."""

    sql: str
    processors: dict[str, Callable[[Any], Any]]

    def parameters(self, values: dict[str, Any]) -> dict[str, Any]:
        params = dict(values)
        for name, process in self.processors.items():
            params[name] = process(params[name])
        return params


def _sql_literal(value: object) -> str:
    """``value`` (a processed constant of :func:`_store_statement`) as a PostgreSQL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str) and "\\" not in value and "%" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal for {value!r}")  # pragma: no cover - constants are plain


@functools.cache
def _store_driver_statement(dialect: Any) -> _DriverStatement:
    """:func:`_store_statement` compiled for ``dialect``, executed on the driver's cursor
    (:func:`_autocommit_cursor`): through ``execute``, its compiled form would be looked up,
    and its parameters and result processed, on every call, which costs more than the
    statement itself. The values that are the same for every comment (the author upsert's
    own, the comment's defaults and ``pending`` status) are literals in the SQL: the driver
    then adapts a dozen parameters per comment instead of thirty."""
    compiled = _store_statement().compile(dialect=dialect)
    sql = compiled.string
    fixed: dict[str, Any] = {"status": CommentStatus.PENDING, **_comment_defaults()}
    processors = {}
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if not bind.required and bind.callable is None:
            fixed[name] = bind.value
        if name in fixed:
            value = fixed[name]
            if isinstance(value, list | dict):  # a JSON document: its text (the SQL casts it)
                value = json.dumps(value)
            elif process is not None:
                value = process(value)
            placeholder = f"%({name})s"
            if placeholder not in sql:  # pragma: no cover - the compiler's own rendering
                raise RuntimeError(f"{placeholder} not in the compiled intake statement")
            sql = sql.replace(placeholder, _sql_literal(value))
        elif process is not None:
            processors[name] = process
    return _DriverStatement(sql, processors)


def _store_at_once(
    site: SiteLike, payload: CommentIn, now: datetime, release: Callable[[], None] | None
) -> StoredComment | None:
    """The common case on PostgreSQL, once admitted: a new comment by an author who may
    post, stored in one statement that is its own transaction (one round trip, where BEGIN,
    the statement and COMMIT took three). None, with nothing written, for every other case
    (a repeat, an author whose status may refuse the comment), which :func:`_store_in_steps`
    then handles.

    ``release`` takes back the request's admission when it stored nothing after all: on an
    error, and for a repeat of a comment received before :data:`COPY_WINDOW`. A copy of the
    comment stored concurrently keeps it (its count may be the one that admitted the copy),
    and so does the comment of an author whose status may refuse it (the other path stores
    it; the limiter counts it no further)."""
    try:
        row = _insert_at_once(site, payload, now)
    except BaseException:
        if release is not None:
            release()
        raise
    if row.comment_id is not None:
        return StoredComment(row.comment_id, CommentStatus.PENDING, created=True)
    if row.author_id is not None and row.author_status in _OPEN_STATUSES:
        # A copy committed after the statement began: the author was counted for it.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                sa.update(Author)
                .where(Author.id == row.author_id)
                .values(comments_count=Author.comments_count - 1)
            )
    elif row.stored_at is not None and row.stored_at < now - COPY_WINDOW and release:
        release()
    return None


#: Copies of one comment posted at once (a site's retries) are received within this time of
#: each other; a repeat received later is of a comment stored earlier.
COPY_WINDOW = timedelta(seconds=5)


class _AtOnce(NamedTuple):
    """The row of :func:`_store_statement`."""

    comment_id: int | None
    author_id: int | None
    author_status: str | None
    stored_at: datetime | None


def _insert_at_once(site: SiteLike, payload: CommentIn, now: datetime) -> _AtOnce:
    """:func:`_store_statement` in autocommit."""
    article = payload.article
    engine = db.engine
    statement = _store_driver_statement(engine.dialect)
    with _autocommit_cursor(engine) as cursor:
        cursor.execute(
            statement.sql,
            statement.parameters(
                {
                    "site_id": site.id,
                    "external_id": payload.author.id,
                    "name": payload.author.name,
                    "now": now,
                    "comment_external_id": payload.comment_id,
                    "article_id": article.id,
                    "article_url": article.url,
                    "article_title": article.title,
                    "parent_id": payload.parent_id,
                    "text": payload.text,
                    "posted_at": payload.posted_at,
                    "received_at": now,
                }
            ),
        )
        row = cursor.fetchone()
    return _AtOnce(*row)


@contextlib.contextmanager
def _autocommit_cursor(engine: sa.Engine) -> Iterator[Any]:
    """A driver cursor on one of the pool's connections, in autocommit, for one statement.

    What ``engine.connect().execution_options(isolation_level="AUTOCOMMIT")`` gives, without
    the Connection's set-up, isolation-level bookkeeping and result wrapper, which cost the
    intake more CPU than the statement itself (``python bench/intake_cpu.py``: 0.81 ms per
    request before, 0.69 after). Driver errors, connecting included, are raised as
    SQLAlchemy's, as a Connection raises them (PostgreSQL down: OperationalError, answered
    503). After any error the connection is closed rather than lent again in autocommit, and
    after a lost server every connection of the pool, as a Connection does."""
    dialect = engine.dialect
    pooled: Any = None
    try:
        pooled = engine.raw_connection()
        driver = pooled.driver_connection
        driver.autocommit = True
        with driver.cursor() as cursor:
            yield cursor
        driver.autocommit = False  # as the pool lends it to everyone else
    except BaseException as exc:
        if not isinstance(exc, dialect.loaded_dbapi.Error):
            if pooled is not None:
                pooled.invalidate(exc if isinstance(exc, Exception) else None)
            raise
        if pooled is not None:
            if dialect.is_disconnect(exc, pooled.dbapi_connection, None):
                # The server is gone (restarted, failed over): as a Connection does, every
                # connection the pool holds is given up with this one, so that each of them
                # does not fail a request of its own once the server is back.
                engine.pool._invalidate(pooled, exc)
            else:
                pooled.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            None,
            None,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=pooled is not None,
            dialect=dialect,
        ) from exc
    finally:
        if pooled is not None:
            pooled.close()


def _store_in_steps(
    site: SiteLike,
    payload: CommentIn,
    now: datetime,
    *,
    policy_version: str,
    admit: Callable[[], None] | None = None,
) -> StoredComment:
    """:func:`store_comment` statement by statement in the ORM session: any database, any
    author, a repeat."""
    author = upsert_author(site.id, payload.author, now)
    refusal: Reason | None = None
    standing = AuthorContext(status=AuthorStatus(author.status), status_until=author.status_until)
    sanction = for_status(standing.effective_status(now))  # the sanctions registry
    if sanction is not None and sanction.posting == "reject":
        until = author.status_until if sanction.timed else None
        refusal = Reason(sanction.reason, Outcome.REJECT, until=until)
    values: dict[str, Any] = {
        "site_id": site.id,
        "external_id": payload.comment_id,
        "author_id": author.id,
        "article_id": payload.article.id,
        "article_url": payload.article.url,
        "article_title": payload.article.title,
        "parent_id": payload.parent_id,
        "text": payload.text,
        "posted_at": payload.posted_at,
        "received_at": now,
        "status": CommentStatus.PENDING,
    }
    if refusal is not None:
        values.update(
            status=CommentStatus.REJECTED,
            decision=Outcome.REJECT.value,
            auto_decision=Outcome.REJECT.value,
            reasons=[refusal.to_dict()],
            decided_at=now,
            decided_by=POLICY_ACTOR,
            policy_version=policy_version,
        )
    stmt = _comment_insert(_dialect(), refused=refusal is not None)
    comment_id: int | None = db.session.connection().execute(stmt, values).scalar_one_or_none()
    if comment_id is None:
        # Another request stored the same comment first: undo our author update, use theirs.
        db.session.rollback()
        stored = find_comment(site, payload.comment_id)
        if stored is None:  # pragma: no cover - the conflicting row must exist
            raise RuntimeError("comment conflict without a stored comment")
        return StoredComment(stored.id, stored.status, created=False)
    if admit is not None:
        try:
            admit()
        except BaseException:
            db.session.rollback()
            raise
    if refusal is not None:
        db.session.execute(
            sa.update(Author)
            .where(Author.id == author.id)
            .values(rejected_count=Author.rejected_count + 1)
        )
        record_decision(load_comment(comment_id), POLICY_ACTOR, now)
    db.session.commit()
    return StoredComment(comment_id, str(values["status"]), created=True)


def pending_comment_ids(older_than: timedelta, now: datetime, limit: int = 1000) -> list[int]:
    """Comments still ``pending`` (undecided) after ``older_than``, oldest first."""
    ids = (
        db.session.execute(
            sa.select(Comment.id)
            .where(Comment.status == CommentStatus.PENDING, Comment.received_at < now - older_than)
            .order_by(Comment.received_at)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    db.session.rollback()
    return list(ids)
