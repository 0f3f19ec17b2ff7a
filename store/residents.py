"""Who sent the sheet: the resident, from the sender address plus the sheet's own details."""

from __future__ import annotations

from sqlalchemy import select
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
    email = (sender or (complainant.email if complainant else None) or "").strip().lower()
    resident = None
    if email:
        # Emails are stored lower-cased, so the plain index on residents.email serves this.
        resident = session.scalars(
            select(Resident).where(Resident.email == email).order_by(Resident.id)
        ).first()
    reference = complainant.reference if complainant else None
    if resident is None and reference:
        # A tenancy reference is shared by everyone in the household, and each adult keeps
        # their own diary: the reference identifies the resident only when the names agree.
        name = complainant.name if complainant else None
        for known in session.scalars(
            select(Resident).where(Resident.reference == reference).order_by(Resident.id)
        ):
            if not name or not known.name or name_key(name) == name_key(known.name):
                resident = known
                break
    if resident is None:
        resident = Resident(email=email or None)
        session.add(resident)
        session.flush()
        audit(session, actor, "resident.create", "resident", resident.id)
    if complainant is not None:
        _fill_in(session, resident, complainant, actor)
    return resident


def _fill_in(session: Session, resident: Resident, sheet: Complainant, actor: str) -> None:
    """Add details the resident has not given before; never overwrite what staff hold."""
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
    if changed:
        audit(session, actor, "resident.update", "resident", resident.id, fields=changed)
