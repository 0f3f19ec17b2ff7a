"""Put a finished email in the outbox table, once per idempotency key."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.enums import AlertState
from store.models import Alert

MESSAGE_ID_DOMAIN = "diarydesk.invalid"


def message_id_for(key: str) -> str:
    """A stable Message-ID: a resend after a crash carries the same id, so mail clients can
    fold the two copies into one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None,
    now: dt.datetime,
    case_id: int | None = None,
) -> Alert | None:
    """The new outbox row, or None when `key` was queued before (by this or another worker)."""
    if session.scalars(select(Alert.id).where(Alert.idempotency_key == key)).first() is not None:
        return None
    row = Alert(
        idempotency_key=key,
        kind=kind,
        case_id=case_id,
        state=AlertState.PENDING,
        payload={"to": list(to), "subject": subject, "text": text, "html": html},
        attempts=0,
        next_attempt_at=now,
        message_id_header=message_id_for(key),
        created_at=now,
    )
    try:
        # A savepoint: another worker inserting the same key between our check and our insert
        # costs this row only, not the caller's whole transaction.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row
