"""Who is who in the store: linking written names to persons, merging and splitting them.

Every test runs on SQLite and on PostgreSQL (the `session` fixture).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from store.cases import open_case
from store.enums import CaseStatus, ReferenceSource
from store.models import (
    AuditEntry,
    Case,
    Incident,
    Person,
    PersonAlias,
    PoliceReference,
    ReferenceLink,
    Resident,
)
from store.names import street_key
from store.persons import (
    PersonError,
    PersonLink,
    confirm_link,
    merge_persons,
    resolve_person,
    split_person,
)
from tests.store import factories

ELM_16 = "16 Elm Road, Melton LE13 0AB"
ACTOR = "worker"


def _resident(session: Session, email: str, address: str | None = None) -> Resident:
    row = factories.resident(session, email)
    row.address, row.street_key = address, street_key(address)
    session.flush()
    return row


def _sheet(
    session: Session, resident: Resident, *names: str, address: str | None = None
) -> PersonLink:
    """What recording does for a sheet: resolve the person, then open the resident's case."""
    link = resolve_person(
        session, names=names, address=address, resident_id=resident.id, actor=ACTOR
    )
    assert link is not None
    open_case(
        session, resident_id=resident.id, person_id=link.person_id, now=factories.NOW, actor=ACTOR
    )
    session.commit()
    return link


def _incident(
    session: Session, case: Case, persons: Sequence[str], *, day: int = 1, confirmed: bool = True
) -> Incident:
    attachment = factories.attachment(session, None, f"sheet {case.id} {day} {persons}".encode())
    session.flush()
    row = Incident(
        case_id=case.id,
        resident_id=case.resident_id,
        person_id=case.person_id,
        person_confirmed=confirmed,
        attachment_id=attachment.id,
        occurred_on=dt.date(2026, 1, day),
        persons=list(persons),
        reported_on=dt.date(2026, 1, 5),
        fingerprint=f"{case.id}-{day}-{persons}",
    )
    session.add(row)
    session.flush()
    return row


def _case(session: Session, resident: Resident, person_id: int) -> Case:
    return open_case(
        session, resident_id=resident.id, person_id=person_id, now=factories.NOW, actor=ACTOR
    )


def _aliases(session: Session, person_id: int) -> set[str]:
    query = sa.select(PersonAlias.alias).where(PersonAlias.person_id == person_id)
    return set(session.scalars(query))


def _audit(session: Session, action: str) -> list[AuditEntry]:
    query = sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(session.scalars(query))


def _person_incidents(session: Session, person_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(Incident).where(Incident.person_id == person_id)
    return session.scalar(query) or 0


# resolve_person


def test_full_name_then_title_and_initial_is_one_confirmed_person(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    first = _sheet(session, resident, "Gary Hollis", address=ELM_16)
    second = _sheet(session, resident, "Mr G Hollis")

    assert first.created and first.confirmed
    assert (second.person_id, second.confirmed, second.created) == (first.person_id, True, False)
    assert "initial matches" in second.reason
    assert _aliases(session, first.person_id) == {"Gary Hollis", "Mr G Hollis"}
    person = session.get(Person, first.person_id)
    assert person is not None
    assert (person.display_name, person.address, person.street_key) == (
        "Gary Hollis",
        ELM_16,
        "elm road",
    )


def test_first_name_and_house_number_is_the_person_at_that_house(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    gary = _sheet(session, resident, "Gary Hollis", address=ELM_16)
    link = _sheet(session, resident, "Gary from 16")
    assert (link.person_id, link.confirmed) == (gary.person_id, True)
    assert "house number 16 matches" in link.reason


def test_first_name_alone_links_unconfirmed_for_review(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    gary = _sheet(session, resident, "Gary Hollis", address=ELM_16)
    link = _sheet(session, resident, "Gary")
    assert (link.person_id, link.confirmed, link.created) == (gary.person_id, False, False)
    assert "first name only" in link.reason
    # A weak link teaches no alias: "Gary" must not match exactly before staff confirm it.
    assert "Gary" not in _aliases(session, gary.person_id)


def test_same_first_name_other_surname_is_a_different_person(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    hollis = _sheet(session, resident, "Gary Hollis", address=ELM_16)
    smith = _sheet(session, resident, "Gary Smith")
    assert smith.person_id != hollis.person_id
    assert smith.created
    assert _aliases(session, hollis.person_id) == {"Gary Hollis"}


def test_a_full_name_on_the_sheet_rules_out_a_first_name_match(session: Session) -> None:
    """Header "Gary Smith", rows "Gary": never joins Gary Hollis through the rows' "Gary"."""
    resident = _resident(session, "a@example.org")
    hollis = _sheet(session, resident, "Gary Hollis", address=ELM_16)
    link = _sheet(session, resident, "Gary Smith", "Gary")
    assert link.person_id != hollis.person_id and link.created
    assert _aliases(session, link.person_id) == {"Gary Smith", "Gary"}
    assert _aliases(session, hollis.person_id) == {"Gary Hollis"}


def test_same_person_from_a_second_household_on_the_street(session: Session) -> None:
    first = _resident(session, "a@example.org", "14 Elm Road, Melton")
    second = _resident(session, "b@example.org", "20 Elm Road, Melton")
    gary = _sheet(session, first, "Gary Hollis", address=ELM_16)
    link = _sheet(session, second, "Gary Hollis", address="16 Elm Road")
    assert (link.person_id, link.confirmed, link.created) == (gary.person_id, True, False)


def test_a_neighbour_without_an_address_is_found_through_the_residents_street(
    session: Session,
) -> None:
    first = _resident(session, "a@example.org", "14 Elm Road, Melton")
    second = _resident(session, "b@example.org", "20 Elm Rd")
    gary = _sheet(session, first, "Gary Hollis")
    link = _sheet(session, second, "G Hollis")
    assert (link.person_id, link.confirmed) == (gary.person_id, True)


def test_the_same_name_elsewhere_in_town_is_not_a_candidate(session: Session) -> None:
    elm = _resident(session, "a@example.org", "14 Elm Road, Melton")
    oak = _resident(session, "b@example.org", "3 Oak Lane, Loughborough")
    gary = _sheet(session, elm, "Gary Hollis", address=ELM_16)
    link = _sheet(session, oak, "Gary Hollis", address="5 Oak Lane")
    assert link.person_id != gary.person_id and link.created


def test_no_name_written_is_the_unknown_person(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    for names in ([], ["  "], ["(unknown)"]):
        assert (
            resolve_person(session, names=names, address=None, resident_id=resident.id, actor=ACTOR)
            is None
        )
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_two_persons_matching_strongly_is_unconfirmed(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    gary = _sheet(session, resident, "Gary Hollis")
    grace = _sheet(session, resident, "Grace Hollis")
    assert grace.person_id != gary.person_id
    link = _sheet(session, resident, "G Hollis")
    assert (link.person_id, link.confirmed) == (gary.person_id, False)
    assert f"also matches person {grace.person_id}" in link.reason


def test_a_merged_person_is_matched_through_the_survivor(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    keep = _sheet(session, resident, "Gary Hollis", address=ELM_16)
    gone = _sheet(session, resident, "Gaz")
    merge_persons(session, keep.person_id, gone.person_id, actor="cli:alice")
    session.commit()
    link = _sheet(session, resident, "Gaz from 16")
    assert (link.person_id, link.confirmed) == (keep.person_id, True)


def test_each_written_form_is_one_alias(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    gary = _sheet(session, resident, "Gary Hollis", "GARY HOLLIS", "Gary")
    _sheet(session, resident, "gary hollis", "Mr G. Hollis")
    keys = session.scalars(
        sa.select(PersonAlias.alias_key).where(PersonAlias.person_id == gary.person_id)
    ).all()
    assert sorted(keys) == ["g hollis", "gary", "gary hollis"]


def test_create_and_link_are_audited_with_names_and_reason(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    gary = _sheet(session, resident, "Gary Hollis", address=ELM_16)
    _sheet(session, resident, "Gary")

    (created,) = _audit(session, "person.create")
    (linked,) = _audit(session, "person.link")
    assert (created.actor, created.entity, created.entity_id) == (
        ACTOR,
        "person",
        str(gary.person_id),
    )
    assert created.detail["names"] == ["Gary Hollis"]
    assert created.detail["resident_id"] == resident.id
    assert linked.entity_id == str(gary.person_id)
    assert linked.detail["names"] == ["Gary"]
    assert linked.detail["confirmed"] is False
    assert "first name only" in linked.detail["reason"]


# merge_persons


def test_merge_moves_aliases_incidents_and_folds_the_second_open_case(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    other = _resident(session, "b@example.org")
    keep = _sheet(session, resident, "Gary Hollis", address=ELM_16).person_id
    gone = _sheet(session, resident, "Gaz Hollis").person_id
    kept_case, folded_case = _case(session, resident, keep), _case(session, resident, gone)
    other_case = _case(session, other, gone)
    _incident(session, kept_case, ["Gary Hollis"], day=1)
    moved = [
        _incident(session, folded_case, ["Gaz Hollis"], day=2),
        _incident(session, other_case, ["Gaz Hollis"], day=3),
    ]
    reference = PoliceReference(text="CC-1")
    session.add(reference)
    session.flush()
    session.add(
        ReferenceLink(
            reference_id=reference.id, case_id=folded_case.id, source=ReferenceSource.SHEET_HEADER
        )
    )
    session.commit()

    merge_persons(session, keep, gone, actor="cli:alice", now=factories.NOW)
    session.commit()
    session.expire_all()

    assert _person_incidents(session, keep) == 3
    assert _person_incidents(session, gone) == 0
    assert _aliases(session, keep) == {"Gary Hollis", "Gaz Hollis"}
    assert _aliases(session, gone) == set()
    assert session.get(Person, gone).merged_into == keep  # type: ignore[union-attr]
    assert {i.case_id for i in moved} == {kept_case.id, other_case.id}
    assert (folded_case.status, folded_case.person_id) == (CaseStatus.CLOSED, keep)
    assert (other_case.status, other_case.person_id) == (CaseStatus.OPEN, keep)
    assert (kept_case.first_incident_on, kept_case.last_incident_on) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 2),
    )
    links = session.scalars(sa.select(ReferenceLink.case_id)).all()
    assert links == [kept_case.id]

    (entry,) = _audit(session, "person.merge")
    assert (entry.actor, entry.entity_id) == ("cli:alice", str(keep))
    assert entry.detail["merged_id"] == gone
    assert entry.detail["closed_case_ids"] == [folded_case.id]
    (closed,) = _audit(session, "case.close")
    assert closed.entity_id == str(folded_case.id)
    assert f"moved to case {kept_case.id}" in closed.detail["reason"]


def test_merged_persons_incidents_count_under_the_survivor(session: Session) -> None:
    first, second = _resident(session, "a@example.org"), _resident(session, "b@example.org")
    keep = _sheet(session, first, "Gary Hollis").person_id
    gone = _sheet(session, second, "Gary Hollins").person_id  # another street: not a candidate
    assert keep != gone
    _incident(session, _case(session, first, keep), ["Gary Hollis"], day=1)
    _incident(session, _case(session, second, gone), ["Gary Hollins"], day=2)
    session.commit()

    merge_persons(session, keep, gone, actor="cli:alice")
    session.commit()
    assert _person_incidents(session, keep) == 2
    residents = session.scalars(
        sa.select(Incident.resident_id).where(Incident.person_id == keep).distinct()
    ).all()
    assert sorted(residents) == sorted([first.id, second.id])


def test_merging_again_follows_earlier_merges(session: Session) -> None:
    a, b, c = (factories.person(session, name) for name in ("Gary Hollis", "Gaz", "G H"))
    session.flush()
    merge_persons(session, b.id, c.id, actor="cli:alice")
    merge_persons(session, a.id, b.id, actor="cli:alice")
    session.commit()
    assert (b.merged_into, c.merged_into) == (a.id, a.id)


# Each gets the ids of persons One, Two and Three (Three merged into One) and says what to try.
MERGE_REFUSALS: list[tuple[str, Callable[[list[int]], tuple[int, int, str]]]] = [
    ("into itself", lambda p: (p[0], p[0], f"Cannot merge person {p[0]} into itself")),
    (
        "unknown person merged",
        lambda p: (p[0], 9999, "No person with id 9999; list people with `diarydesk cases`"),
    ),
    ("unknown person kept", lambda p: (9999, p[0], "No person with id 9999")),
    (
        "already merged",
        lambda p: (p[1], p[2], f"Person {p[2]} was merged into person {p[0]}; use person {p[0]}"),
    ),
    ("kept one was merged", lambda p: (p[2], p[1], f"Person {p[2]} was merged into person {p[0]}")),
]


@pytest.mark.parametrize("case", [c[1] for c in MERGE_REFUSALS], ids=[c[0] for c in MERGE_REFUSALS])
def test_merge_refuses_with_an_actionable_message(
    session: Session, case: Callable[[list[int]], tuple[int, int, str]]
) -> None:
    people = [factories.person(session, name) for name in ("One", "Two", "Three")]
    session.flush()
    people[2].merged_into = people[0].id
    session.flush()
    keep, merge, message = case([p.id for p in people])
    with pytest.raises(PersonError, match=re.escape(message)):
        merge_persons(session, keep, merge, actor="cli:alice")


# split_person


def test_split_moves_the_alias_and_its_incidents_to_a_new_person(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    person = _sheet(session, resident, "Gary Hollis", address=ELM_16).person_id
    _sheet(session, resident, "Gary Smith", "Gary")  # a separate person...
    session.add(PersonAlias(person_id=person, alias="Gary Smyth", alias_key="gary smyth"))
    case = _case(session, resident, person)
    hollis = _incident(session, case, ["Gary Hollis"], day=1)
    smyth = [
        _incident(session, case, ["gary smyth"], day=2, confirmed=False),
        _incident(session, case, ["Gary Smyth", "Kyle"], day=3, confirmed=False),
    ]
    session.commit()

    new_id = split_person(session, person, "GARY SMYTH", actor="cli:alice", now=factories.NOW)
    session.commit()

    new = session.get(Person, new_id)
    assert new is not None
    assert (new.display_name, new.address, new.street_key) == ("Gary Smyth", None, "elm road")
    assert _aliases(session, new_id) == {"Gary Smyth"}
    assert _aliases(session, person) == {"Gary Hollis"}
    assert hollis.person_id == person and hollis.case_id == case.id
    new_case = session.scalars(sa.select(Case).where(Case.person_id == new_id)).one()
    assert (new_case.resident_id, new_case.status) == (resident.id, CaseStatus.OPEN)
    assert [(i.person_id, i.case_id, i.person_confirmed) for i in smyth] == [
        (new_id, new_case.id, True)
    ] * 2
    assert case.status is CaseStatus.OPEN  # still holds the Gary Hollis incident

    (entry,) = _audit(session, "person.split")
    assert entry.entity_id == str(person)
    assert entry.detail["new_person_id"] == new_id
    assert entry.detail["incident_ids"] == [i.id for i in smyth]
    assert _audit(session, "person.create")[-1].entity_id == str(new_id)


def test_split_then_merge_round_trip(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    person = _sheet(session, resident, "Gary Hollis", "Gaz").person_id
    case = _case(session, resident, person)
    _incident(session, case, ["Gary Hollis"], day=1)
    gaz = _incident(session, case, ["Gaz"], day=2)
    session.commit()

    new_id = split_person(session, person, "Gaz", actor="cli:alice")
    session.commit()
    assert _person_incidents(session, person) == 1
    assert gaz.person_id == new_id and gaz.case_id != case.id

    merge_persons(session, person, new_id, actor="cli:alice")
    session.commit()
    assert _person_incidents(session, person) == 2
    assert _aliases(session, person) == {"Gary Hollis", "Gaz"}
    assert gaz.case_id == case.id
    open_cases = session.scalars(
        sa.select(Case.id).where(Case.resident_id == resident.id, Case.status == CaseStatus.OPEN)
    ).all()
    assert open_cases == [case.id]
    assert [e.action for e in _audit(session, "person.split")] == ["person.split"]
    assert [e.action for e in _audit(session, "person.merge")] == ["person.merge"]


def test_split_closes_a_case_it_empties(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    person = _sheet(session, resident, "Gary Hollis", "Gaz").person_id
    case = _case(session, resident, person)
    _incident(session, case, ["Gaz"], day=1)
    session.commit()

    split_person(session, person, "gaz", actor="cli:alice")
    session.commit()
    assert case.status is CaseStatus.CLOSED
    (closed,) = _audit(session, "case.close")
    assert closed.entity_id == str(case.id)
    assert "split off" in closed.detail["reason"]


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("Kyle Dunmore", "has no alias 'Kyle Dunmore'; its aliases are: 'Gary Hollis', 'Gaz'"),
        ("", "has no alias ''"),
    ],
    ids=["unknown alias", "empty alias"],
)
def test_split_refuses_an_unknown_alias(session: Session, alias: str, message: str) -> None:
    resident = _resident(session, "a@example.org")
    person = _sheet(session, resident, "Gary Hollis", "Gaz").person_id
    with pytest.raises(PersonError, match=re.escape(message)):
        split_person(session, person, alias, actor="cli:alice")


def test_split_refuses_the_only_name_and_unknown_ids(session: Session) -> None:
    resident = _resident(session, "a@example.org")
    person = _sheet(session, resident, "Gary Hollis").person_id
    with pytest.raises(PersonError, match="only name of person"):
        split_person(session, person, "Gary Hollis", actor="cli:alice")
    with pytest.raises(PersonError, match="No person with id 9999; list people"):
        split_person(session, 9999, "Gary Hollis", actor="cli:alice")


def test_weak_link_learns_no_alias_until_staff_confirm_it(session: Session) -> None:
    """A weak match stays weak on the next sheet; staff confirm each incident's link."""
    resident = Resident(email="weak@example.org", name="A Resident")
    session.add(resident)
    session.flush()
    first = resolve_person(
        session,
        names=["Gary Hollis"],
        address="16 Elm Road",
        resident_id=resident.id,
        actor="test",
    )
    assert first is not None and first.created
    case = _case(session, resident, first.person_id)

    def gary() -> PersonLink:
        link = resolve_person(
            session, names=["Gary"], address=None, resident_id=resident.id, actor="test"
        )
        assert link is not None and link.person_id == first.person_id
        return link

    assert not gary().confirmed
    assert not gary().confirmed  # the first weak link taught no alias
    attachment = factories.attachment(session, None, data=b"a weakly linked sheet")
    session.flush()
    incident = Incident(
        case_id=case.id,
        resident_id=resident.id,
        person_id=first.person_id,
        person_confirmed=False,
        attachment_id=attachment.id,
        persons=["Gary"],
        reported_on=factories.NOW.date(),
        fingerprint="x",
    )
    session.add(incident)
    session.flush()
    assert incident.id is not None
    assert confirm_link(session, incident.id, actor="alice") == first.person_id
    assert incident.person_confirmed
    assert "Gary" in _aliases(session, first.person_id)
    # A first name alone still never links confirmed to someone known by a full name: another
    # Gary may live next door. Each such incident is confirmed by a person.
    assert not gary().confirmed
