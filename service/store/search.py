"""Free-text search over complaint texts, answered from an index.

The console's search box used to be ``text LIKE '%q%'``: a scan of every text,
1.3 s at 100,000 complaints. Migration 0006 adds an index and this module
holds its DDL (shared by the migration and the repair after later migrations)
and the search condition:

* SQLite: an FTS5 table ``complaints_fts`` with the ``trigram`` tokenizer
  (SQLite >= 3.34), external content (it stores no copy of the texts, only the
  trigrams, keyed by the complaints' ``rowid``), kept in sync by three triggers.
  A query of 3 or more characters is answered as ``rowid IN (FTS MATCH "q")
  AND text LIKE '%q%'``: the match is a superset of the LIKE (trigrams are
  case-folded, every substring's trigrams are consecutive), so the LIKE keeps
  the result set exactly what it was, and only checks the matched rows.
  Trigrams cannot answer a query under 3 characters (暖气): that stays the
  LIKE scan, bounded by the caller's LIMITs (page rows newest first, a capped
  count), so a common word stops early; a rare short word still reads every row.
* PostgreSQL: a ``pg_trgm`` GIN index on ``text``, which the planner uses for
  the same ``LIKE`` by itself (where the extension could not be created the
  migration says so and search scans, as before).

SQLite drops a table's triggers with the table, and Alembic's batch mode
(how a later migration alters ``complaints`` on SQLite) copies the table and
drops the old one: ``repair_sqlite`` (run by ``db.migrate`` after every
upgrade) puts the triggers back and rebuilds the index when they are missing.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, and_, text

FTS_TABLE = "complaints_fts"
PG_INDEX = "ix_complaints_text_trgm"
MIN_INDEXED = 3  # characters: the trigram index answers nothing shorter
_TRIGGERS = {
    "complaints_fts_ai": f"""CREATE TRIGGER complaints_fts_ai AFTER INSERT ON complaints BEGIN
  INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.rowid, new.text);
END""",
    "complaints_fts_ad": f"""CREATE TRIGGER complaints_fts_ad AFTER DELETE ON complaints BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text);
END""",
    "complaints_fts_au": f"""CREATE TRIGGER complaints_fts_au AFTER UPDATE OF text ON complaints BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.rowid, new.text);
END""",
}
log = logging.getLogger(__name__)


def is_search_object(name: str | None) -> bool:
    """The index's own tables and indexes, which ``tables.py`` does not model
    (for Alembic's ``include_name``: comparing models and schema skips them)."""
    return bool(name) and (name == PG_INDEX or name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))


def create_sqlite(conn: Connection) -> None:
    """The FTS5 table and its triggers, filled from the stored rows."""
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "text, content='complaints', content_rowid='rowid', tokenize='trigram')"
    )
    for ddl in _TRIGGERS.values():
        conn.exec_driver_sql(ddl)
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def drop_sqlite(conn: Connection) -> None:
    for name in _TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def repair_sqlite(conn: Connection) -> bool:
    """Put back triggers a table copy dropped, and rebuild the index from the
    rows (whose rowids the copy may have renumbered). True when it had to."""
    names = {
        r[0]
        for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    }
    if FTS_TABLE not in names or all(t in names for t in _TRIGGERS):
        return False
    for name, ddl in _TRIGGERS.items():
        if name not in names:
            conn.exec_driver_sql(ddl)
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    log.warning("search index: triggers were missing (the complaints table was copied); rebuilt")
    return True


def create_postgres(conn: Connection) -> bool:
    """The pg_trgm GIN index; False (with a warning) where the extension cannot
    be created (not installed, no privilege): search then scans, as before."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as e:  # noqa: BLE001 - any refusal means the same: no index
        log.warning("search index not created: extension pg_trgm unavailable (%s); search scans texts", e)
        return False
    conn.exec_driver_sql(f"CREATE INDEX {PG_INDEX} ON complaints USING gin (text gin_trgm_ops)")
    return True


def drop_postgres(conn: Connection) -> None:
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


def fts_phrase(q: str) -> str:
    """``q`` as one FTS5 phrase: quoted, inner quotes doubled, so no character
    of it is query syntax (AND, *, :, ^, parentheses are all plain text)."""
    return '"' + q.replace('"', '""') + '"'


def text_condition(column, q: str, dialect: str):
    """Rows whose text contains ``q`` (exactly the LIKE's set), from the index where one answers."""
    like = column.contains(q, autoescape=True)
    if dialect != "sqlite" or len(q) < MIN_INDEXED:
        return like  # PostgreSQL's planner takes the trigram index for the LIKE itself
    matched = text(
        f"complaints.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :search_phrase)"
    ).bindparams(search_phrase=fts_phrase(q))
    return and_(matched, like)
