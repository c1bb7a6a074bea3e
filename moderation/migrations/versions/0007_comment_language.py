"""comments.language and comments.language_confidence: the detected language of a comment

Revision ID: 0007_comment_language
Revises: 0006_comment_revisions
Create Date: 2026-12-04 21:30:00

ISO 639-1 code ("en", "ru", "hy"; "und" for text without letters) and the detector's
confidence in [0, 1]; NULL for comments decided before detection existed. Indexed: the
dashboard filters the queue and the comment list by language.
"""
from alembic import op
import sqlalchemy as sa

revision = '0007_comment_language'
down_revision = "0006_comment_revisions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('language_confidence', sa.Float(), nullable=True))
        batch_op.create_index('ix_comments_language', ['language'], unique=False)


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_language')
        batch_op.drop_column('language_confidence')
        batch_op.drop_column('language')
