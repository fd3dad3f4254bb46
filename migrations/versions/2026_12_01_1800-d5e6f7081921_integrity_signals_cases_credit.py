"""anti-fraud signals, cases, organisation freezes and credit notes

Revision ID: d5e6f7081921
Revises: c4d5e6f70819
Create Date: 2026-12-01 18:00:00

Step 7. (Filled in by the slice that owns it; until then it changes nothing.)
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7081921'
down_revision = 'c4d5e6f70819'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
