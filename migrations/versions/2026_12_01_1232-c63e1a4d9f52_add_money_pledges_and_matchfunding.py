"""add money pledges and matchfunding

Revision ID: c63e1a4d9f52
Revises: b52d0f3c8e41
Create Date: 2026-12-01 12:30:00

Money pledges (campaign_pledges) with their one-time request key and payment, the programmes'
matchfunding agreements (campaign_match_funds), and two columns on campaign_reward_tiers: a
limited quantity (NULL = unlimited, with its CHECK constraint, which autogenerate does not see)
and the estimated delivery month.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'c63e1a4d9f52'
down_revision = 'b52d0f3c8e41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_match_funds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('matched_fen', sa.BigInteger(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cap_fen > 0', name=op.f('ck_campaign_match_funds_cap')),
    sa.CheckConstraint('matched_fen >= 0 AND matched_fen <= cap_fen', name=op.f('ck_campaign_match_funds_within_cap')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_match_funds_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaign_match_funds_created_by_id_users')),
    sa.ForeignKeyConstraint(['programme_id'], ['voucher_programmes.id'], name=op.f('fk_campaign_match_funds_programme_id_voucher_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_match_funds')),
    sa.UniqueConstraint('campaign_id', name=op.f('uq_campaign_match_funds_campaign_id'))
    )
    with op.batch_alter_table('campaign_match_funds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_match_funds_programme_id'), ['programme_id'], unique=False)

    op.create_table('campaign_pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('backer_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('is_anonymous', sa.Boolean(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('pending', 'paid', 'released', 'refund_pending', 'refunded', 'cancelled', name='pledge_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=64), nullable=False),
    sa.Column('match_fund_id', sa.Integer(), nullable=True),
    sa.Column('matched_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_campaign_pledges_amount')),
    sa.CheckConstraint('matched_fen >= 0 AND matched_fen <= amount_fen', name=op.f('ck_campaign_pledges_matched')),
    sa.ForeignKeyConstraint(['backer_id'], ['users.id'], name=op.f('fk_campaign_pledges_backer_id_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_pledges_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['match_fund_id'], ['campaign_match_funds.id'], name=op.f('fk_campaign_pledges_match_fund_id_campaign_match_funds')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_campaign_pledges_organization_id_organizations')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_campaign_pledges_payment_id_payments')),
    sa.ForeignKeyConstraint(['tier_id'], ['campaign_reward_tiers.id'], name=op.f('fk_campaign_pledges_tier_id_campaign_reward_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_pledges')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_campaign_pledges_payment_id')),
    sa.UniqueConstraint('request_key', name=op.f('uq_campaign_pledges_request_key'))
    )
    with op.batch_alter_table('campaign_pledges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_pledges_backer_id'), ['backer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_pledges_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_pledges_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_pledges_tier_id'), ['tier_id'], unique=False)

    with op.batch_alter_table('campaign_reward_tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity_limit', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('estimated_delivery', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            'quantity_limit', 'quantity_limit IS NULL OR quantity_limit > 0')


def downgrade():
    with op.batch_alter_table('campaign_reward_tiers', schema=None) as batch_op:
        batch_op.drop_constraint('quantity_limit', type_='check')
        batch_op.drop_column('estimated_delivery')
        batch_op.drop_column('quantity_limit')

    with op.batch_alter_table('campaign_pledges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_pledges_tier_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_pledges_status'))
        batch_op.drop_index(batch_op.f('ix_campaign_pledges_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_pledges_backer_id'))

    op.drop_table('campaign_pledges')
    with op.batch_alter_table('campaign_match_funds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_match_funds_programme_id'))

    op.drop_table('campaign_match_funds')
