"""add reviews

Revision ID: a29e7a6b3f58
Revises: f18d6f5a2e47
Create Date: 2026-12-01 15:00:00

Reviews after a completed booking, licence or lease, and their reports (marketplace/reviews).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a29e7a6b3f58'
down_revision = 'f18d6f5a2e47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_kind', sa.Enum('booking', 'licence', 'lease', name='review_deal_kind', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('author_org_id', sa.Integer(), nullable=False),
    sa.Column('subject_org_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name=op.f('ck_reviews_stars')),
    sa.CheckConstraint('author_org_id <> subject_org_id', name=op.f('ck_reviews_two_sides')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_reviews_author_id_users')),
    sa.ForeignKeyConstraint(['author_org_id'], ['organizations.id'], name=op.f('fk_reviews_author_org_id_organizations')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_reviews_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_reviews_listing_id_listings')),
    sa.ForeignKeyConstraint(['subject_org_id'], ['organizations.id'], name=op.f('fk_reviews_subject_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('deal_kind', 'deal_id', 'author_org_id', name=op.f('uq_reviews_deal_kind_deal_id_author_org_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_subject_org_id'), ['subject_org_id'], unique=False)

    op.create_table('review_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('hidden', 'dismissed', name='review_report_outcome', native_enum=False, create_constraint=True, length=10), nullable=True),
    sa.CheckConstraint('(handled_at IS NULL) = (outcome IS NULL)', name=op.f('ck_review_reports_outcome_when_handled')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_review_reports_handled_by_id_users')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_review_reports_reporter_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_reports_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reports')),
    sa.UniqueConstraint('review_id', 'reporter_id', name=op.f('uq_review_reports_review_id_reporter_id'))
    )
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_reports_handled_at'), ['handled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_reports_review_id'), ['review_id'], unique=False)


def downgrade():
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_reports_review_id'))
        batch_op.drop_index(batch_op.f('ix_review_reports_handled_at'))
    op.drop_table('review_reports')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_subject_org_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_listing_id'))
    op.drop_table('reviews')
