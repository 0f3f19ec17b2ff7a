"""Retention: remove what the schedule says is no longer needed, audited, dry run by default.

Two record types age out (config `[retention]`): the raw bytes of emails after
`raw_messages_days` (the parsed record and the sheet files stay with the case), and everything
about a case `closed_cases_days` after it was closed (NHF advisory schedule: ASB case files
five years). Open cases are never purged, however old.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.audit import audit
from store.enums import CaseStatus
from store.models import (
    Alert,
    Attachment,
    Blob,
    Case,
    Incident,
    IncidentSource,
    Message,
    ReferenceLink,
    ThresholdCrossing,
)


@dataclass
class PurgePlan:
    raw_message_ids: list[int] = field(default_factory=list)
    closed_case_ids: list[int] = field(default_factory=list)
    incident_count: int = 0

    def describe(self) -> str:
        return (
            f"raw bytes of {len(self.raw_message_ids)} email(s); "
            f"{len(self.closed_case_ids)} closed case(s) with {self.incident_count} incident(s)"
        )


def plan_purge(
    session: Session, *, now: dt.datetime, raw_messages_days: int, closed_cases_days: int
) -> PurgePlan:
    raw_before = now - dt.timedelta(days=raw_messages_days)
    cases_before = now - dt.timedelta(days=closed_cases_days)
    raw_ids = session.scalars(
        select(Message.id)
        .join(Blob, Blob.sha256 == Message.sha256)
        .where(Message.received_at < raw_before, Blob.size > 0, Blob.data != b"")
        .order_by(Message.id)
    ).all()
    case_ids = session.scalars(
        select(Case.id)
        .where(Case.status == CaseStatus.CLOSED, Case.closed_at < cases_before)
        .order_by(Case.id)
    ).all()
    incidents = session.scalars(select(Incident.id).where(Incident.case_id.in_(case_ids))).all()
    return PurgePlan(list(raw_ids), list(case_ids), len(incidents))


def apply_purge(session: Session, plan: PurgePlan, *, actor: str) -> None:
    for message in session.scalars(select(Message).where(Message.id.in_(plan.raw_message_ids))):
        session.execute(update(Blob).where(Blob.sha256 == message.sha256).values(data=b""))
        audit(session, actor, "message.purge_raw", "message", message.id)
    for case_id in plan.closed_case_ids:
        _purge_case(session, case_id, actor)


def _purge_case(session: Session, case_id: int, actor: str) -> None:
    incident_ids = list(session.scalars(select(Incident.id).where(Incident.case_id == case_id)))
    attachment_ids = set(
        session.scalars(
            select(IncidentSource.attachment_id).where(IncidentSource.incident_id.in_(incident_ids))
        )
    )
    session.execute(delete(ReferenceLink).where(ReferenceLink.incident_id.in_(incident_ids)))
    session.execute(delete(ReferenceLink).where(ReferenceLink.case_id == case_id))
    session.execute(delete(IncidentSource).where(IncidentSource.incident_id.in_(incident_ids)))
    session.execute(delete(Incident).where(Incident.id.in_(incident_ids)))
    session.execute(delete(ThresholdCrossing).where(ThresholdCrossing.case_id == case_id))
    session.execute(delete(Alert).where(Alert.case_id == case_id))
    # A sheet's file goes once no remaining incident came from it.
    for attachment_id in attachment_ids:
        still_used = session.scalars(
            select(IncidentSource.id).where(IncidentSource.attachment_id == attachment_id)
        ).first()
        if still_used is None:
            attachment = session.get(Attachment, attachment_id)
            if attachment is not None:
                session.execute(
                    update(Blob).where(Blob.sha256 == attachment.sha256).values(data=b"")
                )
    audit(session, actor, "case.purge", "case", case_id, incidents=len(incident_ids))
