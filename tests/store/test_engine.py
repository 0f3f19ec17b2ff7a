"""Engines and column types: SQLite settings, real transactions, UTC timestamps, JSON lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from store.db import make_engine, session_factory
from store.models import Incident, KeyValue
from tests.store import factories

OpenEngine = Callable[[str], sa.Engine]
LONDON_SUMMER = dt.timezone(dt.timedelta(hours=1), "BST")


def test_sqlite_file_gets_its_directory_and_settings(
    tmp_path: Path, open_engine: OpenEngine
) -> None:
    path = tmp_path / "not" / "yet" / "there.sqlite"
    engine = open_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "synchronous", "foreign_keys")
        }
    assert path.is_file()
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1}


def test_sqlite_ddl_rolls_back(tmp_path: Path, open_engine: OpenEngine) -> None:
    """The engine emits BEGIN itself, so DDL is transactional (a failed migration undoes)."""
    engine = open_engine(f"sqlite:///{tmp_path / 'ddl.sqlite'}")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE scratch (id INTEGER)")
        connection.rollback()
    assert sa.inspect(engine).get_table_names() == []


def test_postgresql_url_without_a_driver_uses_psycopg() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_timestamps_come_back_aware_in_utc(session: Session) -> None:
    written = dt.datetime(2026, 6, 1, 22, 15, tzinfo=LONDON_SUMMER)
    session.add(KeyValue(key="last_poll", value={"ok": True}, updated_at=written))
    session.commit()
    session.expunge_all()
    stored = session.get_one(KeyValue, "last_poll")
    assert stored.updated_at == written
    assert stored.updated_at.tzinfo == dt.UTC
    assert stored.updated_at.hour == 21


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(KeyValue(key="last_poll", value=1, updated_at=dt.datetime(2026, 6, 1, 22, 15)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()
    session.rollback()


def test_incident_fields_round_trip(session: Session) -> None:
    resident = factories.resident(session)
    attachment = factories.attachment(session, None)
    session.flush()
    case = factories.case(session, resident.id, None)
    session.flush()
    session.add(
        Incident(
            case_id=case.id,
            resident_id=resident.id,
            attachment_id=attachment.id,
            source_row="table 2 row 5",
            occurred_on=dt.date(2026, 1, 3),
            time=dt.time(23, 40),
            date_text="Sat 3rd Jan",
            persons=["Mr K", "his son"],
            categories=["noise"],
            reported_on=dt.date(2026, 1, 5),
            fingerprint="abc",
        )
    )
    session.commit()
    session.expunge_all()
    incident = session.scalars(sa.select(Incident)).one()
    assert (incident.occurred_on, incident.time) == (dt.date(2026, 1, 3), dt.time(23, 40))
    assert (incident.persons, incident.witnesses, incident.categories) == (
        ["Mr K", "his son"],
        [],
        ["noise"],
    )
    assert (incident.urgent, incident.person_confirmed) == (False, False)
    assert incident.created_at.tzinfo == dt.UTC


def test_sessions_keep_objects_readable_after_commit(engine: sa.Engine) -> None:
    with session_factory(engine)() as session:
        row = KeyValue(key="k", value=[1, 2], updated_at=factories.NOW)
        session.add(row)
        session.commit()
    assert row.value == [1, 2]
