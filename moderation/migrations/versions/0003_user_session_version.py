"""user session version: sign-out and password changes end every session of a user

Revision ID: 0003_user_session_version
Revises: 0002_comment_version
Create Date: 2026-12-04 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_user_session_version'
down_revision = '0002_comment_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_version')
