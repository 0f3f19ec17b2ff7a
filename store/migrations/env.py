"""Alembic environment: runs the migrations on the connection `store.db` hands over.

`store.db.upgrade()` / `downgrade()` put an open connection in `config.attributes`; the
`alembic` command line (for writing new revisions) may give `sqlalchemy.url` instead. On SQLite,
migrations run in batch mode (`render_as_batch`: ALTER by copying the table) with foreign keys
switched off for the duration, as SQLite's table-rebuild procedure requires; a
`PRAGMA foreign_key_check` before commit makes sure the rebuilt tables still agree.
Batch mode drops and re-creates a table, and with it its triggers: a migration that batch-alters
`audit_log` must re-create the append-only triggers of 0001.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from store import models
from store.db import make_engine, set_sqlite_foreign_keys


def run_migrations(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=models.metadata,
        render_as_batch=is_sqlite,
        # Alembic assumes SQLite DDL cannot be rolled back; with the BEGIN that store.db's
        # engine emits it can, so a failed upgrade leaves the database as it was.
        transactional_ddl=True,
        compare_type=True,
    )
    if is_sqlite:
        set_sqlite_foreign_keys(connection, enabled=False)
    try:
        with context.begin_transaction():
            context.run_migrations()
            if is_sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"foreign keys broken by the migration: {problems}")
    finally:
        if is_sqlite:
            set_sqlite_foreign_keys(connection, enabled=True)


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or use store.db.upgrade(url)")
    engine = make_engine(url)
    try:
        with engine.connect() as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; use `diarydesk db upgrade`")
run_migrations_online()
