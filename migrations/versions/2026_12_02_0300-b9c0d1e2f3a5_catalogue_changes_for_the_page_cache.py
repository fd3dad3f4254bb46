"""catalogue: catalogue_changes, noted by triggers, for the visitors' page cache

Revision ID: b9c0d1e2f3a5
Revises: a8b9c0d1e2f4
Create Date: 2026-12-02 03:00:00

Step 8: an insert-only log with one row per statement (PostgreSQL: statement triggers) or row
(SQLite: row triggers) that inserts, updates or deletes rows of the catalogue's tables. Its newest
committed id and a count below it are the generation the page cache keys on
(marketplace.pagecache.catalogue_generation).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9c0d1e2f3a5'
down_revision = 'a8b9c0d1e2f4'
branch_labels = None
depends_on = None

# listings.models.CATALOGUE_TABLES at this revision (a migration does not import the app)
TABLES = ("listings", "instruments", "technologies", "spaces", "campaigns",
          "campaign_expertise_needs", "campaign_resource_needs", "campaign_reward_tiers", "needs",
          "listing_photos", "organizations")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        'catalogue_changes',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_changes')),
    )
    if postgresql:
        op.execute("""
            CREATE FUNCTION note_catalogue_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO catalogue_changes DEFAULT VALUES;
                RETURN NULL;
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_catalogue_change AFTER INSERT OR UPDATE OR DELETE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION note_catalogue_change()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"CREATE TRIGGER {table}_catalogue_{event.lower()} AFTER {event} ON "
                           f"{table} BEGIN INSERT INTO catalogue_changes (changed_at) "
                           f"VALUES (CURRENT_TIMESTAMP); END")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalogue_change ON {table}")
        else:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_catalogue_{event.lower()}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS note_catalogue_change()")
    op.drop_table('catalogue_changes')
