"""One call to append to the audit log, so every change says who made it and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditEntry


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | str | None,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail,
        )
    )
