"""Who is who in the store: link the person a sheet names to a known person, merge and split.

`resolve_person` is what recording calls for the alleged perpetrator of a sheet: it compares
the written names (`store.names.compare`) with the known persons of that resident's cases and
of the same street, links a strong match, links a weak one as unconfirmed (for review), and
otherwise creates a person. `merge_persons` and `split_person` are staff corrections
(`diarydesk person merge A B`, `diarydesk person split`). Every change writes an audit entry;
the caller owns the transaction (these functions flush, never commit).

Guards against the two harms of a wrong answer (a false alarm about a person, a hidden
victim):
- a full written name that matches none of a person's full names rules that person out, so a
  sheet naming "Gary Smith" never joins Gary Hollis through a first name written in a row;
- two different persons matching strongly is ambiguous: the link is unconfirmed;
- single-word aliases ("Gary") are compared only when the person has no full name or the
  written name is a single word itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, select, union
from sqlalchemy.orm import Session, joinedload

from store.audit import audit
from store.base import utcnow
from store.cases import open_case, refresh_case
from store.enums import CaseStatus
from store.models import Case, Incident, Person, PersonAlias, ReferenceLink, Resident
from store.names import NameMatch, compare, name_key, street_key

# The widths of person_aliases.alias_key and persons.street_key (String(255) in store.models).
KEY_LENGTH = 255
LIST_PEOPLE_HINT = "list people with `diarydesk cases`"


class PersonError(Exception):
    """A person command cannot be done as asked; the message says what to do instead."""


@dataclass(frozen=True)
class PersonLink:
    """The person a sheet's written names were linked to, and how sure the link is."""

    person_id: int
    confirmed: bool  # False = weak match, shown for review
    reason: str
    created: bool  # a new Person was created


@dataclass(frozen=True)
class _Written:
    text: str  # as written, stripped
    key: str  # name_key, cut to the column width

    @property
    def full(self) -> bool:
        return " " in self.key


@dataclass(frozen=True)
class _Candidate:
    person: Person
    match: NameMatch
    written: str
    known: str

    def rank(self) -> tuple[bool, float, int]:
        """Sort key: strong first, then the higher score, then the older person."""
        return (not self.match.strong, -self.match.score, self.person.id)


def _key(text: str) -> str:
    return name_key(text)[:KEY_LENGTH]


def _street(address: str | None) -> str | None:
    street = street_key(address)
    return street[:KEY_LENGTH] if street else None


def _written_forms(names: Sequence[str]) -> list[_Written]:
    """Each distinct written name once (by key), in the order given; nameless ones dropped."""
    forms: list[_Written] = []
    for name in names:
        text = name.strip()
        key = _key(text)
        if key and all(form.key != key for form in forms):
            forms.append(_Written(text, key))
    return forms


def survivor(session: Session, person_id: int) -> Person:
    """The person `person_id` is now: itself, or the person it was (repeatedly) merged into."""
    person = session.get(Person, person_id)
    if person is None:
        raise PersonError(f"No person with id {person_id}; {LIST_PEOPLE_HINT}")
    seen = {person.id}
    while person.merged_into is not None and person.merged_into not in seen:
        seen.add(person.merged_into)
        following = session.get(Person, person.merged_into)
        if following is None:
            break
        person = following
    return person


def _candidate_ids(
    session: Session, resident_id: int, address: str | None
) -> Select[Any] | CompoundSelect[Any]:
    """Persons on this resident's cases, living on the street, or on the street's cases.

    "The street" is that of the address written for the person and the resident's own street
    (neighbours usually share one); persons on other residents' cases on those streets are
    included because one neighbour may harass several households. One statement: a UNION,
    so a street with hundreds of cases about the same person gives that person once.
    """
    parts: list[Select[Any]] = [
        select(Case.person_id).where(Case.resident_id == resident_id, Case.person_id.is_not(None))
    ]
    resident = session.get(Resident, resident_id)
    own_street = resident.street_key if resident is not None else None
    streets = sorted({street for street in (_street(address), own_street) if street})
    if streets:
        parts.append(select(Person.id).where(Person.street_key.in_(streets)))
        parts.append(
            select(Case.person_id)
            .join(Resident, Resident.id == Case.resident_id)
            .where(Resident.street_key.in_(streets), Case.person_id.is_not(None))
        )
    return parts[0] if len(parts) == 1 else union(*parts)


def _with_aliases(session: Session, clause: ColumnElement[bool]) -> list[Person]:
    query = (
        select(Person)
        .where(clause)
        # One statement for persons and aliases (a street has a handful of persons).
        .options(joinedload(Person.aliases))
        .order_by(Person.id)
        # Aliases added by id elsewhere in this session must count: reload what is in memory.
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query).unique())


def _candidates(
    session: Session, resident_id: int, address: str | None, also: Collection[int] = ()
) -> list[Person]:
    """The unmerged persons that the candidate ids are now, with their aliases as stored."""
    # The ids first, then the persons by primary key: given the UNION as a subquery, SQLite
    # chose to scan every person instead.
    ids = {
        i for i in session.scalars(_candidate_ids(session, resident_id, address)) if i is not None
    }
    ids |= set(also)
    if not ids:
        return []
    loaded = _with_aliases(session, Person.id.in_(sorted(ids)))
    wanted = {person.id for person in loaded if person.merged_into is None}
    for person in loaded:
        if person.merged_into is not None:
            wanted.add(survivor(session, person.id).id)
    missing = wanted - {person.id for person in loaded}
    if missing:
        loaded += _with_aliases(session, Person.id.in_(sorted(missing)))
    return sorted(
        (person for person in loaded if person.id in wanted and person.merged_into is None),
        key=lambda person: person.id,
    )


def _known_names(person: Person) -> list[str]:
    names = [person.display_name or "", *(alias.alias for alias in person.aliases)]
    known: dict[str, str] = {}
    for name in names:
        key = _key(name)
        if key:
            known.setdefault(key, name)
    return list(known.values())


def _best_for(
    person: Person, written: Sequence[_Written], address: str | None
) -> _Candidate | None:
    """The person's best match with any written name; None when a full name rules them out."""
    known = _known_names(person)
    full_known = [name for name in known if " " in _key(name)]
    best: _Candidate | None = None
    for form in written:
        pool = full_known if form.full and full_known else known
        matches = (
            _Candidate(
                person,
                compare(form.text, name, person.address, written_address=address),
                form.text,
                name,
            )
            for name in pool
        )
        top = min(matches, key=_Candidate.rank, default=None)
        if top is None:
            continue
        if not top.match.matched:
            if form.full:
                return None  # the sheet names someone this person is not
            continue
        if best is None or top.rank() < best.rank():
            best = top
    return best


def _ranked(
    persons: Iterable[Person], written: Sequence[_Written], address: str | None
) -> list[_Candidate]:
    found = (_best_for(person, written, address) for person in persons)
    matched = [c for c in found if c is not None and c.match.matched]
    return sorted(matched, key=_Candidate.rank)


def _add_aliases(session: Session, person: Person, written: Sequence[_Written]) -> list[str]:
    have = {alias.alias_key for alias in person.aliases}
    added = []
    for form in written:
        if form.key not in have:
            person.aliases.append(PersonAlias(alias=form.text, alias_key=form.key))
            have.add(form.key)
            added.append(form.text)
    if added:
        session.flush()
    return added


def resolve_person(
    session: Session,
    *,
    names: Sequence[str],
    address: str | None,
    resident_id: int,
    actor: str,
    also: Collection[int] = (),
) -> PersonLink | None:
    """Link the person written as `names` (best first) to a known person, or create one.

    `address` is the sheet's "their address"; `also` are more candidate person ids (the
    persons of the resident's cases opened in this transaction but not yet written). Returns
    None when no name is written (the "unknown person" case). A strong match links confirmed,
    a weak or ambiguous one links unconfirmed; with no match a person is created. Every
    written form becomes an alias of the person created or linked confirmed (`confirm_link`
    adds them after review).
    """
    written = _written_forms(names)
    if not written:
        return None
    ranked = _ranked(_candidates(session, resident_id, address, also), written, address)
    if not ranked:
        return _create(session, written, address, resident_id, actor)
    best = ranked[0]
    reason = f"{best.written!r} ~ {best.known!r}: {best.match.reason}"
    confirmed = best.match.strong
    rival = next((c for c in ranked[1:] if c.match.strong == best.match.strong), None)
    if rival is not None:
        confirmed = False
        reason += f"; also matches person {rival.person.id} ({rival.known!r}): confirm which"
    person = best.person
    # Only a confirmed link teaches the person a new name: an alias learnt from a weak link
    # would make the next sheet with that name match exactly, confirmed, before any review.
    added = _add_aliases(session, person, written) if confirmed else []
    if confirmed and address and not person.address:
        person.address, person.street_key = address, _street(address)
    audit(
        session,
        actor,
        "person.link",
        "person",
        person.id,
        names=[form.text for form in written],
        aliases_added=added,
        address=address,
        resident_id=resident_id,
        confirmed=confirmed,
        score=round(best.match.score, 1),
        reason=reason,
    )
    return PersonLink(person_id=person.id, confirmed=confirmed, reason=reason, created=False)


def _create(
    session: Session, written: Sequence[_Written], address: str | None, resident_id: int, actor: str
) -> PersonLink:
    person = Person(display_name=written[0].text, address=address, street_key=_street(address))
    session.add(person)
    _add_aliases(session, person, written)
    reason = "no known person of this resident's cases or street matches"
    audit(
        session,
        actor,
        "person.create",
        "person",
        person.id,
        names=[form.text for form in written],
        address=address,
        resident_id=resident_id,
        reason=reason,
    )
    return PersonLink(person_id=person.id, confirmed=True, reason=reason, created=True)


def _current(session: Session, person_id: int) -> Person:
    """The person with this id, refusing one that was merged away; aliases as stored."""
    session.flush()
    person = session.get(Person, person_id, populate_existing=True)
    if person is None:
        raise PersonError(f"No person with id {person_id}; {LIST_PEOPLE_HINT}")
    if person.merged_into is not None:
        current = survivor(session, person_id).id
        raise PersonError(
            f"Person {person_id} was merged into person {current}; use person {current} instead"
        )
    session.expire(person, ["aliases"])
    return person


def _move_aliases(session: Session, merged: Person, keep: Person) -> list[str]:
    have = {alias.alias_key for alias in keep.aliases}
    moved = []
    display_key = _key(merged.display_name or "")
    if display_key and display_key not in have | {a.alias_key for a in merged.aliases}:
        keep.aliases.append(PersonAlias(alias=merged.display_name or "", alias_key=display_key))
        have.add(display_key)
        moved.append(merged.display_name or "")
    for alias in list(merged.aliases):
        if alias.alias_key in have:
            merged.aliases.remove(alias)  # the same name, already known: delete-orphan drops it
        else:
            alias.person = keep
            have.add(alias.alias_key)
            moved.append(alias.alias)
    session.flush()
    return moved


def _open_case(session: Session, resident_id: int, person_id: int) -> Case | None:
    return session.scalars(
        select(Case).where(
            Case.resident_id == resident_id,
            Case.person_id == person_id,
            Case.status == CaseStatus.OPEN,
        )
    ).first()


def _move_case_references(session: Session, source: Case, target: Case) -> None:
    """Case-level police references of an emptied case go to the case its incidents joined."""
    links = list(session.scalars(select(ReferenceLink).where(ReferenceLink.case_id == source.id)))
    on_target = set(
        session.scalars(
            select(ReferenceLink.reference_id).where(
                ReferenceLink.case_id == target.id, ReferenceLink.incident_id.is_(None)
            )
        )
    )
    for link in links:
        if link.incident_id is not None or link.reference_id not in on_target:
            link.case_id = target.id


def _close_into(
    session: Session, source: Case, target: Case, *, why: str, now: dt.datetime, actor: str
) -> None:
    """Move every incident of `source` into `target`, then close `source` saying why."""
    for incident in list(session.scalars(select(Incident).where(Incident.case_id == source.id))):
        incident.case_id = target.id
    _move_case_references(session, source, target)
    source.status, source.closed_at = CaseStatus.CLOSED, now
    session.flush()
    refresh_case(session, target)
    refresh_case(session, source)
    reason = f"Closed: its incidents were moved to case {target.id} ({why})."
    audit(session, actor, "case.close", "case", source.id, reason=reason, into_case_id=target.id)


def _move_cases(
    session: Session, merged: Person, keep: Person, now: dt.datetime, actor: str
) -> tuple[list[int], list[int]]:
    """Re-point the merged person's cases; one open per resident: fold the second in."""
    moved, closed = [], []
    why = f"person {merged.id} was merged into person {keep.id}"
    cases = session.scalars(select(Case).where(Case.person_id == merged.id).order_by(Case.id))
    for case in list(cases):
        target = _open_case(session, case.resident_id, keep.id)
        if case.status is CaseStatus.OPEN and target is not None:
            _close_into(session, case, target, why=why, now=now, actor=actor)
            closed.append(case.id)
        case.person_id = keep.id
        session.flush()
        moved.append(case.id)
    return moved, closed


def merge_persons(
    session: Session,
    keep_id: int,
    merge_id: int,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> None:
    """Person `merge_id` is person `keep_id`: move everything to `keep_id` and keep a pointer.

    Aliases, incidents and cases move; when the resident then has two open cases for the kept
    person, the merged person's case is emptied into the kept one and closed, with the reason
    in the audit log (action "case.close"). Persons merged into `merge_id` earlier now point
    at `keep_id`. Thresholds of the kept cases are for the caller to evaluate again.
    """
    if keep_id == merge_id:
        raise PersonError(
            f"Cannot merge person {keep_id} into itself; give the ids of two different persons"
        )
    keep, merged = _current(session, keep_id), _current(session, merge_id)
    now = now or utcnow()
    aliases = _move_aliases(session, merged, keep)
    cases, closed = _move_cases(session, merged, keep, now, actor)
    incidents = list(session.scalars(select(Incident).where(Incident.person_id == merged.id)))
    for incident in incidents:
        incident.person_id = keep.id
    for earlier in session.scalars(select(Person).where(Person.merged_into == merged.id)):
        earlier.merged_into = keep.id
    merged.merged_into = keep.id
    if not keep.address and merged.address:
        keep.address, keep.street_key = merged.address, merged.street_key
    session.flush()
    audit(
        session,
        actor,
        "person.merge",
        "person",
        keep.id,
        merged_id=merged.id,
        kept_id=keep.id,
        merged_name=merged.display_name,
        aliases_moved=aliases,
        incident_ids=sorted(incident.id for incident in incidents),
        case_ids=cases,
        closed_case_ids=closed,
    )


def _alias_of(person: Person, alias: str) -> PersonAlias:
    key = _key(alias)
    for row in person.aliases:
        if key and row.alias_key == key:
            break
    else:
        known = ", ".join(repr(a.alias) for a in sorted(person.aliases, key=lambda a: a.id))
        raise PersonError(
            f"Person {person.id} has no alias {alias!r}; its aliases are: {known or 'none'}"
        )
    if len(person.aliases) == 1:
        raise PersonError(
            f"{row.alias!r} is the only name of person {person.id}, so there is nothing to split "
            "it from; to say it is someone already known, use `diarydesk person merge`"
        )
    return row


def split_person(
    session: Session,
    person_id: int,
    alias: str,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> int:
    """The name `alias` is someone else: give it and its incidents to a new person.

    Incidents of `person_id` whose written persons include `alias` (by `name_key`) move to the
    new person, confirmed (staff said so), and into the open case for (resident, new person),
    opened if needed. A case left with no incidents is closed, with the reason audited. The
    new person has no address but keeps the street, so neighbours' sheets still find them.
    Returns the new person's id.
    """
    person = _current(session, person_id)
    row = _alias_of(person, alias)
    now = now or utcnow()
    new = Person(display_name=row.alias, street_key=person.street_key)
    session.add(new)
    session.flush()
    row.person = new
    if _key(person.display_name or "") == row.alias_key:
        person.display_name = min(person.aliases, key=lambda a: a.id).alias
    incidents = [
        incident
        for incident in session.scalars(
            select(Incident).where(Incident.person_id == person.id).order_by(Incident.id)
        )
        if any(_key(written) == row.alias_key for written in incident.persons)
    ]
    left = _move_incidents(session, incidents, new, now, actor)
    audit(
        session,
        actor,
        "person.split",
        "person",
        person.id,
        alias=row.alias,
        new_person_id=new.id,
        incident_ids=[incident.id for incident in incidents],
        closed_case_ids=left,
    )
    audit(
        session,
        actor,
        "person.create",
        "person",
        new.id,
        names=[row.alias],
        reason=f"split from person {person.id}",
    )
    return new.id


def _move_incidents(
    session: Session, incidents: Sequence[Incident], new: Person, now: dt.datetime, actor: str
) -> list[int]:
    """Move incidents to `new` and its open cases; close cases left empty. Their ids."""
    old_cases: dict[int, int] = {}
    for incident in incidents:
        target = open_case(
            session, resident_id=incident.resident_id, person_id=new.id, now=now, actor=actor
        )
        old_cases.setdefault(incident.case_id, target.id)
        incident.case_id, incident.person_id, incident.person_confirmed = target.id, new.id, True
    session.flush()
    closed = []
    for case_id, target_id in old_cases.items():
        old_case, new_case = session.get(Case, case_id), session.get(Case, target_id)
        if old_case is None or new_case is None:
            continue
        refresh_case(session, new_case)
        refresh_case(session, old_case)
        remaining = session.scalars(select(Incident.id).where(Incident.case_id == case_id)).first()
        if remaining is None and old_case.status is CaseStatus.OPEN:
            old_case.status, old_case.closed_at = CaseStatus.CLOSED, now
            why = f"its incidents were moved to case {target_id}: {new.display_name!r} split off"
            audit(session, actor, "case.close", "case", case_id, reason=f"Closed: {why}.")
            closed.append(case_id)
    session.flush()
    return closed


def confirm_link(session: Session, incident_id: int, *, actor: str) -> int:
    """Staff confirm an unconfirmed link: the incident is that person's, and so are its names.

    Returns the person's id. The names written on the incident become aliases, so later sheets
    with the same names link confirmed.
    """
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise PersonError(f"No incident with id {incident_id}; see `diarydesk review`.")
    if incident.person_id is None:
        raise PersonError(
            f"Incident {incident_id} names nobody, so there is no link to confirm; "
            "it stays with the resident's unknown-person case."
        )
    person = _current(session, incident.person_id)
    added = _add_aliases(session, person, _written_forms(incident.persons))
    incident.person_confirmed = True
    audit(
        session,
        actor,
        "person.confirm",
        "incident",
        incident.id,
        person_id=person.id,
        aliases_added=added,
    )
    return person.id
