"""reimburse licence fee vouchers

Revision ID: b3c4d5e6f708
Revises: a29e7a6b3f58
Create Date: 2026-12-01 16:00:00

A reimbursement item is a voucher-paid booking or the voucher part of a paid licence fee
(marketplace/settlement): ``booking_id`` becomes nullable, ``licence_fee_id`` (unique) is added
and a CHECK requires exactly one of the two. On SQLite the table is recreated (batch mode);
reimbursement_items is a leaf table (nothing refers to it), so that is safe.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c4d5e6f708'
down_revision = 'a29e7a6b3f58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reimbursement_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('licence_fee_id', sa.Integer(), nullable=True))
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_reimbursement_items_licence_fee_id'),
                                          ['licence_fee_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_reimbursement_items_licence_fee_id_licence_fees'), 'licence_fees',
            ['licence_fee_id'], ['id'])
        batch_op.create_check_constraint(
            'one_subject', '(booking_id IS NULL) <> (licence_fee_id IS NULL)')


def downgrade():
    # licence-fee items cannot be expressed without the column: they are dropped (their fees
    # wait for a batch again); paid batches keep their ledger transfers
    op.execute('DELETE FROM reimbursement_items WHERE licence_fee_id IS NOT NULL')
    with op.batch_alter_table('reimbursement_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reimbursement_items_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reimbursement_items_licence_fee_id_licence_fees'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_reimbursement_items_licence_fee_id'),
                                 type_='unique')
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('licence_fee_id')
