"""Migration 0006 (comment revisions): up from its parent with a stored comment, down, and up
again, on a database of its own (SQLite; PostgreSQL too when ``TEST_DATABASE_URL`` is set
for the session database, which this test does not touch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from moderation.extensions import db

REVISION = "0006_comment_revisions"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Flask]:
    from moderation.app import create_app

    url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    app = create_app({"database_url": url, "instance_path": str(tmp_path / "instance")})
    yield app
    with app.app_context():
        db.engine.dispose()


def _parent(app: Flask) -> str:
    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    script = ScriptDirectory.from_config(config).get_revision(REVISION)
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_upgrade_keeps_comments_as_revision_1_and_downgrade_removes_the_table(
    fresh: Flask,
) -> None:
    directory = fresh.extensions["migrate"].directory
    with fresh.app_context():
        upgrade(directory=directory, revision=_parent(fresh))
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO sites (id, name, created_at, signature_min_version) "
                "VALUES (1, 'news', '2026-11-01 12:00:00', 1)"
            )
            conn.exec_driver_sql(
                "INSERT INTO authors (id, site_id, external_id, status, status_by_moderator, "
                "comments_count, published_count, held_count, rejected_count, first_seen_at, "
                "last_seen_at) VALUES (1, 1, 'u1', 'active', 0, 1, 1, 0, 0, "
                "'2026-11-01 12:00:00', '2026-11-01 12:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO comments (id, site_id, external_id, author_id, article_id, text, "
                "received_at, status, reasons, scores, model_scores, matches, explanations, "
                "versions, risk, score_attempts, version) VALUES (1, 1, 'c1', 1, 'a1', 'hi', "
                "'2026-11-01 12:00:00', 'published', '[]', '{}', '{}', '[]', '[]', '{}', 0, 1, 0)"
            )
        assert "comment_revisions" not in sa.inspect(db.engine).get_table_names()

        upgrade(directory=directory, revision=REVISION)
        assert {"revision", "edited_at"} <= _columns("comments")
        assert "changes" in _columns("comment_revisions")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT revision FROM comments").scalar_one() == 1
            conn.exec_driver_sql(
                "INSERT INTO comment_revisions (comment_id, revision, text, changes, "
                "received_at, status, reasons, scores) VALUES "
                "(1, 1, 'hi', '{}', '2026-11-01 12:00:00', 'published', '[]', '{}')"
            )
            with pytest.raises(sa.exc.IntegrityError):  # one row per (comment, revision)
                conn.exec_driver_sql(
                    "INSERT INTO comment_revisions (comment_id, revision, text, changes, "
                    "received_at, status, reasons, scores) VALUES "
                    "(1, 1, 'again', '{}', '2026-11-01 12:00:00', 'pending', '[]', '{}')"
                )
            conn.rollback()

        downgrade(directory=directory, revision=_parent(fresh))
        assert "comment_revisions" not in sa.inspect(db.engine).get_table_names()
        assert not {"revision", "edited_at"} & _columns("comments")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT text FROM comments").scalar_one() == "hi"

        upgrade(directory=directory, revision=REVISION)
        assert "comment_revisions" in sa.inspect(db.engine).get_table_names()


def test_the_migrated_schema_matches_the_tables(fresh: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with fresh.app_context():
        upgrade(directory=fresh.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diffs == []  # the revisions table and columns as declared in tables.py
