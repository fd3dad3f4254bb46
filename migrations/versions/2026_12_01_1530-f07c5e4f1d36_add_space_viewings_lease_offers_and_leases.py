"""add space viewings lease offers and leases

Revision ID: f07c5e4f1d36
Revises: e96b4d3e0c25
Create Date: 2026-12-01 15:00:00

Space leasing: viewing requests, lease offers and leases (marketplace/spaces).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f07c5e4f1d36'
down_revision = 'e96b4d3e0c25'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
