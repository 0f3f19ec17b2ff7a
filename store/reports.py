"""What staff see: cases, a case's timeline, the review queue, a resident's full record.

Every function returns plain JSON-ready dicts; the CLI prints them. Field names listed in
README ("`diarydesk cases --json`") are a contract.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from store.enums import AttachmentStatus, CaseStatus, MessageState
from store.models import (
    Attachment,
    Blob,
    Case,
    Incident,
    IncidentSource,
    Message,
    Person,
    PoliceReference,
    ReferenceLink,
    Resident,
    ThresholdCrossing,
)

COURSE_OF_CONDUCT_WORDING = "minimum course-of-conduct count met — officer review"


class NotFound(Exception):
    """Asked for a case or resident that does not exist."""


def _iso(value: dt.date | dt.datetime | dt.time | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value.isoformat()


def _officer(ref: PoliceReference) -> str | None:
    parts = [ref.officer_rank, ref.officer_number, ref.officer_name]
    text = " ".join(p for p in parts if p)
    return text or None


def _references_by_case(session: Session, case_ids: list[int]) -> dict[int, list[PoliceReference]]:
    """References linked to each case directly or through its incidents, in first-seen order."""
    direct = session.execute(
        select(ReferenceLink.case_id, PoliceReference)
        .join(PoliceReference, PoliceReference.id == ReferenceLink.reference_id)
        .where(ReferenceLink.case_id.in_(case_ids))
        .order_by(ReferenceLink.id)
    ).all()
    via_incidents = session.execute(
        select(Incident.case_id, PoliceReference)
        .join(ReferenceLink, ReferenceLink.incident_id == Incident.id)
        .join(PoliceReference, PoliceReference.id == ReferenceLink.reference_id)
        .where(Incident.case_id.in_(case_ids))
        .order_by(ReferenceLink.id)
    ).all()
    found: dict[int, list[PoliceReference]] = defaultdict(list)
    for case_id, ref in [*direct, *via_incidents]:
        if case_id is not None and ref not in found[case_id]:
            found[case_id].append(ref)
    return found


def case_summaries(session: Session, cases: Iterable[Case]) -> list[dict[str, Any]]:
    rows = list(cases)
    ids = [case.id for case in rows]
    if not ids:
        return []
    counts = dict(
        session.execute(
            select(Incident.case_id, func.count(Incident.id))
            .where(Incident.case_id.in_(ids))
            .group_by(Incident.case_id)
        ).all()
    )
    refs = _references_by_case(session, ids)
    residents = {
        r.id: r
        for r in session.scalars(
            select(Resident).where(Resident.id.in_({c.resident_id for c in rows}))
        )
    }
    person_ids = {c.person_id for c in rows if c.person_id is not None}
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    out = []
    for case in rows:
        resident = residents[case.resident_id]
        person = persons.get(case.person_id) if case.person_id is not None else None
        case_refs = refs.get(case.id, [])
        met = [t for t in (case.course_of_conduct_met_at, case.community_trigger_met_at) if t]
        out.append(
            {
                "id": case.id,
                "status": str(case.status),
                "resident": {"id": resident.id, "name": resident.name, "email": resident.email},
                "person": None
                if person is None
                else {"id": person.id, "name": person.display_name, "address": person.address},
                "incident_count": counts.get(case.id, 0),
                "first_incident": _iso(case.first_incident_on),
                "last_incident": _iso(case.last_incident_on),
                "police_references": [ref.text for ref in case_refs],
                "no_police_reference": not case_refs,
                "officers": sorted({o for o in map(_officer, case_refs) if o}),
                "officer_assigned": case.officer_assigned,
                "threshold": {
                    "course_of_conduct": case.course_of_conduct_met_at is not None,
                    "community_trigger": case.community_trigger_met_at is not None,
                    "met_at": _iso(min(met)) if met else None,
                },
                "urgent": case.urgent,
                "needs_review": case.needs_review,
            }
        )
    return out


def list_cases(
    session: Session, *, open_only: bool = False, threshold_met: bool = False
) -> list[dict[str, Any]]:
    query = select(Case).order_by(Case.id)
    if open_only:
        query = query.where(Case.status == CaseStatus.OPEN)
    if threshold_met:
        query = query.where(
            (Case.course_of_conduct_met_at.is_not(None))
            | (Case.community_trigger_met_at.is_not(None))
        )
    return case_summaries(session, session.scalars(query))


def incident_record(session: Session, incident: Incident) -> dict[str, Any]:
    refs = session.scalars(
        select(PoliceReference.text)
        .join(ReferenceLink, ReferenceLink.reference_id == PoliceReference.id)
        .where(ReferenceLink.incident_id == incident.id)
        .order_by(ReferenceLink.id)
    ).all()
    sources = session.execute(
        select(IncidentSource.source_row, Attachment.id, Attachment.filename, Message.received_at)
        .join(Attachment, Attachment.id == IncidentSource.attachment_id)
        .outerjoin(Message, Message.id == Attachment.message_pk)
        .where(IncidentSource.incident_id == incident.id)
        .order_by(IncidentSource.id)
    ).all()
    best = next((s for s in sources if s[1] == incident.attachment_id), None)
    return {
        "id": incident.id,
        "date": _iso(incident.occurred_on),
        "time": _iso(incident.time),
        "end_date": _iso(incident.end_date),
        "end_time": _iso(incident.end_time),
        "date_text": incident.date_text,
        "time_text": incident.time_text,
        "location": incident.location,
        "description": incident.description,
        "persons": incident.persons,
        "witnesses": incident.witnesses,
        "effect": incident.effect,
        "police_references": list(refs),
        "categories": incident.categories,
        "urgent": incident.urgent,
        "warnings": incident.warnings,
        "reported_on": _iso(incident.reported_on),
        "person_confirmed": incident.person_confirmed,
        "source": {
            "attachment_id": incident.attachment_id,
            "file": best[2] if best else None,
            "row": incident.source_row,
            "received_at": _iso(best[3]) if best else None,
        },
        "copies": [
            {"attachment_id": a, "file": f, "row": row, "received_at": _iso(at)}
            for row, a, f, at in sources
        ],
    }


def case_detail(session: Session, case_id: int) -> dict[str, Any]:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"No case with id {case_id}; list cases with `diarydesk cases`.")
    summary = case_summaries(session, [case])[0]
    incidents = session.scalars(
        select(Incident)
        .where(Incident.case_id == case_id)
        .order_by(Incident.occurred_on.is_(None), Incident.occurred_on, Incident.time, Incident.id)
    ).all()
    summary["incidents"] = [incident_record(session, i) for i in incidents]
    crossings = session.scalars(
        select(ThresholdCrossing).where(ThresholdCrossing.case_id == case_id)
    ).all()
    summary["threshold"]["decisions"] = [
        {
            "rule": str(c.rule),
            "met_at": _iso(c.met_at),
            "incident_ids": c.incident_ids,
            "gap_days": c.gap_days,
            "reasons": c.reasons,
        }
        for c in crossings
    ]
    summary["shared_references"] = _shared_references(session, case_id, summary)
    return summary


def _shared_references(
    session: Session, case_id: int, summary: dict[str, Any]
) -> list[dict[str, Any]]:
    """Other residents' cases quoting the same police reference (staff should connect them)."""
    shared = []
    for text in summary["police_references"]:
        ref = session.scalars(select(PoliceReference).where(PoliceReference.text == text)).one()
        others = _references_cases(session, ref.id) - {case_id}
        if others:
            shared.append({"reference": text, "cases": sorted(others)})
    return shared


def _references_cases(session: Session, reference_id: int) -> set[int]:
    direct = session.scalars(
        select(ReferenceLink.case_id).where(
            ReferenceLink.reference_id == reference_id, ReferenceLink.case_id.is_not(None)
        )
    ).all()
    via = session.scalars(
        select(Incident.case_id)
        .join(ReferenceLink, ReferenceLink.incident_id == Incident.id)
        .where(ReferenceLink.reference_id == reference_id)
    ).all()
    return {c for c in [*direct, *via] if c is not None}


def review_items(session: Session) -> list[dict[str, Any]]:
    """Everything that needs a person, each with the reason in words."""
    items: list[dict[str, Any]] = []
    for attachment in session.scalars(
        select(Attachment)
        .where(Attachment.status != AttachmentStatus.PARSED)
        .order_by(Attachment.id)
    ):
        items.append(
            {
                "kind": "unreadable_sheet",
                "attachment_id": attachment.id,
                "message_id": attachment.message_pk,
                "file": attachment.filename,
                "status": str(attachment.status),
                "code": attachment.problem_code,
                "reason": attachment.problem_message,
            }
        )
    for message in session.scalars(
        select(Message).where(Message.state == MessageState.QUARANTINED).order_by(Message.id)
    ):
        items.append(
            {
                "kind": "quarantined_message",
                "message_id": message.id,
                "reason": message.last_error or "processing failed repeatedly",
            }
        )
    # A message in review whose sheets are listed above needs no second line; one with no
    # unreadable sheet (a police reference from an unknown sender) does.
    listed = {item["message_id"] for item in items}
    for message in session.scalars(
        select(Message).where(Message.state == MessageState.REVIEW).order_by(Message.id)
    ):
        if message.id not in listed:
            items.append(
                {
                    "kind": "message_for_review",
                    "message_id": message.id,
                    "reason": message.last_error or "nothing in this email could be read",
                }
            )
    for incident in session.scalars(
        select(Incident)
        .where(Incident.person_id.is_not(None), Incident.person_confirmed.is_(False))
        .order_by(Incident.id)
    ):
        items.append(
            {
                "kind": "unconfirmed_link",
                "incident_id": incident.id,
                "case_id": incident.case_id,
                "person_id": incident.person_id,
                "written": incident.persons,
                "reason": "the person named may not be the person on the case; confirm, merge "
                "or split with `diarydesk person`",
            }
        )
    # Most incidents carry no warnings; let the database skip them instead of loading them all.
    with_warnings = select(Incident).where(cast(Incident.warnings, String) != "[]")
    for incident in session.scalars(with_warnings.order_by(Incident.id)):
        for warning in incident.warnings:
            items.append(
                {
                    "kind": "warning",
                    "incident_id": incident.id,
                    "case_id": incident.case_id,
                    "reason": warning,
                }
            )
    return items


def export_resident(session: Session, resident_id: int) -> dict[str, Any]:
    """Everything held about one resident (a subject access request), files included."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(f"No resident with id {resident_id}; see `diarydesk cases --json`.")
    case_ids = session.scalars(
        select(Case.id).where(Case.resident_id == resident_id).order_by(Case.id)
    ).all()
    # Every sheet a copy of one of the resident's incidents came from (sources include the best).
    attachment_ids = set(
        session.scalars(
            select(IncidentSource.attachment_id)
            .join(Incident, Incident.id == IncidentSource.incident_id)
            .where(Incident.resident_id == resident_id)
        )
    )
    attachments = session.scalars(
        select(Attachment).where(Attachment.id.in_(attachment_ids)).order_by(Attachment.id)
    ).all()
    message_ids = {a.message_pk for a in attachments if a.message_pk is not None}
    messages = session.scalars(
        select(Message)
        .where(
            (Message.id.in_(message_ids))
            | (func.lower(Message.sender) == (resident.email or "").lower())
        )
        .order_by(Message.id)
    ).all()
    return {
        "resident": {
            "id": resident.id,
            "name": resident.name,
            "email": resident.email,
            "address": resident.address,
            "phone": resident.phone,
            "reference": resident.reference,
            "created_at": _iso(resident.created_at),
        },
        "cases": [case_detail(session, case_id) for case_id in case_ids],
        "attachments": [
            {
                "id": a.id,
                "file": a.filename,
                "sha256": a.sha256,
                "status": str(a.status),
                "problem": a.problem_code,
                "content_base64": _blob_b64(session, a.sha256),
            }
            for a in attachments
        ],
        "messages": [
            {
                "id": m.id,
                "sender": m.sender,
                "subject": m.subject,
                "received_at": _iso(m.received_at),
                "state": str(m.state),
                "raw_base64": _blob_b64(session, m.sha256),
            }
            for m in messages
        ],
    }


def _blob_b64(session: Session, digest: str) -> str | None:
    blob = session.get(Blob, digest)
    return base64.b64encode(blob.data).decode("ascii") if blob and blob.data else None
