"""Cases: one open case per resident and alleged perpetrator (the course of conduct)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import audit
from store.enums import CaseStatus
from store.models import Case, Incident


def open_case(
    session: Session, *, resident_id: int, person_id: int | None, now: dt.datetime, actor: str
) -> Case:
    """The open case for (resident, person), opened now if there is none.

    New sheets attach to the open case rather than opening another, as the Tenant Satisfaction
    Measures count it: further reports about the same party while a case is open are one case.
    """
    query = select(Case).where(
        Case.resident_id == resident_id,
        Case.status == CaseStatus.OPEN,
        Case.person_id.is_(None) if person_id is None else Case.person_id == person_id,
    )
    case = session.scalars(query).first()
    if case is None:
        case = Case(
            resident_id=resident_id,
            person_id=person_id,
            status=CaseStatus.OPEN,
            opened_at=now,
        )
        session.add(case)
        session.flush()
        audit(session, actor, "case.open", "case", case.id, person_id=person_id)
    return case


def refresh_case(session: Session, case: Case, *, needs_review: bool = False) -> None:
    """Recompute the case's summary columns from its incidents (one indexed query)."""
    incidents = session.scalars(select(Incident).where(Incident.case_id == case.id)).all()
    dates = [i.occurred_on for i in incidents if i.occurred_on is not None]
    case.first_incident_on = min(dates) if dates else None
    case.last_incident_on = max(dates) if dates else None
    case.urgent = any(i.urgent for i in incidents)
    case.needs_review = (
        case.needs_review
        or needs_review
        or any(
            i.warnings or (i.person_id is not None and not i.person_confirmed) for i in incidents
        )
    )


class CaseError(Exception):
    """A staff action on a case that cannot be done; the message says why."""


def update_case(
    session: Session,
    case_id: int,
    *,
    now: dt.datetime,
    actor: str,
    close: bool = False,
    reopen: bool = False,
    officer: str | None = None,
) -> Case:
    """Close or reopen a case, or assign its officer; every change is audited."""
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError(f"No case with id {case_id}; list cases with `diarydesk cases`.")
    if officer is not None:
        case.officer_assigned = officer
        audit(session, actor, "case.assign", "case", case.id)
    if close and case.status is CaseStatus.OPEN:
        case.status, case.closed_at = CaseStatus.CLOSED, now
        audit(session, actor, "case.close", "case", case.id)
    if reopen and case.status is CaseStatus.CLOSED:
        clash = session.scalars(
            select(Case.id).where(
                Case.resident_id == case.resident_id,
                Case.status == CaseStatus.OPEN,
                Case.person_id.is_(None)
                if case.person_id is None
                else Case.person_id == case.person_id,
            )
        ).first()
        if clash is not None:
            raise CaseError(
                f"Case {clash} is already open for this resident and person; "
                "new sheets go there. Merge by hand or close it first."
            )
        case.status, case.closed_at = CaseStatus.OPEN, None
        audit(session, actor, "case.reopen", "case", case.id)
    return case
