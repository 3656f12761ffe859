"""The durable complaint store: SQLAlchemy tables, engine set-up with
migrations, and the repository functions the routers and the CLI call."""
