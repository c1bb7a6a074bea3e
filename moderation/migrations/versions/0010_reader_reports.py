"""comment_reports and complaints: reader reports (DSA Art. 16) and complaints (Art. 20)

Revision ID: 0010_reader_reports
Revises: 0009_dsa_statements
Create Date: 2026-12-04 21:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0010_reader_reports'
down_revision = "0009_dsa_statements"
branch_labels = None
depends_on = None


def _utc():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'comment_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('law', sa.String(length=500), nullable=True),
        sa.Column('explanation', sa.String(length=4000), nullable=True),
        sa.Column('good_faith', sa.Boolean(), nullable=False),
        sa.Column('note', sa.String(length=2000), nullable=True),
        sa.Column('reporter_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column(
            'state',
            sa.Enum('open', 'resolved', name='report_state', native_enum=False,
                    create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column('grouped', sa.Boolean(), nullable=False),
        sa.Column('resolved_at', _utc(), nullable=True),
        sa.Column('resolved_by', sa.String(length=100), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('action', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_comment_reports_comment_id_state', 'comment_reports',
                    ['comment_id', 'state'])
    op.create_index('ix_comment_reports_site_id_created_at', 'comment_reports',
                    ['site_id', 'created_at'])
    op.create_index('ix_comment_reports_reporter_hash', 'comment_reports', ['reporter_hash'])
    op.create_table(
        'complaints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column(
            'subject',
            sa.Enum('decision', 'sanction', name='complaint_subject', native_enum=False,
                    create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column('message', sa.String(length=2000), nullable=False),
        sa.Column('received_at', _utc(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('decided_at', _utc(), nullable=False),
        sa.Column('decided_by', sa.String(length=100), nullable=False),
        sa.Column(
            'state',
            sa.Enum('pending', 'upheld', 'reversed', name='complaint_state', native_enum=False,
                    create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column('handled_by', sa.String(length=100), nullable=True),
        sa.Column('handled_at', _utc(), nullable=True),
        sa.Column('reply', sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['authors.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_complaints_site_id_received_at', 'complaints', ['site_id', 'received_at'])
    op.create_index('ix_complaints_comment_id', 'complaints', ['comment_id'])


def downgrade():
    op.drop_index('ix_complaints_comment_id', table_name='complaints')
    op.drop_index('ix_complaints_site_id_received_at', table_name='complaints')
    op.drop_table('complaints')
    op.drop_index('ix_comment_reports_reporter_hash', table_name='comment_reports')
    op.drop_index('ix_comment_reports_site_id_created_at', table_name='comment_reports')
    op.drop_index('ix_comment_reports_comment_id_state', table_name='comment_reports')
    op.drop_table('comment_reports')
