"""Small named values in the `kv` table (worker state, cursors, the last digest's time)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.models import KeyValue


def get(session: Session, key: str) -> Any | None:
    row = session.get(KeyValue, key)
    return row.value if row is not None else None


def put(session: Session, key: str, value: Any) -> None:
    row = session.get(KeyValue, key)
    if row is None:
        session.add(KeyValue(key=key, value=value))
    else:
        row.value = value
    session.flush()
