"""Recording incidents once: a resent, growing diary adds only its new rows.

Residents send the same diary file again with rows added, or retype a row a little. Counting
one incident twice raises a false alarm about a person, so a parsed incident is matched against
the resident's stored incidents of the same day: same (or unstated) time and a description that
rapidfuzz finds similar. A match keeps the better-written copy and records where each copy
came from; anything else is a new incident.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from parsers.model import Incident as ParsedIncident
from store.models import Incident, IncidentSource

# token_set_ratio scores a description against the same words with more added at 100, which is
# what "lightly retyped, with a detail added" looks like; with no time to compare the bar is
# higher, because two short entries on one day can share most of their words.
SIMILAR_WITH_TIME = 85.0
SIMILAR_WITHOUT_TIME = 92.0


@dataclass(frozen=True)
class Recorded:
    incident: Incident
    new: bool


def fingerprint(resident_id: int, parsed: ParsedIncident) -> str:
    words = " ".join((parsed.description or "").lower().split())[:200]
    key = f"{resident_id}|{parsed.date}|{parsed.time}|{words}"
    return hashlib.sha256(key.encode()).hexdigest()


def _similar(stored: Incident, parsed: ParsedIncident) -> bool:
    if stored.time is not None and parsed.time is not None and stored.time != parsed.time:
        return False
    a, b = (stored.description or "").lower(), (parsed.description or "").lower()
    if not a and not b:
        return stored.time == parsed.time
    bar = SIMILAR_WITH_TIME if stored.time and parsed.time else SIMILAR_WITHOUT_TIME
    return fuzz.token_set_ratio(a, b) >= bar


def _quality(values: Incident | ParsedIncident, description: str | None) -> tuple[int, int, int]:
    """Better written: fewer warnings, more fields filled in, then the longer description."""
    filled = sum(
        1
        for name in ("time", "end_time", "location", "effect")
        if getattr(values, name, None) is not None
    )
    return (-len(values.warnings), filled, len(description or ""))


def _copy_fields(incident: Incident, parsed: ParsedIncident) -> None:
    incident.occurred_on = parsed.date
    incident.time = parsed.time
    incident.end_date = parsed.end_date
    incident.end_time = parsed.end_time
    incident.date_text = parsed.date_text
    incident.time_text = parsed.time_text
    incident.duration_text = parsed.duration_text
    incident.location = parsed.location
    incident.description = parsed.description
    # JSON columns do not see in-place edits, so each gets a new list.
    incident.persons = list(parsed.persons)
    incident.witnesses = list(parsed.witnesses)
    incident.effect = parsed.effect
    incident.categories = list(parsed.categories)
    incident.urgent = parsed.urgent
    incident.warnings = list(parsed.warnings)


@dataclass(frozen=True)
class Row:
    """One parsed row to record, with the case and person link decided for it."""

    parsed: ParsedIncident
    case_id: int
    person_id: int | None
    person_confirmed: bool


def record_incidents(
    session: Session,
    rows: Sequence[Row],
    *,
    resident_id: int,
    attachment_id: int,
    reported_on: dt.date,
    resident_is_new: bool = False,
) -> list[Recorded]:
    """Record every row of one sheet, in order: a repeat of a stored incident of the same
    resident updates it (when better written) and adds a source, anything else is new.

    One query and one flush for the sheet: the resident's stored incidents on the sheet's
    days are loaded once, by the (resident, day) index, and none at all with
    `resident_is_new` (a resident created in this transaction has none). Two rows of one
    sheet are two entries the resident made, never copies of each other: an incident matched
    by one row is not matched again. `attachment_id` is the sheet's attachment, new in this
    transaction, so none of its sources is stored yet.
    """
    candidates = _candidates(session, resident_id, rows) if rows and not resident_is_new else {}
    matched: set[int] = set()
    recorded: list[Recorded] = []
    for row in rows:
        parsed = row.parsed
        day = candidates.get(parsed.date, [])
        duplicate = next((c for c in day if c.id not in matched and _similar(c, parsed)), None)
        if duplicate is not None:
            matched.add(duplicate.id)
            if _quality(parsed, parsed.description) > _quality(duplicate, duplicate.description):
                _copy_fields(duplicate, parsed)
                duplicate.attachment_id = attachment_id
                duplicate.source_row = parsed.source
            recorded.append(Recorded(duplicate, new=False))
            continue
        incident = Incident(
            case_id=row.case_id,
            resident_id=resident_id,
            person_id=row.person_id,
            person_confirmed=row.person_confirmed,
            attachment_id=attachment_id,
            source_row=parsed.source,
            reported_on=reported_on,
            fingerprint=fingerprint(resident_id, parsed),
        )
        _copy_fields(incident, parsed)
        recorded.append(Recorded(incident, new=True))
    session.add_all([r.incident for r in recorded if r.new])
    session.flush()
    sources = {
        (r.incident.id, row.parsed.source): None for r, row in zip(recorded, rows, strict=True)
    }
    if sources:
        session.execute(
            insert(IncidentSource),
            [
                {"incident_id": incident_id, "attachment_id": attachment_id, "source_row": row}
                for incident_id, row in sources
            ],
        )
    return recorded


def _candidates(
    session: Session, resident_id: int, rows: Sequence[Row]
) -> dict[dt.date | None, list[Incident]]:
    """The resident's stored incidents on the rows' days (by the (resident, day) index)."""
    days = {row.parsed.date for row in rows}
    dated = sorted(day for day in days if day is not None)
    clauses = [Incident.occurred_on.in_(dated)] if dated else []
    if None in days:
        clauses.append(Incident.occurred_on.is_(None))
    query = select(Incident).where(Incident.resident_id == resident_id, or_(*clauses))
    by_day: dict[dt.date | None, list[Incident]] = {}
    for incident in session.scalars(query.order_by(Incident.id)):
        by_day.setdefault(incident.occurred_on, []).append(incident)
    return by_day
