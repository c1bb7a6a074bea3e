"""dsa_statements: statements of reasons (DSA Art. 17) and their Transparency Database submission

Revision ID: 0009_dsa_statements
Revises: 0008_site_allowlist
Create Date: 2026-12-04 21:45:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009_dsa_statements'
down_revision = "0008_site_allowlist"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dsa_statements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('puid', sa.String(length=500), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column(
            'statement',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=False,
        ),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_error', sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ['site_id'], ['sites.id'], name=op.f('fk_dsa_statements_site_id_sites'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['comment_id'],
            ['comments.id'],
            name=op.f('fk_dsa_statements_comment_id_comments'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['author_id'],
            ['authors.id'],
            name=op.f('fk_dsa_statements_author_id_authors'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dsa_statements')),
        sa.UniqueConstraint('puid', name=op.f('uq_dsa_statements_puid')),
    )
    with op.batch_alter_table('dsa_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dsa_statements_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dsa_statements_author_id'), ['author_id'], unique=False)
        batch_op.create_index(
            'ix_dsa_statements_site_id_submitted_at', ['site_id', 'submitted_at'], unique=False
        )


def downgrade():
    op.drop_table('dsa_statements')
