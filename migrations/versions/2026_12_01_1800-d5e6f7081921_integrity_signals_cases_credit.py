"""anti-fraud signals, cases, organisation freezes and credit notes

Revision ID: d5e6f7081921
Revises: c4d5e6f70819
Create Date: 2026-12-01 18:00:00

Step 7 (anti-fraud and credit): ``integrity_signals`` (one row per detected fingerprint),
``integrity_cases``, ``integrity_freezes`` (an organisation's voucher use frozen by a case),
``integrity_clawbacks`` (ledger transfers reversed by a case) and ``integrity_credit_notes``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7081921'
down_revision = 'c4d5e6f70819'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('integrity_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_integrity_cases_case_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_integrity_cases_closed_by_id_users')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_integrity_cases_opened_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_integrity_cases_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_cases'))
    )
    with op.batch_alter_table('integrity_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_cases_organization_id'), ['organization_id'], unique=False)

    op.create_table('integrity_clawbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('original_transfer_id', sa.Integer(), nullable=False),
    sa.Column('reversal_transfer_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['integrity_cases.id'], name=op.f('fk_integrity_clawbacks_case_id_integrity_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_integrity_clawbacks_created_by_id_users')),
    sa.ForeignKeyConstraint(['original_transfer_id'], ['ledger_transfers.id'], name=op.f('fk_integrity_clawbacks_original_transfer_id_ledger_transfers')),
    sa.ForeignKeyConstraint(['reversal_transfer_id'], ['ledger_transfers.id'], name=op.f('fk_integrity_clawbacks_reversal_transfer_id_ledger_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_clawbacks')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_integrity_clawbacks_idempotency_key')),
    sa.UniqueConstraint('original_transfer_id', name=op.f('uq_integrity_clawbacks_original_transfer_id')),
    sa.UniqueConstraint('reversal_transfer_id', name=op.f('uq_integrity_clawbacks_reversal_transfer_id'))
    )
    with op.batch_alter_table('integrity_clawbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_clawbacks_case_id'), ['case_id'], unique=False)

    op.create_table('integrity_credit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('response_text', sa.Text(), nullable=True),
    sa.Column('response_by_id', sa.Integer(), nullable=True),
    sa.Column('response_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(response_text IS NULL) = (response_at IS NULL)', name=op.f('ck_integrity_credit_notes_response_complete')),
    sa.ForeignKeyConstraint(['case_id'], ['integrity_cases.id'], name=op.f('fk_integrity_credit_notes_case_id_integrity_cases')),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_integrity_credit_notes_officer_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_integrity_credit_notes_organization_id_organizations')),
    sa.ForeignKeyConstraint(['response_by_id'], ['users.id'], name=op.f('fk_integrity_credit_notes_response_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_credit_notes'))
    )
    with op.batch_alter_table('integrity_credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_credit_notes_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_credit_notes_organization_id'), ['organization_id'], unique=False)

    op.create_table('integrity_freezes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('frozen_by_id', sa.Integer(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['integrity_cases.id'], name=op.f('fk_integrity_freezes_case_id_integrity_cases')),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'], name=op.f('fk_integrity_freezes_frozen_by_id_users')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_integrity_freezes_lifted_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_integrity_freezes_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_freezes'))
    )
    with op.batch_alter_table('integrity_freezes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_freezes_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_freezes_organization_id'), ['organization_id'], unique=False)

    op.create_table('integrity_signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('organization_ids', sa.JSON(), nullable=False),
    sa.Column('records', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_by_id', sa.Integer(), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('related_party', 'duplicate_invoice', 'held_maximum', 'provider_share', 'no_usage', 'shared_identity')", name=op.f('ck_integrity_signals_signal_kind')),
    sa.CheckConstraint("status IN ('open', 'cleared', 'in_case')", name=op.f('ck_integrity_signals_signal_status')),
    sa.ForeignKeyConstraint(['case_id'], ['integrity_cases.id'], name=op.f('fk_integrity_signals_case_id_integrity_cases')),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['users.id'], name=op.f('fk_integrity_signals_cleared_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_integrity_signals_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_signals')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_integrity_signals_fingerprint'))
    )
    with op.batch_alter_table('integrity_signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_signals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_signals_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_signals_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_signals_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('integrity_signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_signals_status'))
        batch_op.drop_index(batch_op.f('ix_integrity_signals_organization_id'))
        batch_op.drop_index(batch_op.f('ix_integrity_signals_kind'))
        batch_op.drop_index(batch_op.f('ix_integrity_signals_case_id'))

    op.drop_table('integrity_signals')
    with op.batch_alter_table('integrity_freezes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_freezes_organization_id'))
        batch_op.drop_index(batch_op.f('ix_integrity_freezes_case_id'))

    op.drop_table('integrity_freezes')
    with op.batch_alter_table('integrity_credit_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_credit_notes_organization_id'))
        batch_op.drop_index(batch_op.f('ix_integrity_credit_notes_case_id'))

    op.drop_table('integrity_credit_notes')
    with op.batch_alter_table('integrity_clawbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_clawbacks_case_id'))

    op.drop_table('integrity_clawbacks')
    with op.batch_alter_table('integrity_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_cases_organization_id'))

    op.drop_table('integrity_cases')
