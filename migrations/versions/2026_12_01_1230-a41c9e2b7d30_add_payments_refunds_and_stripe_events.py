"""add payments, refunds and stripe events

Revision ID: a41c9e2b7d30
Revises: ba55a6b45d2a
Create Date: 2026-12-01 12:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a41c9e2b7d30'
down_revision = 'ba55a6b45d2a'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
