"""ORM guard for append-only tables (the audit log): refuse every UPDATE and DELETE.

`make_append_only(Model)` makes the ORM raise `AppendOnlyError`:
- at flush, for an instance that was changed (`before_update`) or `session.delete()`d
  (`before_delete`); the flush is rolled back;
- for ORM-enabled bulk statements, `session.execute(update(Model))` / `delete(Model)`, which
  bypass the mapper events (checked in the session's `do_orm_execute` hook).

Raw SQL through a Connection is not seen here; the database refuses it instead (the triggers
created by migration 0001 on both PostgreSQL and SQLite).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

_APPEND_ONLY: set[type[Any]] = set()


class AppendOnlyError(Exception):
    """A row of an append-only table was about to be changed or deleted; add a new row instead."""


def _message(model: type[Any], verb: str) -> str:
    table = getattr(model, "__tablename__", model.__name__)
    return f"{table} is append-only: refusing to {verb} a row; record a new entry instead."


def make_append_only(model: type[Any]) -> None:
    """Refuse ORM updates and deletes of `model`'s rows (see the module docstring)."""

    def refuse_update(_mapper: Mapper[Any], _connection: Connection, _target: Any) -> None:
        raise AppendOnlyError(_message(model, "update"))

    def refuse_delete(_mapper: Mapper[Any], _connection: Connection, _target: Any) -> None:
        raise AppendOnlyError(_message(model, "delete"))

    event.listen(model, "before_update", refuse_update)
    event.listen(model, "before_delete", refuse_delete)
    _APPEND_ONLY.add(model)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        if mapper.class_ in _APPEND_ONLY:
            raise AppendOnlyError(
                _message(mapper.class_, "update" if state.is_update else "delete")
            )
