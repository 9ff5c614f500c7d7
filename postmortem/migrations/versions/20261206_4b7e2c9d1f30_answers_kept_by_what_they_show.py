"""Answers kept by what they show: per-input versions and a stamp on each post-mortem instead
of one write counter and the stored pages; a queue of post-mortems for the insight job's incremental step, and the
vocabulary it needs

Revision ID: 4b7e2c9d1f30
Revises: 9c3d5e1f7a20
Create Date: 2026-12-06 07:00:00
"""
from alembic import op
import sqlalchemy as sa

import postmortem.models.types


revision = '4b7e2c9d1f30'
down_revision = '9c3d5e1f7a20'
branch_labels = None
depends_on = None

INPUTS = ("incidents", "published", "action_items", "deployments", "people", "catalog", "themes")


def upgrade():
    op.create_table('input_versions',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_input_versions'))
    )
    op.bulk_insert(sa.table('input_versions', sa.column('name'), sa.column('version')),
                   [{"name": name, "version": 0} for name in INPUTS])
    op.create_table('insight_queue',
    sa.Column('incident_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('queued_at', postmortem.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('written_at', postmortem.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('placed_at', postmortem.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_insight_queue'))
    )
    with op.batch_alter_table('insight_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model', sa.LargeBinary(), nullable=True))
        batch_op.drop_column('writes')
        batch_op.drop_column('content_writes')
    op.drop_table('figure_cache')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stamp', sa.Integer(), server_default='0', nullable=False))
    # The incremental step needs the vocabulary, which only a full recomputation stores.
    op.execute("UPDATE insight_state SET changes = changes + 1")


def downgrade():
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('stamp')
    op.create_table('figure_cache',
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('gzip', sa.LargeBinary(), nullable=True),
    sa.Column('computed_at', postmortem.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_figure_cache'))
    )
    with op.batch_alter_table('insight_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_writes', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('writes', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('model')
    op.drop_table('insight_queue')
    op.drop_table('input_versions')
