"""comment revisions: an edited comment's earlier texts and their decisions

Revision ID: 0006_comment_revisions
Revises: 0005_site_signature_version

``comments.revision`` numbers the current text (1: as first posted; existing comments are
revision 1), ``comments.edited_at`` is the site's time of that edit. ``comment_revisions``
holds one row per (comment, revision), unique, deleted with its comment.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_comment_revisions"
down_revision = "0005_site_signature_version"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "comment_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            _enum(("pending", "published", "held", "rejected"), "revision_status"),
            nullable=False,
        ),
        sa.Column(
            "decision", _enum(("publish", "hold", "reject"), "revision_decision"), nullable=True
        ),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("scores", JSON, nullable=False),
        sa.Column("policy_version", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_revisions_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_revisions")),
        sa.UniqueConstraint(
            "comment_id", "revision", name=op.f("uq_comment_revisions_comment_id_revision")
        ),
    )
    with op.batch_alter_table("comment_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_revisions_comment_id"), ["comment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("comment_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_revisions_comment_id"))
    op.drop_table("comment_revisions")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("edited_at")
        batch_op.drop_column("revision")
