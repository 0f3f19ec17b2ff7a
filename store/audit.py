"""One call to append to the audit log, so every change says who made it and why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from store.base import utcnow
from store.models import AuditEntry

# session.info key of the entries held back by `batched`.
_PENDING = "diarydesk.audit.pending"


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | str | None,
    **detail: Any,
) -> None:
    add(
        session,
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail,
        ),
    )


def add(session: Session, entry: AuditEntry) -> None:
    """Append a built entry (`at` may be set); held back like `audit`'s inside `batched`."""
    pending: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if pending is None:
        session.add(entry)
        return
    pending.append(
        {
            # Stamped when the change is made, not when the batch is written.
            "at": entry.at or utcnow(),
            "actor": entry.actor,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "detail": entry.detail,
        }
    )


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Hold back the entries `audit` makes in the block and write them together at its end.

    A recording flushes several times (each new row's id is needed by the next), and every
    flush would otherwise write the entries made since the last one: held back, they go in as
    one multi-row INSERT when the block ends. When it ends with an exception they are added
    to the session instead (nothing is sent then, so the error is not masked): whatever the
    caller does with the changes, their audit entries go with them. Nested blocks write
    theirs with the outermost.
    """
    if _PENDING in session.info:
        yield
        return
    pending: list[dict[str, Any]] = []
    session.info[_PENDING] = pending
    try:
        yield
    except BaseException:
        del session.info[_PENDING]
        session.add_all(AuditEntry(**values) for values in pending)
        raise
    del session.info[_PENDING]
    if pending:
        session.execute(insert(AuditEntry), pending)
