"""The database, not application code, enforces exactly-once and one-open-case rules."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from store.enums import CaseStatus, MessageState, ReferenceKind, ReferenceSource
from store.models import Blob, Message, PoliceReference, ReferenceLink
from tests.store import factories


def _refused(session: Session) -> None:
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_second_open_case_for_the_same_resident_and_person_is_refused(session: Session) -> None:
    resident, person = factories.resident(session), factories.person(session)
    session.flush()
    first = factories.case(session, resident.id, person.id)
    session.commit()

    factories.case(session, resident.id, person.id)
    _refused(session)

    first.status = CaseStatus.CLOSED
    first.closed_at = factories.NOW
    session.commit()
    factories.case(session, resident.id, person.id)
    session.commit()


def test_second_open_case_with_an_unknown_person_is_refused(session: Session) -> None:
    resident = factories.resident(session)
    session.flush()
    first = factories.case(session, resident.id, None)
    session.commit()

    factories.case(session, resident.id, None)
    _refused(session)

    first.status = CaseStatus.CLOSED
    session.commit()
    factories.case(session, resident.id, None)
    session.commit()


def test_open_cases_for_different_people_coexist(session: Session) -> None:
    resident = factories.resident(session)
    one, other = factories.person(session, "One"), factories.person(session, "Other")
    session.flush()
    factories.case(session, resident.id, one.id)
    factories.case(session, resident.id, other.id)
    factories.case(session, resident.id, None)
    session.commit()


def test_the_same_imap_message_is_recorded_once(session: Session) -> None:
    factories.message(session, b"first", uid=7)
    session.commit()
    factories.message(session, b"second copy, same uid", uid=7)
    _refused(session)
    factories.message(session, b"next", uid=8)
    session.commit()


def test_the_same_raw_bytes_are_one_message(session: Session) -> None:
    first = factories.message(session, b"raw", uid=7)
    session.commit()
    session.add(
        Message(
            mailbox="other@example.org",
            folder="INBOX",
            received_at=factories.NOW,
            sha256=first.sha256,
        )
    )
    _refused(session)


def test_a_blob_is_stored_once(session: Session) -> None:
    data = b"bytes"
    key = hashlib.sha256(data).hexdigest()
    session.add(Blob(sha256=key, size=len(data), data=data))
    session.commit()
    session.expunge_all()
    session.add(Blob(sha256=key, size=len(data), data=data))
    _refused(session)


def test_the_same_file_from_disk_is_one_attachment(session: Session) -> None:
    factories.attachment(session, None, b"sheet")
    session.commit()
    factories.attachment(session, None, b"sheet")
    _refused(session)


def test_the_same_file_in_two_messages_is_two_attachments(session: Session) -> None:
    first, second = factories.message(session, b"a", uid=1), factories.message(session, b"b", uid=2)
    session.flush()
    factories.attachment(session, first.id, b"sheet")
    factories.attachment(session, second.id, b"sheet")
    session.commit()
    factories.attachment(session, first.id, b"sheet")
    _refused(session)


def test_a_reference_link_needs_a_case_or_an_incident(session: Session) -> None:
    reference = PoliceReference(text="CAD 1234", kind=ReferenceKind.INCIDENT)
    session.add(reference)
    session.flush()
    session.add(ReferenceLink(reference_id=reference.id, source=ReferenceSource.EMAIL_BODY))
    _refused(session)


def test_foreign_keys_are_enforced(session: Session) -> None:
    factories.case(session, resident_id=999, person_id=None)
    _refused(session)


def test_the_orm_refuses_an_unknown_status(session: Session) -> None:
    message = factories.message(session)
    message.state = "lost"  # type: ignore[assignment]
    with pytest.raises(StatementError, match="lost"):
        session.flush()
    session.rollback()


def test_the_database_refuses_an_unknown_status(engine: sa.Engine, session: Session) -> None:
    factories.message(session)
    session.commit()
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.text("UPDATE messages SET state = 'lost'"))
    assert session.scalars(sa.select(Message.state)).one() == MessageState.RECEIVED
