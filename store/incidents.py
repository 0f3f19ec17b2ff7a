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
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
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


def find_duplicate(
    session: Session, resident_id: int, parsed: ParsedIncident, exclude: set[int]
) -> Incident | None:
    """The stored incident this parsed one repeats, looked up by (resident, day) index.

    `exclude` holds the incidents already matched by other rows of the same sheet: two rows of
    one sheet are two entries the resident made, never copies of each other.
    """
    day_clause = (
        Incident.occurred_on.is_(None)
        if parsed.date is None
        else Incident.occurred_on == parsed.date
    )
    candidates = session.scalars(
        select(Incident).where(Incident.resident_id == resident_id, day_clause)
    ).all()
    return next((c for c in candidates if c.id not in exclude and _similar(c, parsed)), None)


def record_incident(
    session: Session,
    *,
    parsed: ParsedIncident,
    resident_id: int,
    case_id: int,
    person_id: int | None,
    person_confirmed: bool,
    attachment_id: int,
    reported_on: dt.date,
    exclude: set[int],
) -> Recorded:
    duplicate = find_duplicate(session, resident_id, parsed, exclude)
    if duplicate is not None:
        _add_source(session, duplicate, attachment_id, parsed.source)
        if _quality(parsed, parsed.description) > _quality(duplicate, duplicate.description):
            _copy_fields(duplicate, parsed)
            duplicate.attachment_id = attachment_id
            duplicate.source_row = parsed.source
        return Recorded(duplicate, new=False)
    incident = Incident(
        case_id=case_id,
        resident_id=resident_id,
        person_id=person_id,
        person_confirmed=person_confirmed,
        attachment_id=attachment_id,
        source_row=parsed.source,
        reported_on=reported_on,
        fingerprint=fingerprint(resident_id, parsed),
    )
    _copy_fields(incident, parsed)
    session.add(incident)
    session.flush()
    _add_source(session, incident, attachment_id, parsed.source)
    return Recorded(incident, new=True)


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


def _add_source(
    session: Session, incident: Incident, attachment_id: int, source_row: str | None
) -> None:
    exists = session.scalars(
        select(IncidentSource.id).where(
            IncidentSource.incident_id == incident.id,
            IncidentSource.attachment_id == attachment_id,
            IncidentSource.source_row == source_row,
        )
    ).first()
    if exists is None:
        session.add(
            IncidentSource(
                incident_id=incident.id, attachment_id=attachment_id, source_row=source_row
            )
        )
