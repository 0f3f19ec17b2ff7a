"""Database fixtures for every test package: a test asking for `db_url` runs on both backends.

SQLite is a file in the test's temporary directory. PostgreSQL is a fresh database created for
each test on the server named by DIARYDESK_TEST_POSTGRES (default: the local `test` database,
trust auth) and dropped afterwards. When that server cannot be reached the PostgreSQL variant
is skipped, except under CI=true, where it fails: CI must never pass without it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from store.db import make_engine, session_factory, upgrade

BACKENDS = ("sqlite", "postgresql")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 5

DatabaseFactory = Callable[[], str]


def _admin_dsn() -> str:
    return os.environ.get("DIARYDESK_TEST_POSTGRES", DEFAULT_POSTGRES)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """The DSN of a reachable PostgreSQL server with CREATEDB rights (or skip / fail)."""
    dsn = _admin_dsn()
    try:
        with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
        _unavailable(
            f"PostgreSQL at {dsn} is unreachable ({first_line}); set DIARYDESK_TEST_POSTGRES"
        )
    return dsn


def _sqlalchemy_url(admin_dsn: str, database: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(admin_dsn)
    user = info.get("user", "postgres")
    host = info.get("host", "127.0.0.1")
    port = info.get("port", 5432)
    return f"postgresql+psycopg://{user}@{host}:{port}/{database}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def make_db_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[DatabaseFactory]:
    """Make empty databases of the test's backend; each is removed when the test ends."""
    created: list[str] = []
    admin = request.getfixturevalue("postgres_admin") if backend == "postgresql" else ""

    def make() -> str:
        name = f"diarydesk_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / 'db' / f'{name}.sqlite'}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return _sqlalchemy_url(admin, name)

    yield make
    if created:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in created:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture
def db_url(make_db_url: DatabaseFactory) -> str:
    """An empty database (ids "sqlite" and "postgresql")."""
    return make_db_url()


@pytest.fixture
def open_engine() -> Iterator[Callable[[str], Engine]]:
    """`make_engine` whose engines are disposed of when the test ends."""
    engines: list[Engine] = []

    def open_(url: str) -> Engine:
        engines.append(make_engine(url))
        return engines[-1]

    yield open_
    for engine in engines:
        engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database upgraded to the migrations' head."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session
