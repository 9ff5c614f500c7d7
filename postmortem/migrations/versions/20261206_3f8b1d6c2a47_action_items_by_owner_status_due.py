"""Action items by owner, status and due date (the home page's and the board's own items)

Revision ID: 3f8b1d6c2a47
Revises: 7d4e2a9b1c03
Create Date: 2026-12-06 11:30:00
"""
from alembic import op


revision = '3f8b1d6c2a47'
down_revision = '7d4e2a9b1c03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_action_items_owner_status_due', 'action_items',
                    ['owner_id', 'status', 'due_on'], unique=False)


def downgrade():
    op.drop_index('ix_action_items_owner_status_due', table_name='action_items')
