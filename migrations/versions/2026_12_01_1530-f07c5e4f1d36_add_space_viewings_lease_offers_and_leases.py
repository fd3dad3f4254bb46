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
    op.create_table('space_lease_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('tenant_org_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('area_m2', sa.Integer(), nullable=False),
    sa.Column('monthly_rent_fen', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'accepted', 'declined', 'withdrawn', name='lease_offer_status', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('decline_reason', sa.Enum('too_early', 'not_our_field', 'price', 'terms', 'other', name='lease_decline_reason', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('decline_note', sa.Text(), nullable=True),
    sa.Column('request_key', sa.String(length=64), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('area_m2 > 0', name=op.f('ck_space_lease_offers_area')),
    sa.CheckConstraint('monthly_rent_fen >= 0 AND deposit_fen >= 0', name=op.f('ck_space_lease_offers_money')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_space_lease_offers_term')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_space_lease_offers_author_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_space_lease_offers_decided_by_id_users')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_space_lease_offers_space_id_spaces')),
    sa.ForeignKeyConstraint(['tenant_org_id'], ['organizations.id'], name=op.f('fk_space_lease_offers_tenant_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_lease_offers')),
    sa.UniqueConstraint('request_key', name=op.f('uq_space_lease_offers_request_key'))
    )
    with op.batch_alter_table('space_lease_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_space_lease_offers_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_space_lease_offers_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_space_lease_offers_tenant_org_id'), ['tenant_org_id'], unique=False)

    op.create_table('space_viewings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('tenant_org_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('option_1_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('option_2_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('option_3_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'accepted', 'declined', 'cancelled', name='viewing_status', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_note', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status != 'accepted' OR scheduled_at IS NOT NULL", name=op.f('ck_space_viewings_scheduled')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_space_viewings_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_space_viewings_requested_by_id_users')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_space_viewings_space_id_spaces')),
    sa.ForeignKeyConstraint(['tenant_org_id'], ['organizations.id'], name=op.f('fk_space_viewings_tenant_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_viewings'))
    )
    with op.batch_alter_table('space_viewings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_space_viewings_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_space_viewings_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_space_viewings_tenant_org_id'), ['tenant_org_id'], unique=False)

    op.create_table('space_leases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('landlord_org_id', sa.Integer(), nullable=False),
    sa.Column('tenant_org_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('area_m2', sa.Integer(), nullable=False),
    sa.Column('monthly_rent_fen', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('active', 'ended', name='lease_status', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('area_m2 > 0', name=op.f('ck_space_leases_area')),
    sa.CheckConstraint('monthly_rent_fen >= 0 AND deposit_fen >= 0', name=op.f('ck_space_leases_money')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_space_leases_term')),
    sa.ForeignKeyConstraint(['landlord_org_id'], ['organizations.id'], name=op.f('fk_space_leases_landlord_org_id_organizations')),
    sa.ForeignKeyConstraint(['offer_id'], ['space_lease_offers.id'], name=op.f('fk_space_leases_offer_id_space_lease_offers')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_space_leases_space_id_spaces')),
    sa.ForeignKeyConstraint(['tenant_org_id'], ['organizations.id'], name=op.f('fk_space_leases_tenant_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_leases')),
    sa.UniqueConstraint('number', name=op.f('uq_space_leases_number')),
    sa.UniqueConstraint('offer_id', name=op.f('uq_space_leases_offer_id'))
    )
    with op.batch_alter_table('space_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_space_leases_landlord_org_id'), ['landlord_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_space_leases_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_space_leases_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_space_leases_tenant_org_id'), ['tenant_org_id'], unique=False)



def downgrade():
    with op.batch_alter_table('space_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_space_leases_tenant_org_id'))
        batch_op.drop_index(batch_op.f('ix_space_leases_status'))
        batch_op.drop_index(batch_op.f('ix_space_leases_space_id'))
        batch_op.drop_index(batch_op.f('ix_space_leases_landlord_org_id'))

    op.drop_table('space_leases')
    with op.batch_alter_table('space_viewings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_space_viewings_tenant_org_id'))
        batch_op.drop_index(batch_op.f('ix_space_viewings_status'))
        batch_op.drop_index(batch_op.f('ix_space_viewings_space_id'))

    op.drop_table('space_viewings')
    with op.batch_alter_table('space_lease_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_space_lease_offers_tenant_org_id'))
        batch_op.drop_index(batch_op.f('ix_space_lease_offers_status'))
        batch_op.drop_index(batch_op.f('ix_space_lease_offers_space_id'))

    op.drop_table('space_lease_offers')
