"""moderation: take-downs, appeals, user suspension

Revision ID: e6f708192a32
Revises: d5e6f7081921
Create Date: 2026-12-01 18:10:00

Step 7: one new table (take-downs with their appeal and decision) and two nullable columns on
users (suspension). No enum value is added to an existing CHECK.
"""
from alembic import op
import sqlalchemy as sa




# revision identifiers, used by Alembic.
revision = 'e6f708192a32'
down_revision = 'd5e6f7081921'
branch_labels = None
depends_on = None

DT = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'moderation_takedowns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('object_type', sa.Enum('listing', 'review', name='takedown_object',
                                         native_enum=False, length=10, create_constraint=True),
                  nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('created_at', DT, nullable=False),
        sa.Column('status', sa.Enum('active', 'upheld', 'restored', name='takedown_status',
                                    native_enum=False, length=10, create_constraint=True),
                  nullable=False),
        sa.Column('previous_status', sa.String(length=20), nullable=True),
        sa.Column('closed_campaign', sa.Boolean(), nullable=False),
        sa.Column('appeal_text', sa.Text(), nullable=True),
        sa.Column('appealed_at', DT, nullable=True),
        sa.Column('appealed_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', DT, nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.CheckConstraint('(appealed_at IS NULL) = (appeal_text IS NULL)',
                           name=op.f('ck_moderation_takedowns_appeal_whole')),
        sa.CheckConstraint("(status = 'active') = (decided_at IS NULL)",
                           name=op.f('ck_moderation_takedowns_decided_when')),
        sa.ForeignKeyConstraint(['appealed_by_id'], ['users.id'],
                                name=op.f('fk_moderation_takedowns_appealed_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_moderation_takedowns_decided_by_id_users')),
        sa.ForeignKeyConstraint(['officer_id'], ['users.id'],
                                name=op.f('fk_moderation_takedowns_officer_id_users')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_moderation_takedowns_organization_id_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_takedowns')),
    )
    with op.batch_alter_table('moderation_takedowns', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_takedowns_object', ['object_type', 'object_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_takedowns_organization_id'),
                              ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_takedowns_status'), ['status'],
                              unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', DT, nullable=True))
        batch_op.add_column(sa.Column('suspended_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('suspended_reason')
        batch_op.drop_column('suspended_at')
    with op.batch_alter_table('moderation_takedowns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_takedowns_status'))
        batch_op.drop_index(batch_op.f('ix_moderation_takedowns_organization_id'))
        batch_op.drop_index('ix_moderation_takedowns_object')
    op.drop_table('moderation_takedowns')
