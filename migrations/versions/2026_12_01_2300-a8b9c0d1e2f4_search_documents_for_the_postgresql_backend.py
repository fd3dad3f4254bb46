"""search: search_documents for the PostgreSQL search backend

Revision ID: a8b9c0d1e2f4
Revises: f708192a3b43
Create Date: 2026-12-01 23:00:00

Step 8: ``search_documents``, one row per searchable listing when SEARCH_BACKEND=postgres (the
Whoosh backend leaves it empty): filter and sort values, a weighted ``tsvector`` of the analyzer's
terms (GIN), a tsvector of title terms, initials and whole titles for suggestions (GIN), and the
English words of titles and summaries for "did you mean" (GIN, pg_trgm). On SQLite the same table
is created with text columns and plain indexes (the PostgreSQL backend needs PostgreSQL).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'a8b9c0d1e2f4'
down_revision = 'f708192a3b43'
branch_labels = None
depends_on = None

TSVECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        'search_documents',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('district_code', sa.String(length=12), nullable=False),
        sa.Column('district_prefix', sa.String(length=6), nullable=False),
        sa.Column('category', sa.String(length=60), nullable=False),
        sa.Column('price_fen', sa.BigInteger(), nullable=False),
        sa.Column('area_m2', sa.Integer(), nullable=True),
        sa.Column('accepts_vouchers', sa.Boolean(), nullable=False),
        sa.Column('published_ts', sa.BigInteger(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('text_tsv', TSVECTOR, nullable=False),
        sa.Column('title_tsv', TSVECTOR, nullable=False),
        sa.Column('title_zh', sa.Text(), nullable=False),
        sa.Column('title_en', sa.Text(), nullable=False),
        sa.Column('spell_title', sa.Text(), nullable=False),
        sa.Column('spell_summary', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['id'], ['listings.id'],
                                name=op.f('fk_search_documents_id_listings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_district_code'), ['district_code'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_district_prefix'),
                              ['district_prefix'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_price_fen'), ['price_fen'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_published_ts'), ['published_ts'],
                              unique=False)
        batch_op.create_index('ix_search_documents_text_tsv', ['text_tsv'], unique=False,
                              postgresql_using='gin')
        batch_op.create_index('ix_search_documents_title_tsv', ['title_tsv'], unique=False,
                              postgresql_using='gin')
        batch_op.create_index('ix_search_documents_spell_title', ['spell_title'], unique=False,
                              postgresql_using='gin',
                              postgresql_ops={'spell_title': 'gin_trgm_ops'})
        batch_op.create_index('ix_search_documents_spell_summary', ['spell_summary'],
                              unique=False, postgresql_using='gin',
                              postgresql_ops={'spell_summary': 'gin_trgm_ops'})


def downgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        for name in ('spell_summary', 'spell_title', 'title_tsv', 'text_tsv', 'published_ts',
                     'price_fen', 'district_prefix', 'district_code', 'kind'):
            batch_op.drop_index(f'ix_search_documents_{name}')
    op.drop_table('search_documents')
    # pg_trgm stays: other databases objects may use it, and it is harmless
