"""add express licences and licence fees

Revision ID: e96b4d3e0c25
Revises: e85a3c2d9b14
Create Date: 2026-12-01 15:00:00

The express licence terms of a technology and the payment of licence fees, part by voucher
(marketplace/licensing/fees).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e96b4d3e0c25'
down_revision = 'e85a3c2d9b14'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
