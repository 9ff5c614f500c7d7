"""Pages that show no deployment are keyed on a counter new deployments do not bump

Revision ID: 5b1e0c7d2a91
Revises: 84e460856ffe
Create Date: 2026-11-27 22:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5b1e0c7d2a91'
down_revision = '84e460856ffe'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('insight_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_writes', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('insight_state', schema=None) as batch_op:
        batch_op.drop_column('content_writes')
