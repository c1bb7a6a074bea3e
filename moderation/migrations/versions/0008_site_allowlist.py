"""site allow-list: names a site allows although they hold a listed word

Revision ID: 0008_site_allowlist
Revises: 0007_comment_language

``site_allowlist`` holds the entries; ``sites.allowlist_version`` is bumped by every change so
that workers notice without a restart.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_site_allowlist"
down_revision = "0007_comment_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_allowlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_allowlist_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_allowlist")),
        sa.UniqueConstraint("site_id", "key", name=op.f("uq_site_allowlist_site_id_key")),
    )
    with op.batch_alter_table("site_allowlist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_allowlist_site_id"), ["site_id"], unique=False)
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allowlist_version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("allowlist_version")
    with op.batch_alter_table("site_allowlist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_allowlist_site_id"))
    op.drop_table("site_allowlist")
