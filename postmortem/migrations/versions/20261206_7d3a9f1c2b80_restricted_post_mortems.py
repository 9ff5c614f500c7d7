"""Restricted post-mortems: a flag on each post-mortem and the people named to read it

Revision ID: 7d3a9f1c2b80
Revises: 4b7e2c9d1f30
Create Date: 2026-12-06 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7d3a9f1c2b80'
down_revision = '4b7e2c9d1f30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restricted', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_incidents_restricted'), ['restricted'], unique=False)
    op.create_table('incident_readers',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                            name=op.f('fk_incident_readers_incident_id_incidents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_incident_readers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'user_id', name=op.f('pk_incident_readers'))
    )
    with op.batch_alter_table('incident_readers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_readers_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('incident_readers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_readers_user_id'))
    op.drop_table('incident_readers')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_restricted'))
        batch_op.drop_column('restricted')
