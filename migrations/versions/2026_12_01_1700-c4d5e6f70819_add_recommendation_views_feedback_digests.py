"""add recommendation views, feedback and digests; organisations opt in to being discoverable

Revision ID: c4d5e6f70819
Revises: b3c4d5e6f708
Create Date: 2026-12-01 17:00:00

Step 6 (the recommender): ``listing_views`` (per organisation, listing and Beijing day),
``not_relevant_listings`` (feedback, a negative training label), ``recommendation_digests`` (one
per organisation and ISO week) and ``organizations.discoverable`` (opt-in, default false). The
column keeps its server default: dropping it would make SQLite recreate ``organizations``, which
most tables refer to.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d5e6f70819'
down_revision = 'b3c4d5e6f708'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discoverable', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    op.create_table(
        'listing_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('viewed_on', sa.Date(), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.CheckConstraint('views > 0', name=op.f('ck_listing_views_views_positive')),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_listing_views_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_listing_views_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_views')),
        sa.UniqueConstraint('organization_id', 'listing_id', 'viewed_on',
                            name=op.f('uq_listing_views_organization_id_listing_id_viewed_on')),
    )
    with op.batch_alter_table('listing_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_views_listing_id'), ['listing_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_listing_views_organization_id'),
                              ['organization_id'], unique=False)

    op.create_table(
        'not_relevant_listings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'],
                                name=op.f('fk_not_relevant_listings_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['organization_id'], ['organizations.id'],
            name=op.f('fk_not_relevant_listings_organization_id_organizations'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_not_relevant_listings_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_not_relevant_listings')),
        sa.UniqueConstraint('organization_id', 'listing_id',
                            name=op.f('uq_not_relevant_listings_organization_id_listing_id')),
    )
    with op.batch_alter_table('not_relevant_listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_not_relevant_listings_listing_id'), ['listing_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_not_relevant_listings_organization_id'),
                              ['organization_id'], unique=False)

    op.create_table(
        'recommendation_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('iso_week', sa.String(length=8), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['organization_id'], ['organizations.id'],
            name=op.f('fk_recommendation_digests_organization_id_organizations'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_digests')),
        sa.UniqueConstraint('organization_id', 'iso_week',
                            name=op.f('uq_recommendation_digests_organization_id_iso_week')),
    )
    with op.batch_alter_table('recommendation_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_digests_organization_id'),
                              ['organization_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recommendation_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_digests_organization_id'))
    op.drop_table('recommendation_digests')
    with op.batch_alter_table('not_relevant_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_not_relevant_listings_organization_id'))
        batch_op.drop_index(batch_op.f('ix_not_relevant_listings_listing_id'))
    op.drop_table('not_relevant_listings')
    with op.batch_alter_table('listing_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_views_organization_id'))
        batch_op.drop_index(batch_op.f('ix_listing_views_listing_id'))
    op.drop_table('listing_views')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('discoverable')
