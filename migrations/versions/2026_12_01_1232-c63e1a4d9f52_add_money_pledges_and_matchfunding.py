"""add money pledges and matchfunding

Revision ID: c63e1a4d9f52
Revises: b52d0f3c8e41
Create Date: 2026-12-01 12:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c63e1a4d9f52'
down_revision = 'b52d0f3c8e41'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
