"""sites.signature_min_version: the oldest request-signature scheme a site may use

Revision ID: 0005_site_signature_version
Revises: 0004_site_labels
Create Date: 2026-12-04 14:45:00

Existing sites keep accepting v1 signatures (1); set 2 to accept only v2.
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_site_signature_version'
down_revision = "0004_site_labels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'signature_min_version',
                sa.SmallInteger(),
                server_default=sa.text('1'),
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('signature_min_version')
