"""statistics: recommendation impressions (click-through)

Revision ID: f708192a3b43
Revises: e6f708192a32
Create Date: 2026-12-01 18:20:00

Step 7. (Filled in by the slice that owns it; until then it changes nothing.)
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f708192a3b43'
down_revision = 'e6f708192a32'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
