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
    op.create_table('licence_enquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'declined', name='enquiry_status', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('decline_reason', sa.Enum('too_early', 'not_our_field', 'price', 'terms', 'other', name='enquiry_decline_reason', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('decline_note', sa.Text(), nullable=True),
    sa.Column('declined_by_id', sa.Integer(), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)", name=op.f('ck_licence_enquiries_declined_with_reason')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_licence_enquiries_created_by_id_users')),
    sa.ForeignKeyConstraint(['declined_by_id'], ['users.id'], name=op.f('fk_licence_enquiries_declined_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_licence_enquiries_organization_id_organizations')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_licence_enquiries_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_enquiries')),
    sa.UniqueConstraint('technology_id', 'organization_id', name=op.f('uq_licence_enquiries_technology_id_organization_id'))
    )
    op.create_index(op.f('ix_licence_enquiries_organization_id'), 'licence_enquiries', ['organization_id'], unique=False)
    op.create_index(op.f('ix_licence_enquiries_technology_id'), 'licence_enquiries', ['technology_id'], unique=False)
    op.create_table('licence_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('licensee_org_id', sa.Integer(), nullable=False),
    sa.Column('author_org_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.Enum('exclusive', 'non_exclusive', 'assignment', 'joint_development', name='offer_licensing_mode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('field_of_use', sa.String(length=300), nullable=False),
    sa.Column('territory', sa.String(length=200), nullable=False),
    sa.Column('term_years', sa.Integer(), nullable=False),
    sa.Column('upfront_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('royalty_bp', sa.Integer(), nullable=False),
    sa.Column('milestones', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'countered', 'withdrawn', 'declined', 'accepted', 'closed', name='offer_status', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('decline_reason', sa.Enum('too_early', 'not_our_field', 'price', 'terms', 'other', name='offer_decline_reason', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('decline_note', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)", name=op.f('ck_licence_offers_declined_with_reason')),
    sa.CheckConstraint('royalty_bp BETWEEN 0 AND 10000', name=op.f('ck_licence_offers_royalty')),
    sa.CheckConstraint('term_years BETWEEN 1 AND 50', name=op.f('ck_licence_offers_term')),
    sa.CheckConstraint('upfront_fee_fen >= 0', name=op.f('ck_licence_offers_upfront_fee')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_licence_offers_author_id_users')),
    sa.ForeignKeyConstraint(['author_org_id'], ['organizations.id'], name=op.f('fk_licence_offers_author_org_id_organizations')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_licence_offers_decided_by_id_users')),
    sa.ForeignKeyConstraint(['licensee_org_id'], ['organizations.id'], name=op.f('fk_licence_offers_licensee_org_id_organizations')),
    sa.ForeignKeyConstraint(['replaces_id'], ['licence_offers.id'], name=op.f('fk_licence_offers_replaces_id_licence_offers')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_licence_offers_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_offers'))
    )
    op.create_index(op.f('ix_licence_offers_licensee_org_id'), 'licence_offers', ['licensee_org_id'], unique=False)
    op.create_index(op.f('ix_licence_offers_status'), 'licence_offers', ['status'], unique=False)
    op.create_index(op.f('ix_licence_offers_technology_id'), 'licence_offers', ['technology_id'], unique=False)
    op.create_table('licensing_confidential_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_licensing_confidential_files_size')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_licensing_confidential_files_technology_id_technologies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_licensing_confidential_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licensing_confidential_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_licensing_confidential_files_stored_name'))
    )
    op.create_index(op.f('ix_licensing_confidential_files_technology_id'), 'licensing_confidential_files', ['technology_id'], unique=False)
    op.create_table('nda_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('nda_version', sa.Integer(), nullable=False),
    sa.Column('nda_text', sa.Text(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_nda_acceptances_organization_id_organizations')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_nda_acceptances_technology_id_technologies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_nda_acceptances_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nda_acceptances')),
    sa.UniqueConstraint('technology_id', 'organization_id', 'user_id', 'nda_version', name=op.f('uq_nda_acceptances_technology_id_organization_id_user_id_nda_version'))
    )
    op.create_index(op.f('ix_nda_acceptances_organization_id'), 'nda_acceptances', ['organization_id'], unique=False)
    op.create_index(op.f('ix_nda_acceptances_technology_id'), 'nda_acceptances', ['technology_id'], unique=False)
    op.create_table('technology_disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('advantages', sa.Text(), nullable=False),
    sa.Column('applications', sa.Text(), nullable=False),
    sa.Column('confidential_text', sa.Text(), nullable=False),
    sa.Column('nda_text', sa.Text(), nullable=False),
    sa.Column('nda_version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('nda_version >= 0', name=op.f('ck_technology_disclosures_nda_version')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_technology_disclosures_technology_id_technologies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_technology_disclosures_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technology_disclosures')),
    sa.UniqueConstraint('technology_id', name=op.f('uq_technology_disclosures_technology_id'))
    )
    op.create_table('licence_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('licensor_org_id', sa.Integer(), nullable=False),
    sa.Column('licensee_org_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.Enum('exclusive', 'non_exclusive', 'assignment', 'joint_development', name='licensing_mode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('field_of_use', sa.String(length=300), nullable=False),
    sa.Column('territory', sa.String(length=200), nullable=False),
    sa.Column('term_years', sa.Integer(), nullable=False),
    sa.Column('upfront_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('royalty_bp', sa.Integer(), nullable=False),
    sa.Column('milestones', sa.JSON(), nullable=False),
    sa.Column('express', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('awaiting_payment', 'in_force', name='licence_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'in_force') = (paid_at IS NOT NULL OR upfront_fee_fen = 0)", name=op.f('ck_licence_agreements_paid_when_in_force')),
    sa.CheckConstraint('licensor_org_id <> licensee_org_id', name=op.f('ck_licence_agreements_two_parties')),
    sa.CheckConstraint('royalty_bp BETWEEN 0 AND 10000', name=op.f('ck_licence_agreements_royalty')),
    sa.CheckConstraint('term_years BETWEEN 1 AND 50', name=op.f('ck_licence_agreements_term')),
    sa.CheckConstraint('upfront_fee_fen >= 0', name=op.f('ck_licence_agreements_upfront_fee')),
    sa.ForeignKeyConstraint(['licensee_org_id'], ['organizations.id'], name=op.f('fk_licence_agreements_licensee_org_id_organizations')),
    sa.ForeignKeyConstraint(['licensor_org_id'], ['organizations.id'], name=op.f('fk_licence_agreements_licensor_org_id_organizations')),
    sa.ForeignKeyConstraint(['offer_id'], ['licence_offers.id'], name=op.f('fk_licence_agreements_offer_id_licence_offers')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_licence_agreements_technology_id_technologies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_agreements')),
    sa.UniqueConstraint('number', name=op.f('uq_licence_agreements_number'))
    )
    op.create_index(op.f('ix_licence_agreements_licensee_org_id'), 'licence_agreements', ['licensee_org_id'], unique=False)
    op.create_index(op.f('ix_licence_agreements_licensor_org_id'), 'licence_agreements', ['licensor_org_id'], unique=False)
    op.create_index(op.f('ix_licence_agreements_status'), 'licence_agreements', ['status'], unique=False)
    op.create_index(op.f('ix_licence_agreements_technology_id'), 'licence_agreements', ['technology_id'], unique=False)



def downgrade():
    op.drop_index(op.f('ix_licence_agreements_technology_id'), table_name='licence_agreements')
    op.drop_index(op.f('ix_licence_agreements_status'), table_name='licence_agreements')
    op.drop_index(op.f('ix_licence_agreements_licensor_org_id'), table_name='licence_agreements')
    op.drop_index(op.f('ix_licence_agreements_licensee_org_id'), table_name='licence_agreements')
    op.drop_table('licence_agreements')
    op.drop_table('technology_disclosures')
    op.drop_index(op.f('ix_nda_acceptances_technology_id'), table_name='nda_acceptances')
    op.drop_index(op.f('ix_nda_acceptances_organization_id'), table_name='nda_acceptances')
    op.drop_table('nda_acceptances')
    op.drop_index(op.f('ix_licensing_confidential_files_technology_id'), table_name='licensing_confidential_files')
    op.drop_table('licensing_confidential_files')
    op.drop_index(op.f('ix_licence_offers_technology_id'), table_name='licence_offers')
    op.drop_index(op.f('ix_licence_offers_status'), table_name='licence_offers')
    op.drop_index(op.f('ix_licence_offers_licensee_org_id'), table_name='licence_offers')
    op.drop_table('licence_offers')
    op.drop_index(op.f('ix_licence_enquiries_technology_id'), table_name='licence_enquiries')
    op.drop_index(op.f('ix_licence_enquiries_organization_id'), table_name='licence_enquiries')
    op.drop_table('licence_enquiries')

