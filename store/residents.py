"""Who sent the sheet: the resident, from the sender address plus the sheet's own details."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from parsers.model import Complainant
from store.audit import audit
from store.models import Resident
from store.names import name_key, street_key


def resolve_resident(
    session: Session, *, sender: str | None, complainant: Complainant | None, actor: str
) -> Resident:
    """The known resident for this sender (or sheet reference), else a new one.

    The sender address is the strongest identity we have; the tenancy reference typed on the
    sheet is next. Names alone never merge two residents: two people called A Patel are two
    victims, and merging them would let one see the other's record in a subject access request.
    """
    resident, _ = resolve_resident_created(
        session, sender=sender, complainant=complainant, actor=actor
    )
    return resident


def resolve_resident_created(
    session: Session, *, sender: str | None, complainant: Complainant | None, actor: str
) -> tuple[Resident, bool]:
    """`resolve_resident`, and whether the resident was created just now (so has no records)."""
    email = (sender or (complainant.email if complainant else None) or "").strip().lower()
    reference = complainant.reference if complainant else None
    resident = None
    if email or reference:
        # One query for both identities; emails are stored lower-cased, so the plain indexes
        # on residents.email and residents.reference serve it.
        clauses = [Resident.email == email] if email else []
        if reference:
            clauses.append(Resident.reference == reference)
        known = list(session.scalars(select(Resident).where(or_(*clauses)).order_by(Resident.id)))
        resident = next((row for row in known if email and row.email == email), None)
        if resident is None and reference:
            # A tenancy reference is shared by everyone in the household, and each adult keeps
            # their own diary: the reference identifies the resident only when the names agree.
            name = complainant.name if complainant else None
            resident = next(
                (
                    row
                    for row in known
                    if row.reference == reference
                    and (not name or not row.name or name_key(name) == name_key(row.name))
                ),
                None,
            )
    created = resident is None
    if resident is None:
        # A new resident is written once, with the sheet's details: audited as created, then
        # as given those details, as when they are added to a known resident.
        resident = Resident(email=email or None)
        changed = _fill_in(resident, complainant) if complainant is not None else []
        session.add(resident)
        session.flush()
        audit(session, actor, "resident.create", "resident", resident.id)
    else:
        changed = _fill_in(resident, complainant) if complainant is not None else []
    if changed:
        audit(session, actor, "resident.update", "resident", resident.id, fields=changed)
    return resident, created


def _fill_in(resident: Resident, sheet: Complainant) -> list[str]:
    """Add details the resident has not given before; never overwrite what staff hold.
    Returns the fields given."""
    changed = []
    for field in ("name", "address", "phone", "reference"):
        value = getattr(sheet, field)
        if value and not getattr(resident, field):
            setattr(resident, field, value)
            changed.append(field)
    if not resident.email and sheet.email:
        resident.email = sheet.email.lower()
        changed.append("email")
    if resident.address and not resident.street_key:
        resident.street_key = street_key(resident.address)
    return changed
