"""search: an index for the console's free-text search

``text LIKE '%q%'`` read every complaint (1.3 s at 100,000). SQLite gets an
FTS5 trigram table over ``complaints.text`` (external content, kept in sync by
triggers, filled here from the stored rows); PostgreSQL a ``pg_trgm`` GIN
index, where the extension can be created (otherwise a warning, and search
scans as before). DDL and query: ``service/store/search.py``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

"""

from typing import Sequence, Union

from alembic import op
from hotline_nlp.service.store import search

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        search.create_sqlite(conn)
    elif conn.dialect.name == "postgresql":
        search.create_postgres(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        search.drop_sqlite(conn)
    elif conn.dialect.name == "postgresql":
        search.drop_postgres(conn)
