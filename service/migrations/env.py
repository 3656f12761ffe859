"""Alembic environment: run with the connection the caller passes in
``config.attributes["connection"]`` (see ``store.db.migrate``), or, for the
alembic CLI, with ``sqlalchemy.url`` from the config."""

from alembic import context
from hotline_nlp.service.store.search import is_search_object
from hotline_nlp.service.store.tables import Base
from sqlalchemy import create_engine

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # the search index (migration 0006) is not modelled in tables.py
        include_name=lambda name, type_, parents: not is_search_object(name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
