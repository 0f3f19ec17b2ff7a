"""Minimal valid rows for the store tests; each test adds only the fields it is about."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.orm import Session

from store.enums import AttachmentStatus, CaseStatus
from store.models import Attachment, Blob, Case, Message, Person, Resident

NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def blob(session: Session, data: bytes = b"raw message") -> Blob:
    row = Blob(sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data)
    session.add(row)
    session.flush()  # no relationship() orders the INSERTs, so the blob goes in first
    return row


def message(session: Session, data: bytes = b"raw message", uid: int | None = 7) -> Message:
    stored = blob(session, data)
    row = Message(
        mailbox="asb@example.org",
        folder="INBOX",
        uidvalidity=1_700_000_000,
        uid=uid,
        received_at=NOW,
        sha256=stored.sha256,
    )
    session.add(row)
    return row


def attachment(session: Session, message_pk: int | None, data: bytes = b"sheet") -> Attachment:
    stored = session.get(Blob, hashlib.sha256(data).hexdigest()) or blob(session, data)
    row = Attachment(
        message_pk=message_pk,
        filename="diary.docx",
        sha256=stored.sha256,
        status=AttachmentStatus.PARSED,
        parser_version="1",
    )
    session.add(row)
    return row


def resident(session: Session, email: str = "resident@example.org") -> Resident:
    row = Resident(email=email, name="A Resident")
    session.add(row)
    return row


def person(session: Session, name: str = "Neighbour at 12") -> Person:
    row = Person(display_name=name)
    session.add(row)
    return row


def case(session: Session, resident_id: int, person_id: int | None) -> Case:
    row = Case(resident_id=resident_id, person_id=person_id, status=CaseStatus.OPEN, opened_at=NOW)
    session.add(row)
    return row
