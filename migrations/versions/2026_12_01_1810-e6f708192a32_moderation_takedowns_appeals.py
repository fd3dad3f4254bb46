"""moderation: take-downs, appeals, user suspension

Revision ID: e6f708192a32
Revises: d5e6f7081921
Create Date: 2026-12-01 18:10:00

Step 7. (Filled in by the slice that owns it; until then it changes nothing.)
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6f708192a32'
down_revision = 'd5e6f7081921'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
