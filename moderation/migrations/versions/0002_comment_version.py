"""comment version: the compare-and-set guard for moderator actions and appeals

Revision ID: 0002_comment_version
Revises: 0001
Create Date: 2026-12-04 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_comment_version'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments') as batch_op:
        batch_op.add_column(
            sa.Column('version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('comments') as batch_op:
        batch_op.drop_column('version')
