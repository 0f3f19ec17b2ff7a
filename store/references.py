"""Police references: one row per normalised reference, linked to the cases and incidents
that quote it, so the same log number from two residents shows both cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.model import Officer
from parsers.model import PoliceReference as ParsedReference
from store.enums import ReferenceKind, ReferenceSource
from store.models import PoliceReference, ReferenceLink

_KINDS = {kind.value: kind for kind in ReferenceKind}


def upsert_reference(
    session: Session, parsed: ParsedReference, officer: Officer | None
) -> PoliceReference:
    """The stored reference for `parsed.text`, created or completed with what is new."""
    row = session.scalars(
        select(PoliceReference).where(PoliceReference.text == parsed.text)
    ).first()
    if row is None:
        row = PoliceReference(
            text=parsed.text,
            kind=_KINDS.get(parsed.kind, ReferenceKind.UNKNOWN),
            force=parsed.force,
            ref_date_text=parsed.ref_date_text,
        )
        session.add(row)
    if officer is not None and not row.officer_name and not row.officer_number:
        # The officer dealing, as the sheet names them, is what staff quote when they call.
        row.officer_rank, row.officer_name, row.officer_number = (
            officer.rank,
            officer.name,
            officer.number,
        )
    session.flush()
    return row


def link(
    session: Session,
    reference: PoliceReference,
    source: ReferenceSource,
    *,
    case_id: int | None = None,
    incident_id: int | None = None,
) -> None:
    """Link once: the same reference quoted on every resent sheet is one link."""
    exists = session.scalars(
        select(ReferenceLink.id).where(
            ReferenceLink.reference_id == reference.id,
            ReferenceLink.case_id.is_(None)
            if case_id is None
            else ReferenceLink.case_id == case_id,
            ReferenceLink.incident_id.is_(None)
            if incident_id is None
            else ReferenceLink.incident_id == incident_id,
        )
    ).first()
    if exists is None:
        session.add(
            ReferenceLink(
                reference_id=reference.id, case_id=case_id, incident_id=incident_id, source=source
            )
        )
