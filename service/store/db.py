"""Engines and migrations.

SQLite is the default store (one file in the data directory, no server to run);
PostgreSQL is used when a ``postgresql://`` URL is given. For SQLite every
connection is put in WAL mode with ``synchronous=FULL``: WAL lets the hotspot
and list queries read while an ingest writes, and FULL makes every commit
reach the disk before it returns, so a 2xx (sent only after the commit) is
never lost, even to a power cut.

The schema is created and upgraded by Alembic (``migrate``), run at every start:
an upgrade of hotline-nlp upgrades the store in place and keeps its data.
"""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

BUSY_TIMEOUT_S = 30


class StoreError(RuntimeError):
    """The database cannot be opened or migrated (message names the URL)."""


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's default is psycopg2,
    which we do not ship)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix) and importlib.util.find_spec("psycopg2") is None:
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the file's folder is created."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r} (e.g. sqlite:///path/to/complaints.db)") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                folder = Path(parsed.database).expanduser().parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as e:
                    raise StoreError(f"cannot create the store's folder {folder}: {e.strerror}") from None
            engine = create_engine(
                parsed,
                connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
                pool_size=8,
                max_overflow=8,
            )
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=8)
    except StoreError:
        raise
    except Exception as e:  # missing driver, bad options
        raise StoreError(f"cannot open {safe_url(url)}: {e}") from None
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def migrations_dir() -> Path:
    return Path(str(resources.files("hotline_nlp.service") / "migrations"))


def alembic_config(connection=None, script_location: str | Path | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location or migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head", script_location: str | Path | None = None) -> None:
    """Bring the schema to ``revision`` (default: the newest). Safe to run on
    every start: an up-to-date store is left alone. ``script_location`` is for
    tests that add a revision of their own."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        with engine.begin() as conn:
            cfg = alembic_config(conn, script_location)
            found = MigrationContext.configure(conn).get_current_revision()
            if found is not None and found not in {
                s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()
            }:
                raise StoreError(
                    f"{safe_url(str(engine.url))} is at schema revision {found!r}, written by a newer "
                    "hotline-nlp than this one: upgrade hotline-nlp (the store was left untouched)"
                )
            command.upgrade(cfg, revision)
            if conn.dialect.name == "sqlite":  # a later migration's table copy drops the index's triggers
                from hotline_nlp.service.store.search import repair_sqlite

                repair_sqlite(conn)
    except StoreError:
        raise
    except Exception as e:
        raise StoreError(f"cannot migrate {safe_url(str(engine.url))}: {type(e).__name__}: {e}") from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def open_store(url: str) -> Engine:
    """Engine with the schema at head: what the server and the CLI use."""
    engine = make_engine(url)
    migrate(engine)
    return engine
