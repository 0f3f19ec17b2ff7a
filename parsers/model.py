"""The parse contract as frozen dataclasses (see README, "diarydesk parse --json").

Everything the parser returns is built from these types, so the store, the CLI and the tests
share one definition of a sheet. `to_json` is the only place that knows the JSON spelling.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    PARSED = "parsed"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Problem:
    """Why a file could not be read: a stable snake_case code and a sentence staff can act on."""

    code: str
    message: str


@dataclass(frozen=True)
class Complainant:
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Subject:
    """The alleged perpetrator named on the sheet header."""

    name: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Officer:
    """A police officer as written: rank ("PC", "PCSO", "Sgt", "DC", ...), name, collar number."""

    rank: str | None = None
    name: str | None = None
    number: str | None = None

    def display(self) -> str:
        """ "PC 2231 Dan Whitlock", the form officers sign with."""
        return " ".join(part for part in (self.rank, self.number, self.name) if part)


@dataclass(frozen=True)
class PoliceReference:
    """A police reference found in text.

    `text` is the normalised form (upper case, inner spacing collapsed, keyword prefixes such
    as "CAD" or "log" dropped); `kind` is "incident", "crime" or "unknown"; `force` is a guess
    from the published format when one is distinctive; `ref_date_text` keeps the date written in
    "log 158 of 9th January" forms, which is when the log was opened, not the incident date.
    """

    text: str
    kind: str = "unknown"
    force: str | None = None
    raw: str = ""
    ref_date_text: str | None = None


@dataclass(frozen=True)
class Incident:
    date: dt.date | None = None
    time: dt.time | None = None
    end_date: dt.date | None = None
    end_time: dt.time | None = None
    date_text: str | None = None
    time_text: str | None = None
    location: str | None = None
    description: str | None = None
    persons: tuple[str, ...] = ()
    witnesses: tuple[str, ...] = ()
    effect: str | None = None
    police_references: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    urgent: bool = False
    warnings: tuple[str, ...] = ()
    # Provenance inside the sheet ("table 2 row 5", "paragraph 14") for the store and reviewers.
    source: str | None = None
    duration_text: str | None = None


@dataclass(frozen=True)
class SheetResult:
    status: Status
    problem: Problem | None = None
    complainant: Complainant | None = None
    subject: Subject | None = None
    officer: Officer | None = None
    police_references: tuple[str, ...] = ()
    incidents: tuple[Incident, ...] = ()
    # Which layout was recognised: "table", "forms", "free_text" (None when not parsed).
    layout: str | None = None
    # Sheet-level notes for reviewers (tracked changes present, text in an embedded chunk, ...).
    warnings: tuple[str, ...] = field(default=())
    # Full references with kind/force, in the same order as the strings above and in incidents.
    reference_details: tuple[PoliceReference, ...] = field(default=())


def _iso(value: dt.date | dt.time | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value.isoformat()


def incident_to_json(incident: Incident) -> dict[str, Any]:
    return {
        "date": _iso(incident.date),
        "time": _iso(incident.time),
        "end_date": _iso(incident.end_date),
        "end_time": _iso(incident.end_time),
        "date_text": incident.date_text,
        "time_text": incident.time_text,
        "location": incident.location,
        "description": incident.description,
        "persons": list(incident.persons),
        "witnesses": list(incident.witnesses),
        "effect": incident.effect,
        "police_references": list(incident.police_references),
        "categories": list(incident.categories),
        "urgent": incident.urgent,
        "warnings": list(incident.warnings),
    }


def to_json(result: SheetResult, file: str) -> dict[str, Any]:
    """The object `diarydesk parse --json` prints for one file."""
    return {
        "file": file,
        "status": str(result.status),
        "problem": (
            None
            if result.problem is None
            else {"code": result.problem.code, "message": result.problem.message}
        ),
        "complainant": (
            None
            if result.complainant is None
            else {
                "name": result.complainant.name,
                "address": result.complainant.address,
                "phone": result.complainant.phone,
                "email": result.complainant.email,
                "reference": result.complainant.reference,
            }
        ),
        "subject": (
            None
            if result.subject is None
            else {"name": result.subject.name, "address": result.subject.address}
        ),
        "officer": (
            None
            if result.officer is None
            else {
                "rank": result.officer.rank,
                "name": result.officer.name,
                "number": result.officer.number,
            }
        ),
        "police_references": list(result.police_references),
        "incidents": [incident_to_json(i) for i in result.incidents],
    }
