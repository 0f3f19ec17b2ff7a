"""What the worker last did, kept in the `kv` table so `status` and the digest can tell a healthy
worker from a silent one, whichever process asks.

One row per mailbox, key "worker:<mailbox>", holding a small JSON object (no personal data:
times, counts and an error message that names message ids, never contents).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import kv
from store.models import KeyValue

_PREFIX = "worker:"


@dataclass(frozen=True)
class PollCounts:
    """What one poll cycle did."""

    seen: int = 0
    recorded: int = 0
    review: int = 0
    quarantined: int = 0
    left_unrelated: int = 0
    already_recorded: int = 0
    backlog: int = 0


@dataclass(frozen=True)
class WorkerState:
    mailbox: str
    last_attempt_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    consecutive_failures: int = 0
    last_counts: PollCounts = field(default_factory=PollCounts)
    admin_alerted_at: dt.datetime | None = None

    def failing(self, threshold: int) -> bool:
        """True once `threshold` polls in a row have failed."""
        return self.consecutive_failures >= threshold


def read(session: Session, mailbox: str) -> WorkerState:
    value = kv.get(session, _PREFIX + mailbox)
    return _decode(mailbox, value) if value is not None else WorkerState(mailbox)


def read_all(session: Session) -> list[WorkerState]:
    rows = session.scalars(select(KeyValue).where(KeyValue.key.startswith(_PREFIX)))
    return [_decode(row.key.removeprefix(_PREFIX), row.value) for row in rows]


def record_success(
    session: Session, mailbox: str, *, now: dt.datetime, counts: PollCounts
) -> WorkerState:
    previous = read(session, mailbox)
    state = WorkerState(
        mailbox=mailbox,
        last_attempt_at=now,
        last_success_at=now,
        last_error=previous.last_error,
        last_error_at=previous.last_error_at,
        consecutive_failures=0,
        last_counts=counts,
        admin_alerted_at=None,
    )
    _write(session, state)
    return state


def record_failure(session: Session, mailbox: str, *, now: dt.datetime, error: str) -> WorkerState:
    previous = read(session, mailbox)
    state = WorkerState(
        mailbox=mailbox,
        last_attempt_at=now,
        last_success_at=previous.last_success_at,
        last_error=error,
        last_error_at=now,
        consecutive_failures=previous.consecutive_failures + 1,
        last_counts=previous.last_counts,
        admin_alerted_at=previous.admin_alerted_at,
    )
    _write(session, state)
    return state


def mark_admin_alerted(session: Session, mailbox: str, *, now: dt.datetime) -> None:
    previous = read(session, mailbox)
    _write(session, WorkerState(**{**_fields(previous), "admin_alerted_at": now}))


def _fields(state: WorkerState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in WorkerState.__dataclass_fields__}


def _write(session: Session, state: WorkerState) -> None:
    value = {
        "last_attempt_at": _iso(state.last_attempt_at),
        "last_success_at": _iso(state.last_success_at),
        "last_error": state.last_error,
        "last_error_at": _iso(state.last_error_at),
        "consecutive_failures": state.consecutive_failures,
        "last_counts": asdict(state.last_counts),
        "admin_alerted_at": _iso(state.admin_alerted_at),
    }
    kv.put(session, _PREFIX + state.mailbox, value)


def _decode(mailbox: str, value: dict[str, Any]) -> WorkerState:
    return WorkerState(
        mailbox=mailbox,
        last_attempt_at=_time(value.get("last_attempt_at")),
        last_success_at=_time(value.get("last_success_at")),
        last_error=value.get("last_error"),
        last_error_at=_time(value.get("last_error_at")),
        consecutive_failures=int(value.get("consecutive_failures", 0)),
        last_counts=PollCounts(**value.get("last_counts", {})),
        admin_alerted_at=_time(value.get("admin_alerted_at")),
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Cursor:
    """How far the worker has read a folder: UIDs up to `after_uid` are settled (recorded,
    moved, or left as other enquiries), valid only while the folder's UIDVALIDITY is the same."""

    uidvalidity: int | None = None
    after_uid: int = 0


def read_cursor(session: Session, mailbox: str, folder: str) -> Cursor:
    value = kv.get(session, f"cursor:{mailbox}:{folder}")
    if value is None:
        return Cursor()
    return Cursor(uidvalidity=value.get("uidvalidity"), after_uid=int(value["after_uid"]))


def write_cursor(session: Session, mailbox: str, folder: str, cursor: Cursor) -> None:
    value = {"uidvalidity": cursor.uidvalidity, "after_uid": cursor.after_uid}
    kv.put(session, f"cursor:{mailbox}:{folder}", value)
