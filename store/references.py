"""Police references: one row per normalised reference, linked to the cases and incidents
that quote it, so the same log number from two residents shows both cases."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, insert, or_, select
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
    _complete(row, officer)
    session.flush()
    return row


def _complete(row: PoliceReference, officer: Officer | None) -> None:
    if officer is not None and not row.officer_name and not row.officer_number:
        # The officer dealing, as the sheet names them, is what staff quote when they call.
        row.officer_rank, row.officer_name, row.officer_number = (
            officer.rank,
            officer.name,
            officer.number,
        )


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


def upsert_references(
    session: Session, wanted: Sequence[tuple[ParsedReference, Officer | None]]
) -> dict[str, PoliceReference]:
    """`upsert_reference` for each pair, in order, with one query and one flush for them all."""
    texts = list(dict.fromkeys(parsed.text for parsed, _ in wanted))
    if not texts:
        return {}
    rows = {
        row.text: row
        for row in session.scalars(select(PoliceReference).where(PoliceReference.text.in_(texts)))
    }
    for parsed, officer in wanted:
        row = rows.get(parsed.text)
        if row is None:
            row = rows[parsed.text] = PoliceReference(
                text=parsed.text,
                kind=_KINDS.get(parsed.kind, ReferenceKind.UNKNOWN),
                force=parsed.force,
                ref_date_text=parsed.ref_date_text,
            )
            session.add(row)
        _complete(row, officer)
    session.flush()
    return rows


LinkKey = tuple[int, int | None, int | None]  # (reference_id, case_id, incident_id)


class LinkSet:
    """Adds links once each, like `link`, knowing which exist from one query made up front.

    Only links of `case_ids` (to the case alone) and of `incident_ids` (to the incident alone)
    are looked up: the caller knows that no other case or incident it links has any yet.
    Nothing is written until `write`.
    """

    def __init__(
        self,
        session: Session,
        reference_ids: Collection[int],
        *,
        case_ids: Collection[int] = (),
        incident_ids: Collection[int] = (),
    ) -> None:
        self.session = session
        self.have: set[LinkKey] = set()
        self.new: list[dict[str, Any]] = []
        targets = []
        if case_ids:
            targets.append(
                and_(ReferenceLink.case_id.in_(case_ids), ReferenceLink.incident_id.is_(None))
            )
        if incident_ids:
            targets.append(
                and_(ReferenceLink.incident_id.in_(incident_ids), ReferenceLink.case_id.is_(None))
            )
        if reference_ids and targets:
            rows = session.execute(
                select(
                    ReferenceLink.reference_id, ReferenceLink.case_id, ReferenceLink.incident_id
                ).where(ReferenceLink.reference_id.in_(reference_ids), or_(*targets))
            )
            self.have = {(r.reference_id, r.case_id, r.incident_id) for r in rows}

    def link(
        self,
        reference: PoliceReference,
        source: ReferenceSource,
        *,
        case_id: int | None = None,
        incident_id: int | None = None,
    ) -> None:
        key = (reference.id, case_id, incident_id)
        if key not in self.have:
            self.have.add(key)
            self.new.append(
                {
                    "reference_id": reference.id,
                    "case_id": case_id,
                    "incident_id": incident_id,
                    "source": source,
                }
            )

    def write(self) -> None:
        """Insert the links added since the last write, in one multi-row INSERT."""
        if self.new:
            self.session.execute(insert(ReferenceLink), self.new)
            self.new = []
