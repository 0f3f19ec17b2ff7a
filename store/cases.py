"""Cases: one open case per resident and alleged perpetrator (the course of conduct)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

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


def open_cases(
    session: Session,
    *,
    resident_id: int,
    person_ids: Sequence[int | None],
    now: dt.datetime,
    actor: str,
    resident_is_new: bool = False,
) -> dict[int | None, Case]:
    """`open_case` for each person id (None: the unknown person), in one query and one flush.

    Cases are opened in the order of `person_ids`. With `resident_is_new` (created in this
    transaction, so nothing of theirs is stored yet) the query is skipped.
    """
    wanted = list(dict.fromkeys(person_ids))
    found: dict[int | None, Case] = {}
    if wanted and not resident_is_new:
        query = select(Case).where(Case.resident_id == resident_id, Case.status == CaseStatus.OPEN)
        for case in session.scalars(query.order_by(Case.id)):
            found.setdefault(case.person_id, case)
    opened = [
        Case(resident_id=resident_id, person_id=person_id, status=CaseStatus.OPEN, opened_at=now)
        for person_id in wanted
        if person_id not in found
    ]
    if opened:
        session.add_all(opened)
        session.flush()
        for case in opened:
            found[case.person_id] = case
            audit(session, actor, "case.open", "case", case.id, person_id=case.person_id)
    return {person_id: found[person_id] for person_id in wanted}


def refresh_case(session: Session, case: Case, *, needs_review: bool = False) -> None:
    """Recompute the case's summary columns from its incidents (one indexed query)."""
    refresh_cases(session, [case], needs_review=needs_review)


def refresh_cases(session: Session, cases: Sequence[Case], *, needs_review: bool = False) -> None:
    """`refresh_case` for several cases: one query for all their incidents' summary columns."""
    if not cases:
        return
    rows = session.execute(
        select(
            Incident.case_id,
            Incident.occurred_on,
            Incident.urgent,
            Incident.warnings,
            Incident.person_id,
            Incident.person_confirmed,
        ).where(Incident.case_id.in_(sorted({case.id for case in cases})))
    )
    by_case: dict[int, list[Any]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row)
    for case in cases:
        mine = by_case.get(case.id, [])
        dates = [row.occurred_on for row in mine if row.occurred_on is not None]
        case.first_incident_on = min(dates) if dates else None
        case.last_incident_on = max(dates) if dates else None
        case.urgent = any(row.urgent for row in mine)
        case.needs_review = (
            case.needs_review
            or needs_review
            or any(
                row.warnings or (row.person_id is not None and not row.person_confirmed)
                for row in mine
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
    updated_resident: bool = False,
) -> Case:
    """Close or reopen a case, assign its officer, or note that the resident was given a
    progress update (what resets the digest's "overdue for an update"); all audited."""
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError(f"No case with id {case_id}; list cases with `diarydesk cases`.")
    if officer is not None:
        case.officer_assigned = officer
        audit(session, actor, "case.assign", "case", case.id)
    if updated_resident:
        # Only that it happened: what was said belongs in the housing system's case notes.
        audit(session, actor, "case.resident_updated", "case", case.id)
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
