"""Engines, sessions and the schema version: the store's only contact with a database URL.

`database.url` may name a SQLite file (the default) or a PostgreSQL server; the same code runs
on both. Migrations run through Alembic programmatically (`upgrade`, `downgrade`), with no
alembic.ini on disk: `alembic_config()` builds the configuration in code. `check_schema` is
what the worker calls before it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
UPGRADE_COMMAND = "diarydesk db upgrade"


class SchemaOutOfDate(Exception):
    """The database is not at the schema revision this code expects; run `diarydesk db upgrade`."""

    def __init__(self, current: tuple[str, ...], expected: tuple[str, ...]) -> None:
        super().__init__(f"The database schema is out of date; run `{UPGRADE_COMMAND}`.")
        self.current = current
        self.expected = expected


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL, foreign keys and real transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install; SQLAlchemy 2.0 would otherwise pick psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit (`expire_on_commit=False`)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module, which would skip it before DDL and SELECT
    # (its legacy transaction control), so that migrations and reads are transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of page cache (the default is 2 MiB): index pages of a million-incident store
        # then stay in memory, so a lookup costs the same at 10k rows and at 1M.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def set_sqlite_foreign_keys(connection: Connection, *, enabled: bool) -> None:
    """Switch SQLite's foreign-key enforcement; only possible outside a transaction."""
    if connection.in_transaction():
        raise RuntimeError("PRAGMA foreign_keys has no effect inside a transaction")
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection has no DBAPI connection")
    driver.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def alembic_config() -> Config:
    """Alembic's configuration, built in code: the scripts are the package's `migrations/`."""
    config = Config()
    # ConfigParser interpolates "%": literal ones are doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def head_revisions() -> tuple[str, ...]:
    """The revision(s) the code expects: the heads of `migrations/versions`."""
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revision(s) the database is at; empty for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def check_schema(engine: Engine) -> None:
    """Raise `SchemaOutOfDate` unless the database is exactly at the migrations' head."""
    current, expected = current_revisions(engine), head_revisions()
    if set(current) != set(expected):
        raise SchemaOutOfDate(current, expected)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` forward to `revision` (`diarydesk db upgrade`)."""
    _run_alembic(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` back to `revision` ("-1" for one step, "base" for empty)."""
    _run_alembic(url, lambda config: command.downgrade(config, revision))


def _run_alembic(url: str, action: Callable[[Config], None]) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            # env.py runs the migrations on this connection instead of opening its own.
            config.attributes["connection"] = connection
            action(config)
    finally:
        engine.dispose()
