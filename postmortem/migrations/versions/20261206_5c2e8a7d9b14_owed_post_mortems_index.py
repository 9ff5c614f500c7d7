"""Post-mortems by severity, status and resolution (the home page's owed post-mortems)

Revision ID: 5c2e8a7d9b14
Revises: 3f8b1d6c2a47
Create Date: 2026-12-06 13:40:00
"""
from alembic import op


revision = '5c2e8a7d9b14'
down_revision = '3f8b1d6c2a47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_incidents_owed', 'incidents', ['severity', 'status', 'resolved_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_incidents_owed', table_name='incidents')
