"""add enterprise needs and proposals

Revision ID: f18d6f5a2e47
Revises: f07c5e4f1d36
Create Date: 2026-12-01 15:00:00

Enterprise needs (技术需求) as a fifth listing kind ('need': the listing_kind CHECK constraint
is widened), the needs table, proposals and their linked listings (marketplace/needs).
"""
from alembic import op
import sqlalchemy as sa

OLD_KINDS = "'instrument', 'technology', 'space', 'campaign'"
NEW_KINDS = OLD_KINDS + ", 'need'"


def _set_listing_kinds(kinds: str) -> None:
    """Replace the CHECK constraint on listings.kind. PostgreSQL: drop and add. SQLite cannot
    alter a constraint, and recreating ``listings`` (batch mode) would cascade deletes through
    its children while foreign keys are on; so its stored CREATE TABLE text is edited in place
    (SQLite's documented procedure for changes that leave the stored data valid: a wider CHECK
    holds for every existing row; narrowing is only done after the 'need' rows are gone)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        old = NEW_KINDS if kinds == OLD_KINDS else OLD_KINDS
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'listings'",
            (f"CHECK (kind IN ({old}))", f"CHECK (kind IN ({kinds}))"))
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        found = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'listings'").scalar()
        if f"CHECK (kind IN ({kinds}))" not in found:
            raise RuntimeError("the listing_kind CHECK constraint was not found to replace")
    else:
        op.drop_constraint(op.f("ck_listings_listing_kind"), "listings", type_="check")
        op.create_check_constraint(op.f("ck_listings_listing_kind"), "listings",
                                   f"kind IN ({kinds})")


# revision identifiers, used by Alembic.
revision = 'f18d6f5a2e47'
down_revision = 'f07c5e4f1d36'
branch_labels = None
depends_on = None


def upgrade():
    _set_listing_kinds(NEW_KINDS)
    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('solution_kinds', sa.JSON(), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('budget_fen IS NULL OR budget_fen >= 0', name=op.f('ck_needs_budget')),
    sa.ForeignKeyConstraint(['id'], ['listings.id'], name=op.f('fk_needs_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    # marketplace/needs: proposals and their linked listings go below (upgrade) and above the
    # needs part (downgrade)
    op.create_table('need_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('provider_org_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'shortlisted', 'declined', 'withdrawn', 'chosen', 'closed', name='proposal_status', native_enum=False, length=12, create_constraint=True), nullable=False),
    sa.Column('decline_reason', sa.Enum('too_early', 'not_our_field', 'price', 'terms', 'other', name='decline_reason', native_enum=False, length=20, create_constraint=True), nullable=True),
    sa.Column('decline_note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)", name=op.f('ck_need_proposals_decline_reason_iff_declined')),
    sa.CheckConstraint('price_fen IS NULL OR price_fen >= 0', name=op.f('ck_need_proposals_price')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_need_proposals_author_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_proposals_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_org_id'], ['organizations.id'], name=op.f('fk_need_proposals_provider_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_proposals'))
    )
    with op.batch_alter_table('need_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_proposals_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_proposals_provider_org_id'), ['provider_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_proposals_status'), ['status'], unique=False)
        batch_op.create_index('uq_need_proposals_open', ['need_id', 'provider_org_id'], unique=True, sqlite_where=sa.text("status IN ('submitted', 'shortlisted')"), postgresql_where=sa.text("status IN ('submitted', 'shortlisted')"))

    op.create_table('need_proposal_listings',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_need_proposal_listings_listing_id_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['need_proposals.id'], name=op.f('fk_need_proposal_listings_proposal_id_need_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'listing_id', name=op.f('pk_need_proposal_listings'))
    )
    with op.batch_alter_table('need_proposal_listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_proposal_listings_listing_id'), ['listing_id'], unique=False)


def downgrade():
    # marketplace/needs: drop proposals here, before the needs
    with op.batch_alter_table('need_proposal_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_proposal_listings_listing_id'))

    op.drop_table('need_proposal_listings')
    with op.batch_alter_table('need_proposals', schema=None) as batch_op:
        batch_op.drop_index('uq_need_proposals_open', sqlite_where=sa.text("status IN ('submitted', 'shortlisted')"), postgresql_where=sa.text("status IN ('submitted', 'shortlisted')"))
        batch_op.drop_index(batch_op.f('ix_need_proposals_status'))
        batch_op.drop_index(batch_op.f('ix_need_proposals_provider_org_id'))
        batch_op.drop_index(batch_op.f('ix_need_proposals_need_id'))

    op.drop_table('need_proposals')
    op.execute("DELETE FROM listings WHERE kind = 'need'")
    op.drop_table('needs')
    _set_listing_kinds(OLD_KINDS)
