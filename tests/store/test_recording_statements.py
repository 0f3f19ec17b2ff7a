"""Recording a sheet costs a fixed number of statements, however many rows it has.

Each statement is a round trip to PostgreSQL: a sheet of 10 incidents must not cost twice what
a sheet of 5 does. Counted with SQLAlchemy's `before_execute` (one per statement sent, a
multi-row INSERT counting once); every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from parsers import parse_sheet
from parsers.template import HEADER_LABELS, Entry, build_template
from store.models import AuditEntry, Incident, IncidentSource, ReferenceLink
from store.recording import RecordOutcome, SheetInput, SourceMessage, record_message

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


def _rows(count: int, *, start: int = 1) -> list[Entry]:
    return [
        Entry(
            f"{day:02d}/03/2026",
            "9pm",
            "outside my door",
            f"He shouted abuse at me on day {day} and kicked the door.",
            "Gary Hollis",
            "",
            "",
            f"{1000 + day}/0{day % 9 + 1}MAR",
        )
        for day in range(start, start + count)
    ]


def _header(name: str) -> dict[str, str]:
    values = (
        name,
        "14 Elm Road, Melton LE13 0AB",
        "07700 900123",
        "",
        "",
        "Gary Hollis",
        "16 Elm Road",
        "PC 2231 Dan Whitlock",
        "43260012345",
    )
    return dict(zip(HEADER_LABELS, values, strict=True))


@contextmanager
def _counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, clause: Any, *_args: Any) -> None:
        statements.append(str(clause))

    engine = session.get_bind()
    event.listen(engine, "before_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_execute", count)


def _send(session: Session, sender: str, entries: list[Entry], n: int) -> tuple[int, RecordOutcome]:
    data = build_template(header=_header(sender), entries=entries, blank_rows=0)
    sheet = SheetInput("diary.docx", data, parse_sheet(data, received=NOW))
    message = SourceMessage(
        raw=f"From: {sender}\r\nSubject: {n}\r\n\r\n".encode() + data,
        received_at=NOW,
        mailbox="asb@example.org",
        uidvalidity=1,
        uid=n,
        sender=sender,
    )
    with _counted(session) as statements:
        outcome = record_message(session, message, [sheet], now=NOW)
        session.commit()
    return len(statements), outcome


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_longer_sheet_costs_no_more_statements(session: Session) -> None:
    # Two neighbours first: the person is known on the street, and each later sheet about
    # them meets the same thresholds (course of conduct across residents).
    _send(session, "first@example.org", _rows(1), 1)
    _send(session, "second@example.org", _rows(1), 2)
    short, short_outcome = _send(session, "aisha@example.org", _rows(3), 3)
    long, long_outcome = _send(session, "bob@example.org", _rows(9), 4)
    assert (len(short_outcome.new_incident_ids), len(long_outcome.new_incident_ids)) == (3, 9)
    assert [str(c.rule) for c in short_outcome.crossings] == [
        str(c.rule) for c in long_outcome.crossings
    ]
    assert short == long


def test_a_growing_diary_costs_no_more_statements(session: Session) -> None:
    _send(session, "aisha@example.org", _rows(2), 1)
    _send(session, "aisha@example.org", _rows(3), 2)  # both thresholds are met from now on
    resent, resent_outcome = _send(session, "aisha@example.org", _rows(4), 3)
    grown, grown_outcome = _send(session, "aisha@example.org", _rows(9), 4)
    assert (len(resent_outcome.new_incident_ids), len(resent_outcome.repeated_incident_ids)) == (
        1,
        3,
    )
    assert (len(grown_outcome.new_incident_ids), len(grown_outcome.repeated_incident_ids)) == (5, 4)
    assert resent == grown
    # Each copy is still a source, each reference linked once, each change audited.
    assert _count(session, Incident) == 9
    assert _count(session, IncidentSource) == 2 + 3 + 4 + 9
    linked = [
        incident_id
        for incident_id in session.scalars(select(ReferenceLink.incident_id))
        if incident_id is not None
    ]
    assert sorted(linked) == sorted(session.scalars(select(Incident.id)))
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "incident"))
    assert sorted(actions) == sorted(["incident.record"] * 9 + ["incident.repeat"] * 9)
