"""Themes keep a profile, a hidden flag and who named them; people's corrections to detected
themes; the classifier that suggests a factor's category

Revision ID: 7d4e2a9b1c03
Revises: 7d3a9f1c2b80
Create Date: 2026-12-06 07:00:00
"""
from alembic import op
import sqlalchemy as sa

import postmortem.models.types


revision = '7d4e2a9b1c03'
down_revision = '7d3a9f1c2b80'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('hidden', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('named_by', sa.String(length=120), nullable=True))
    op.create_table(
        'theme_corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('theme_id', sa.String(length=80), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('merged_into', sa.String(length=80), nullable=True),
        sa.Column('removed', sa.JSON(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('by_name', sa.String(length=120), nullable=True),
        sa.Column('updated_at', postmortem.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('theme_id'),
    )
    op.create_table(
        'category_model',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model', sa.JSON(), nullable=False),
        sa.Column('factors', sa.Integer(), nullable=False),
        sa.Column('trained_at', postmortem.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    # Detected themes are found and named differently now: the insight job's next run (in
    # the background, or `postmortem insights refresh`) stores them again, with profiles.
    op.execute("UPDATE insight_state SET changes = changes + 1")


def downgrade():
    op.drop_table('category_model')
    op.drop_table('theme_corrections')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_column('named_by')
        batch_op.drop_column('hidden')
        batch_op.drop_column('profile')
