"""The audit log is append-only: the ORM refuses changes, and so does the database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.append_only import AppendOnlyError
from store.models import AuditEntry
from tests.store import factories


def _entry(session: Session) -> AuditEntry:
    entry = AuditEntry(
        at=factories.NOW, actor="cli:alice", action="close", entity="case", entity_id="3"
    )
    session.add(entry)
    session.commit()
    return entry


def test_entries_can_be_added_and_read(session: Session) -> None:
    _entry(session)
    _entry(session)
    session.expunge_all()
    entries = session.scalars(sa.select(AuditEntry)).all()
    assert [(e.actor, e.at, e.detail) for e in entries] == [("cli:alice", factories.NOW, {})] * 2


def test_orm_refuses_to_change_an_entry(session: Session) -> None:
    entry = _entry(session)
    entry.action = "reopen"
    with pytest.raises(AppendOnlyError, match="audit_log is append-only"):
        session.flush()
    session.rollback()


def test_orm_refuses_to_delete_an_entry(session: Session) -> None:
    session.delete(_entry(session))
    with pytest.raises(AppendOnlyError, match="refusing to delete"):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [sa.update(AuditEntry).values(action="reopen"), sa.delete(AuditEntry)],
    ids=["update", "delete"],
)
def test_orm_refuses_bulk_statements(session: Session, statement: sa.Executable) -> None:
    _entry(session)
    with pytest.raises(AppendOnlyError):
        session.execute(statement)
    session.rollback()
    assert session.scalars(sa.select(AuditEntry.action)).all() == ["close"]


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_log SET action = 'reopen'", "DELETE FROM audit_log"],
    ids=["update", "delete"],
)
def test_database_refuses_raw_sql(engine: sa.Engine, session: Session, sql: str) -> None:
    _entry(session)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(sql))
    assert session.scalars(sa.select(AuditEntry.action)).all() == ["close"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_refuses_truncate(engine: sa.Engine, session: Session) -> None:
    """SQLite has no TRUNCATE; on PostgreSQL it would bypass the row triggers."""
    _entry(session)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE audit_log"))
