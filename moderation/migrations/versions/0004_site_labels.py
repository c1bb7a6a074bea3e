"""site labels: moderators' judgements as training examples per site

Revision ID: 0004_site_labels
Revises: 0003_user_session_version
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_site_labels"
down_revision = "0003_user_session_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("comment_ref", sa.String(length=255), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("violation", sa.Boolean(), nullable=False),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "moderator_decision",
                "appeal",
                "suggestscore",
                "import",
                name="label_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"],
            name=op.f("fk_site_labels_author_id_authors"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"],
            name=op.f("fk_site_labels_comment_id_comments"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_labels_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_labels")),
        sa.UniqueConstraint("site_id", "comment_ref", name=op.f("uq_site_labels_site_id_comment_ref")),
    )
    with op.batch_alter_table("site_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_labels_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_labels_comment_id"), ["comment_id"], unique=False)
        batch_op.create_index(
            "ix_site_labels_site_id_decided_at", ["site_id", "decided_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("site_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_site_labels_site_id_decided_at")
        batch_op.drop_index(batch_op.f("ix_site_labels_comment_id"))
        batch_op.drop_index(batch_op.f("ix_site_labels_author_id"))
    op.drop_table("site_labels")
