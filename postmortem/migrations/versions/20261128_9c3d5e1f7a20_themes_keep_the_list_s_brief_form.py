"""Themes keep the form the API's list gives of them (latest recurrences only)

Revision ID: 9c3d5e1f7a20
Revises: 5b1e0c7d2a91
Create Date: 2026-11-28 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '9c3d5e1f7a20'
down_revision = '5b1e0c7d2a91'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brief', sa.Text(), nullable=True))
    # The stored themes lack the brief form and `recurrence_count`: the insight job's next run
    # (in the background, or `postmortem insights refresh`) stores them again.
    op.execute("UPDATE insight_state SET changes = changes + 1")


def downgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_column('brief')
