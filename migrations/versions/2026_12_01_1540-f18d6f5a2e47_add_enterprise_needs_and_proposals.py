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


def downgrade():
    # marketplace/needs: drop proposals here, before the needs
    op.execute("DELETE FROM listings WHERE kind = 'need'")
    op.drop_table('needs')
    _set_listing_kinds(OLD_KINDS)
