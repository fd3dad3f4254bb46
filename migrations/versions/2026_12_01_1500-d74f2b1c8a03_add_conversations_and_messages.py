"""add conversations and messages

Revision ID: d74f2b1c8a03
Revises: c63e1a4d9f52
Create Date: 2026-12-01 15:00:00

Conversations between two organisations about a listing, their messages and attachments,
blocks and reports (marketplace/conversations).
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'd74f2b1c8a03'
down_revision = 'c63e1a4d9f52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.Column('listing_org_id', sa.Integer(), nullable=False),
    sa.Column('other_org_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_by_org_id', sa.Integer(), nullable=True),
    sa.Column('blocked_by_id', sa.Integer(), nullable=True),
    sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('listing_org_id <> other_org_id', name=op.f('ck_conversations_two_sides')),
    sa.CheckConstraint('blocked_by_org_id IS NULL OR blocked_by_org_id = listing_org_id OR blocked_by_org_id = other_org_id', name=op.f('ck_conversations_blocked_by_a_side')),
    sa.ForeignKeyConstraint(['blocked_by_id'], ['users.id'], name=op.f('fk_conversations_blocked_by_id_users')),
    sa.ForeignKeyConstraint(['blocked_by_org_id'], ['organizations.id'], name=op.f('fk_conversations_blocked_by_org_id_organizations')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_conversations_listing_id_listings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['listing_org_id'], ['organizations.id'], name=op.f('fk_conversations_listing_org_id_organizations')),
    sa.ForeignKeyConstraint(['other_org_id'], ['organizations.id'], name=op.f('fk_conversations_other_org_id_organizations')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_conversations_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('listing_id', 'other_org_id', name=op.f('uq_conversations_listing_id_other_org_id'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_listing_org_id'), ['listing_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_other_org_id'), ['other_org_id'], unique=False)

    op.create_table('conversation_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_org_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('is_notice', sa.Boolean(), nullable=False),
    sa.Column('notice_code', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('is_notice OR (author_id IS NOT NULL AND author_org_id IS NOT NULL)', name=op.f('ck_conversation_messages_author_unless_notice')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_conversation_messages_author_id_users')),
    sa.ForeignKeyConstraint(['author_org_id'], ['organizations.id'], name=op.f('fk_conversation_messages_author_org_id_organizations')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_messages_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_messages'))
    )
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_messages_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('conversation_reads',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_reads_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', 'user_id', name=op.f('pk_conversation_reads'))
    )
    with op.batch_alter_table('conversation_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_reads_user_id'), ['user_id'], unique=False)

    op.create_table('conversation_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reporter_org_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_reports_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_conversation_reports_handled_by_id_users')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_conversation_reports_reporter_id_users')),
    sa.ForeignKeyConstraint(['reporter_org_id'], ['organizations.id'], name=op.f('fk_conversation_reports_reporter_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_reports'))
    )
    with op.batch_alter_table('conversation_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_reports_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_reports_handled_at'), ['handled_at'], unique=False)

    op.create_table('conversation_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_conversation_attachments_size_positive')),
    sa.ForeignKeyConstraint(['message_id'], ['conversation_messages.id'], name=op.f('fk_conversation_attachments_message_id_conversation_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_attachments')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_conversation_attachments_storage_name'))
    )
    with op.batch_alter_table('conversation_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_attachments_message_id'), ['message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('conversation_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_attachments_message_id'))
    op.drop_table('conversation_attachments')
    with op.batch_alter_table('conversation_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_reports_handled_at'))
        batch_op.drop_index(batch_op.f('ix_conversation_reports_conversation_id'))
    op.drop_table('conversation_reports')
    with op.batch_alter_table('conversation_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_reads_user_id'))
    op.drop_table('conversation_reads')
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_messages_conversation_id'))
    op.drop_table('conversation_messages')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_other_org_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_listing_org_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_listing_id'))
    op.drop_table('conversations')
