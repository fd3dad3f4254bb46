"""add licensing ndas offers and agreements

Revision ID: e85a3c2d9b14
Revises: d74f2b1c8a03
Create Date: 2026-12-01 15:00:00

Technology licensing: confidential details and files, NDA versions and acceptances, enquiries,
offers and counter-offers, licence agreements, decline feedback (marketplace/licensing).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e85a3c2d9b14'
down_revision = 'd74f2b1c8a03'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
