"""statistics: recommendation impressions (click-through)

Revision ID: f708192a3b43
Revises: e6f708192a32
Create Date: 2026-12-01 18:20:00

Step 7: ``recommendation_impressions``, one row per organisation, recommended listing, panel and
Beijing day with the impressions and clicks counted (the dashboard's click-through and
conversion).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f708192a3b43'
down_revision = 'e6f708192a32'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'recommendation_impressions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('panel', sa.String(length=20), nullable=False),
        sa.Column('shown_on', sa.Date(), nullable=False),
        sa.Column('impressions', sa.Integer(), nullable=False),
        sa.Column('clicks', sa.Integer(), nullable=False),
        sa.Column('first_clicked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('impressions >= 0 AND clicks >= 0',
                           name=op.f('ck_recommendation_impressions_counts')),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_recommendation_impressions_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_recommendation_impressions_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_impressions')),
        sa.UniqueConstraint('organization_id', 'listing_id', 'panel', 'shown_on',
                            name='uq_recommendation_impressions_day'),
    )
    with op.batch_alter_table('recommendation_impressions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_impressions_listing_id'),
                              ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_impressions_organization_id'),
                              ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_impressions_shown_on'),
                              ['shown_on'], unique=False)


def downgrade():
    with op.batch_alter_table('recommendation_impressions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_impressions_shown_on'))
        batch_op.drop_index(batch_op.f('ix_recommendation_impressions_organization_id'))
        batch_op.drop_index(batch_op.f('ix_recommendation_impressions_listing_id'))
    op.drop_table('recommendation_impressions')
