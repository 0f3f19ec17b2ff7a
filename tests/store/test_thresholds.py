"""Threshold rules: the pure rules by table (no database), then `evaluate` on both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from store.enums import CaseStatus, ThresholdRule
from store.models import (
    AuditEntry,
    Case,
    Incident,
    IncidentSource,
    Person,
    PersonAlias,
    Resident,
    ThresholdCrossing,
)
from store.thresholds import (
    COMMUNITY_TRIGGER_REVIEW,
    COURSE_OF_CONDUCT_REVIEW,
    UNCONFIRMED_LINK,
    Decision,
    IncidentFact,
    ThresholdSettings,
    community_trigger,
    course_of_conduct,
    evaluate,
)
from tests.store import factories

DEFAULTS = ThresholdSettings()
HATE_ON = ThresholdSettings(hate_incident_triggers=True)
NOW = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
COC = ThresholdRule.COURSE_OF_CONDUCT
CT = ThresholdRule.COMMUNITY_TRIGGER


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def fact(
    id_: int,
    on: str | None = "2026-03-03",
    *,
    at: str | None = None,
    resident: int = 1,
    person: int | None = 7,
    reported: str | None = None,
    late: int = 1,
    confirmed: bool = True,
    categories: tuple[str, ...] = (),
    description: str | None = None,
) -> IncidentFact:
    """An incident fact; reported `late` days after it happened unless `reported` is given."""
    occurred = d(on) if on else None
    if reported is not None:
        reported_on = d(reported)
    else:
        reported_on = (occurred or d("2026-06-01")) + dt.timedelta(days=late)
    return IncidentFact(
        id=id_,
        resident_id=resident,
        case_id=100 + resident,
        person_id=person,
        person_confirmed=confirmed,
        occurred_on=occurred,
        time=dt.time.fromisoformat(at) if at else None,
        reported_on=reported_on,
        categories=categories,
        description_key=description,
    )


# --- course of conduct, pure ----------------------------------------------------------------


@dataclass(frozen=True)
class CocCase:
    case_facts: tuple[IncidentFact, ...]
    other_facts: tuple[IncidentFact, ...] = ()  # the person's incidents against other residents
    settings: ThresholdSettings = DEFAULTS
    fired: bool = True
    incident_ids: tuple[int, ...] = ()
    gap_days: int | None = None
    undated: bool = False
    unconfirmed: bool = False
    says: tuple[str, ...] = ()  # each is a substring of one of the reasons


COC_TABLE: dict[str, CocCase] = {
    "two-incidents-one-resident": CocCase(
        (fact(1, "2026-03-03"), fact(2, "2026-03-08")),
        incident_ids=(1, 2),
        gap_days=5,
        says=(
            "2 incidents by the same person against this resident on separate occasions "
            "(3 and 8 March 2026, 5 days apart)",
        ),
    ),
    "one-incident-is-not-enough": CocCase(
        (fact(1),),
        fired=False,
        says=("1 occasion by the same person against this resident (2 needed)",),
    ),
    "no-incidents": CocCase((), fired=False, says=("no incident on this case by a known person",)),
    "unknown-person-never-counts": CocCase(
        (fact(1, person=None), fact(2, "2026-03-08", person=None)),
        fired=False,
        says=("no incident on this case by a known person", "2 incidents with no known person"),
    ),
    "unknown-person-does-not-make-up-the-count": CocCase(
        (fact(1), fact(2, "2026-03-08", person=None)), fired=False
    ),
    "two-different-persons-one-each": CocCase(
        (fact(1, person=7), fact(2, "2026-03-08", person=8)), fired=False
    ),
    "same-date-and-time-is-one-occasion": CocCase(
        (fact(1, at="22:30"), fact(2, at="22:30"), fact(3, at="22:30")),
        fired=False,
        says=("1 occasion", "2 more rows had the same date and time"),
    ),
    "same-date-no-time-is-one-occasion": CocCase((fact(1), fact(2)), fired=False),
    "same-date-different-times-are-two-occasions": CocCase(
        (fact(1, at="09:00"), fact(2, at="22:30")),
        incident_ids=(1, 2),
        gap_days=0,
        says=("3 March 2026 (twice), on the same day",),
    ),
    "undated-incident-counts-but-is-flagged": CocCase(
        (fact(1), fact(2, None)),
        incident_ids=(1, 2),
        undated=True,
        says=("3 March 2026, 1 undated incident", "includes an undated incident"),
    ),
    "two-undated-with-different-descriptions": CocCase(
        (fact(1, None, description="shouting"), fact(2, None, description="bins kicked")),
        incident_ids=(1, 2),
        undated=True,
        says=("(2 undated incidents)",),
    ),
    "two-undated-with-the-same-description-are-one": CocCase(
        (fact(1, None, description="shouting"), fact(2, None, description="shouting")),
        fired=False,
    ),
    "dated-incidents-preferred-to-undated": CocCase(
        (fact(1, None), fact(2, "2026-03-03"), fact(3, "2026-03-10")),
        incident_ids=(2, 3),
        gap_days=7,
        says=("3 incidents", "the closest 2: 3 and 10 March 2026, 7 days apart"),
    ),
    "closest-pair-is-the-one-recorded": CocCase(
        (fact(1, "2026-01-01"), fact(2, "2026-03-01"), fact(3, "2026-03-04")),
        incident_ids=(2, 3),
        gap_days=3,
    ),
    "unconfirmed-link-counts-but-is-flagged": CocCase(
        (fact(1), fact(2, "2026-03-08", confirmed=False)),
        incident_ids=(1, 2),
        gap_days=5,
        unconfirmed=True,
        says=(UNCONFIRMED_LINK,),
    ),
    "gap-over-120-days-is-noted": CocCase(
        (fact(1, "2026-01-01"), fact(2, "2026-06-01")),
        incident_ids=(1, 2),
        gap_days=151,
        says=("1 January and 1 June 2026, 151 days apart", "Lau v DPP"),
    ),
    "dates-across-years": CocCase(
        (fact(1, "2025-12-30"), fact(2, "2026-01-02")),
        incident_ids=(1, 2),
        gap_days=3,
        says=("30 December 2025 and 2 January 2026, 3 days apart",),
    ),
    "count-of-three-configured": CocCase(
        (fact(1, "2026-03-03"), fact(2, "2026-03-08")),
        settings=ThresholdSettings(course_of_conduct_incidents=3),
        fired=False,
        says=("(3 needed)",),
    ),
    "count-of-three-met": CocCase(
        (fact(1, "2026-02-27"), fact(2, "2026-03-03"), fact(3, "2026-03-08")),
        settings=ThresholdSettings(course_of_conduct_incidents=3),
        incident_ids=(1, 2, 3),
        gap_days=9,
        says=("27 February, 3 March and 8 March 2026, 9 days from first to last",),
    ),
    "one-each-against-two-residents": CocCase(
        (fact(1, "2026-03-08"),),
        other_facts=(fact(5, "2026-03-03", resident=2),),
        incident_ids=(5, 1),
        gap_days=5,
        says=("against 2 different residents, this one included", "5 days apart"),
    ),
    "other-resident-undated-counts-but-is-flagged": CocCase(
        (fact(1),),
        other_facts=(fact(5, None, resident=2),),
        incident_ids=(1, 5),
        undated=True,
        says=("includes an undated incident",),
    ),
    "closest-incident-of-the-other-resident-is-recorded": CocCase(
        (fact(1, "2026-05-01"),),
        other_facts=(fact(5, "2026-01-01", resident=2), fact(6, "2026-04-20", resident=2)),
        incident_ids=(6, 1),
        gap_days=11,
    ),
    "other-persons-incidents-elsewhere-do-not-count": CocCase(
        (fact(1),), other_facts=(fact(5, resident=2, person=8),), fired=False
    ),
    "three-residents-configured": CocCase(
        (fact(1),),
        other_facts=(fact(5, resident=2),),
        settings=ThresholdSettings(course_of_conduct_residents=3),
        fired=False,
        says=("incidents against 1 other resident (2 needed)",),
    ),
    "three-residents-met": CocCase(
        (fact(1, "2026-03-03"),),
        other_facts=(fact(5, "2026-03-04", resident=2), fact(6, "2026-03-05", resident=3)),
        settings=ThresholdSettings(course_of_conduct_residents=3),
        incident_ids=(1, 5, 6),
        gap_days=2,
        says=("against 3 different residents",),
    ),
    "same-resident-limb-notes-other-residents": CocCase(
        (fact(1, "2026-03-03"), fact(2, "2026-03-08")),
        other_facts=(fact(5, resident=2),),
        incident_ids=(1, 2),
        gap_days=5,
        says=("against this resident", "also has incidents against 1 other resident"),
    ),
}


@pytest.mark.parametrize("row", COC_TABLE.values(), ids=COC_TABLE.keys())
def test_course_of_conduct(row: CocCase) -> None:
    person_facts = (*row.case_facts, *row.other_facts)
    decision = course_of_conduct(row.case_facts, person_facts, row.settings)
    assert decision.rule == COC == "course_of_conduct"
    assert decision.fired is row.fired, decision.reasons
    assert decision.incident_ids == row.incident_ids
    assert (decision.gap_days, decision.undated) == (row.gap_days, row.undated)
    assert decision.unconfirmed_link is row.unconfirmed
    for words in row.says:
        assert any(words in reason for reason in decision.reasons), (words, decision.reasons)
    assert (decision.reasons[-1] == COURSE_OF_CONDUCT_REVIEW) is row.fired
    assert "harass" not in " ".join(decision.reasons).lower()  # a count, never a finding


def test_course_of_conduct_ignores_incidents_of_other_persons_in_person_facts() -> None:
    mine = (fact(1),)
    stray = fact(9, resident=2, person=8)
    assert not course_of_conduct(mine, (*mine, stray), DEFAULTS).fired


# --- community trigger, pure ----------------------------------------------------------------


@dataclass(frozen=True)
class CtCase:
    facts: tuple[IncidentFact, ...]
    settings: ThresholdSettings = DEFAULTS
    fired: bool = True
    incident_ids: tuple[int, ...] = ()
    gap_days: int | None = None
    says: tuple[str, ...] = ()


PROMPT_THREE = (fact(1, "2026-01-10"), fact(2, "2026-03-01"), fact(3, "2026-05-20"))

CT_TABLE: dict[str, CtCase] = {
    "three-prompt-within-six-months": CtCase(
        PROMPT_THREE,
        incident_ids=(1, 2, 3),
        gap_days=130,
        says=(
            "3 qualifying complaints within 183 days (10 January, 1 March and 20 May 2026, "
            "130 days from first to last), each reported within 31 days of the incident",
        ),
    ),
    "three-late-and-two-prompt": CtCase(
        (
            fact(1, "2026-01-10", late=40),
            fact(2, "2026-02-10", late=40),
            fact(3, "2026-03-10", late=40),
            fact(4, "2026-04-10"),
            fact(5, "2026-05-10"),
        ),
        fired=False,
        says=(
            "2 qualifying complaints within 183 days (3 needed)",
            "3 incidents reported more than 31 days after it happened",
        ),
    ),
    "three-prompt-over-eight-months": CtCase(
        (fact(1, "2026-01-01"), fact(2, "2026-05-01"), fact(3, "2026-09-01")),
        fired=False,
        says=("2 qualifying complaints within 183 days",),
    ),
    "reported-on-day-31-qualifies": CtCase(
        (fact(1, "2026-01-01"), fact(2, "2026-01-02"), fact(3, "2026-01-03", late=31)),
        incident_ids=(1, 2, 3),
        gap_days=2,
    ),
    "reported-on-day-32-does-not": CtCase(
        (fact(1, "2026-01-01"), fact(2, "2026-01-02"), fact(3, "2026-01-03", late=32)),
        fired=False,
    ),
    "window-of-183-days-inclusive": CtCase(
        (fact(1, "2026-01-01"), fact(2, "2026-03-01"), fact(3, "2026-07-03")),
        incident_ids=(1, 2, 3),
        gap_days=183,
    ),
    "window-of-184-days-too-long": CtCase(
        (fact(1, "2026-01-01"), fact(2, "2026-03-01"), fact(3, "2026-07-04")), fired=False
    ),
    "closest-three-recorded": CtCase(
        (*PROMPT_THREE, fact(4, "2026-05-25"), fact(5, "2026-05-30")),
        incident_ids=(3, 4, 5),
        gap_days=10,
    ),
    "undated-never-qualifies": CtCase(
        (fact(1, "2026-01-10"), fact(2, "2026-03-01"), fact(3, None, reported="2026-03-02")),
        fired=False,
        says=("1 undated incident: not a qualifying complaint",),
    ),
    "reported-before-it-happened-does-not-qualify": CtCase(
        (fact(1, "2026-01-10"), fact(2, "2026-03-01"), fact(3, "2026-03-05", late=-2)),
        fired=False,
        says=("1 incident dated after it was reported",),
    ),
    "duplicate-rows-are-one-complaint": CtCase(
        (fact(1, at="22:30"), fact(2, at="22:30"), fact(3, at="22:30")),
        fired=False,
        says=("1 qualifying complaint within 183 days", "2 more rows"),
    ),
    "unknown-person-complaints-count": CtCase(
        tuple(dataclasses.replace(f, person_id=None) for f in PROMPT_THREE),
        incident_ids=(1, 2, 3),
        gap_days=130,
    ),
    "hate-incident-alone-without-the-option": CtCase(
        (fact(1, categories=("hate", "verbal_abuse")),), fired=False
    ),
    "hate-incident-with-the-option": CtCase(
        (fact(1, "2026-03-01"), fact(2, "2026-03-03", late=2, categories=("hate",))),
        settings=HATE_ON,
        incident_ids=(2,),
        says=("a qualifying complaint of a hate incident (3 March 2026, reported 2 days later)",),
    ),
    "late-hate-incident-does-not-qualify": CtCase(
        (fact(1, late=45, categories=("hate",)),), settings=HATE_ON, fired=False
    ),
    "count-preferred-to-hate-route": CtCase(
        (*PROMPT_THREE[:2], dataclasses.replace(PROMPT_THREE[2], categories=("hate",))),
        settings=HATE_ON,
        incident_ids=(1, 2, 3),
        gap_days=130,
    ),
    "no-incidents": CtCase((), fired=False, says=("0 qualifying complaints",)),
    "one-complaint-configured": CtCase(
        (fact(1),),
        settings=ThresholdSettings(community_trigger_complaints=1),
        incident_ids=(1,),
        says=("1 qualifying complaint within 183 days (3 March 2026)",),
    ),
}


@pytest.mark.parametrize("row", CT_TABLE.values(), ids=CT_TABLE.keys())
def test_community_trigger(row: CtCase) -> None:
    decision = community_trigger(row.facts, row.settings)
    assert decision.rule == CT == "community_trigger"
    assert decision.fired is row.fired, decision.reasons
    assert (decision.incident_ids, decision.gap_days) == (row.incident_ids, row.gap_days)
    assert (decision.undated, decision.unconfirmed_link) == (False, False)
    for words in row.says:
        assert any(words in reason for reason in decision.reasons), (words, decision.reasons)
    assert (decision.reasons[-1] == COMMUNITY_TRIGGER_REVIEW) is row.fired


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"course_of_conduct_incidents": 1}, "course_of_conduct_incidents` must be at least 2"),
        ({"course_of_conduct_residents": 1}, "course_of_conduct_residents` must be at least 2"),
        ({"community_trigger_complaints": 0}, "community_trigger_complaints` must be at least"),
        ({"community_trigger_complaints": 4}, r"at most 3 \(ASBCPA 2014 s.104\(4\)\)"),
        ({"community_trigger_window_days": 0}, "community_trigger_window_days"),
        ({"qualifying_report_days": -1}, "qualifying_report_days"),
    ],
    ids=[
        "one-incident",
        "one-resident",
        "no-complaints",
        "above-statutory-three",
        "no-window",
        "negative-report-days",
    ],
)
def test_settings_are_validated(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(DEFAULTS, **changes)


# --- evaluate, on SQLite and PostgreSQL -----------------------------------------------------


@dataclass
class World:
    """Builders for cases and incidents on top of `factories`; one attachment per sheet."""

    session: Session
    sheets: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000)))
    attachment_id: int = 0

    def __post_init__(self) -> None:
        self.attachment_id = self.sheet()

    def sheet(self) -> int:
        row = factories.attachment(self.session, None, data=f"sheet {next(self.sheets)}".encode())
        self.session.flush()
        return row.id

    def resident(self, email: str = "resident@example.org") -> Resident:
        row = factories.resident(self.session, email)
        self.session.flush()
        return row

    def person(self, *aliases: str) -> Person:
        row = factories.person(self.session, aliases[0] if aliases else "Neighbour at 12")
        row.aliases = [PersonAlias(alias=a, alias_key=a.casefold()) for a in aliases]
        self.session.flush()
        return row

    def case(self, resident: Resident, person: Person | None) -> Case:
        row = factories.case(self.session, resident.id, person.id if person else None)
        self.session.flush()
        return row

    def incident(
        self,
        case: Case,
        on: str | None,
        *,
        late: int = 1,
        persons: Sequence[str] = (),
        confirmed: bool = True,
        categories: Sequence[str] = (),
    ) -> Incident:
        occurred = d(on) if on else None
        row = Incident(
            case_id=case.id,
            resident_id=case.resident_id,
            person_id=case.person_id,
            person_confirmed=confirmed,
            attachment_id=self.attachment_id,
            occurred_on=occurred,
            reported_on=(occurred or d("2026-06-01")) + dt.timedelta(days=late),
            description=f"entry for {on}",
            persons=list(persons),
            categories=list(categories),
            fingerprint=hashlib.sha256(f"{case.id} {on} {persons}".encode()).hexdigest(),
        )
        self.session.add(row)
        self.session.flush()
        return row


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def _crossings(session: Session) -> list[tuple[ThresholdRule, int | None]]:
    rows = session.execute(
        sa.select(ThresholdCrossing.rule, ThresholdCrossing.case_id).order_by(
            ThresholdCrossing.case_id, ThresholdCrossing.rule
        )
    )
    return [(rule, case_id) for rule, case_id in rows]


def _audit(session: Session) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    return [(e.action, e.entity, e.entity_id, e.detail) for e in rows]


def test_gary_hollis_and_mr_g_hollis_meet_the_count_exactly_once(
    session: Session, world: World
) -> None:
    resident, hollis = world.resident(), world.person("Gary Hollis", "Mr G Hollis")
    case = world.case(resident, hollis)
    first = world.incident(case, "2026-03-03", persons=["Gary Hollis"])
    second = world.incident(case, "2026-03-08", persons=["Mr G Hollis"])

    new = evaluate(session, case_ids=[case.id], now=NOW, actor="cli:alice")
    session.commit()
    session.expunge_all()

    assert [(c.rule, c.case_id, c.person_id) for c in new] == [(COC, case.id, hollis.id)]
    stored = session.scalars(sa.select(ThresholdCrossing)).one()
    assert (stored.met_at, stored.incident_ids, stored.gap_days) == (
        NOW,
        [first.id, second.id],
        5,
    )
    assert stored.reasons == [
        "2 incidents by the same person against this resident on separate occasions "
        "(3 and 8 March 2026, 5 days apart)",
        COURSE_OF_CONDUCT_REVIEW,
    ]
    reloaded = session.get_one(Case, case.id)
    assert (reloaded.course_of_conduct_met_at, reloaded.community_trigger_met_at) == (NOW, None)
    assert reloaded.needs_review is False
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert (entry.at, entry.actor) == (NOW, "cli:alice")
    assert _audit(session) == [
        (
            "threshold.met",
            "case",
            str(case.id),
            {"rule": "course_of_conduct", "incident_ids": [first.id, second.id]},
        )
    ]


def test_a_crossing_is_recorded_once_and_never_unrecorded(session: Session, world: World) -> None:
    case = world.case(world.resident(), world.person())
    # Reported late, so that the third incident cannot meet the community trigger.
    world.incident(case, "2026-03-03", late=40)
    world.incident(case, "2026-03-08", late=40)
    assert len(evaluate(session, case_ids=[case.id], now=NOW)) == 1
    session.commit()

    later = NOW + dt.timedelta(days=1)
    assert evaluate(session, case_ids=[case.id], now=later) == []
    world.incident(case, "2026-03-20", late=40)
    assert evaluate(session, case_ids=[case.id, case.id], now=later) == []
    stricter = ThresholdSettings(course_of_conduct_incidents=5)
    assert evaluate(session, case_ids=[case.id], now=later, settings=stricter) == []
    session.commit()
    session.expunge_all()

    stored = session.scalars(sa.select(ThresholdCrossing)).one()
    assert (stored.met_at, len(stored.incident_ids)) == (NOW, 2)
    assert session.get_one(Case, case.id).course_of_conduct_met_at == NOW
    assert len(_audit(session)) == 1


def test_one_incident_each_against_two_residents_records_both_cases(
    session: Session, world: World
) -> None:
    hollis = world.person("Gary Hollis")
    first = world.case(world.resident("a@example.org"), hollis)
    second = world.case(world.resident("b@example.org"), hollis)
    on_first = world.incident(first, "2026-03-03")
    session.commit()
    assert evaluate(session, case_ids=[first.id], now=NOW) == []

    on_second = world.incident(second, "2026-03-10")
    new = evaluate(session, case_ids=[second.id], now=NOW)
    session.commit()

    assert sorted((c.case_id, c.rule) for c in new) == [(first.id, COC), (second.id, COC)]
    assert all(c.incident_ids == [on_first.id, on_second.id] for c in new)
    assert all(c.gap_days == 7 for c in new)
    assert all("against 2 different residents" in c.reasons[0] for c in new)
    assert session.get_one(Case, first.id).course_of_conduct_met_at == NOW
    assert sorted(entity_id or "" for _, _, entity_id, _ in _audit(session)) == sorted(
        [str(first.id), str(second.id)]
    )
    assert evaluate(session, case_ids=[first.id, second.id], now=NOW) == []


def test_the_persons_closed_cases_are_not_recorded(session: Session, world: World) -> None:
    hollis = world.person()
    closed = world.case(world.resident("a@example.org"), hollis)
    world.incident(closed, "2026-01-03")
    closed.status, closed.closed_at = CaseStatus.CLOSED, factories.NOW
    current = world.case(world.resident("b@example.org"), hollis)
    world.incident(current, "2026-03-10")

    new = evaluate(session, case_ids=[current.id, closed.id], now=NOW)

    assert [(c.case_id, c.rule) for c in new] == [(current.id, COC)]
    assert _crossings(session) == [(COC, current.id)]


@pytest.mark.parametrize("person", [True, False], ids=["known-person", "unknown-person"])
def test_one_incident_meets_nothing(session: Session, world: World, person: bool) -> None:
    case = world.case(world.resident(), world.person() if person else None)
    world.incident(case, "2026-03-03")
    assert evaluate(session, case_ids=[case.id], now=NOW) == []


def test_incidents_with_an_unknown_person_never_meet_course_of_conduct(
    session: Session, world: World
) -> None:
    case = world.case(world.resident(), None)
    world.incident(case, "2026-03-03")
    world.incident(case, "2026-03-08")
    assert evaluate(session, case_ids=[case.id], now=NOW) == []
    assert _crossings(session) == []


def test_one_incident_resent_three_times_does_not_meet_it(session: Session, world: World) -> None:
    case = world.case(world.resident(), world.person())
    incident = world.incident(case, "2026-03-03")
    sheets = (world.attachment_id, world.sheet(), world.sheet())  # the same row, sent 3 times
    incident.sources = [IncidentSource(attachment_id=a, source_row="row 1") for a in sheets]
    session.flush()
    assert evaluate(session, case_ids=[case.id], now=NOW) == []


def test_an_unconfirmed_link_is_recorded_and_flags_the_case(session: Session, world: World) -> None:
    case = world.case(world.resident(), world.person())
    world.incident(case, "2026-03-03")
    world.incident(case, "2026-03-08", confirmed=False)

    [crossing] = evaluate(session, case_ids=[case.id], now=NOW)

    assert UNCONFIRMED_LINK in crossing.reasons
    assert session.get_one(Case, case.id).needs_review is True
    [(_, _, _, detail)] = _audit(session)
    assert detail["needs_review"] is True


def _community_trigger_case(world: World, incidents: Sequence[tuple[str, int]]) -> Case:
    case = world.case(world.resident(), None)  # no person: only the community trigger applies
    for on, late in incidents:
        world.incident(case, on, late=late)
    return case


@pytest.mark.parametrize(
    ("incidents", "met"),
    [
        (
            [
                ("2026-01-10", 40),
                ("2026-02-10", 40),
                ("2026-03-10", 40),
                ("2026-04-10", 1),
                ("2026-05-10", 3),
            ],
            False,
        ),
        ([("2026-01-10", 1), ("2026-03-01", 10), ("2026-05-20", 31)], True),
        ([("2026-01-01", 1), ("2026-05-01", 1), ("2026-09-01", 1)], False),
    ],
    ids=["three-late-two-prompt", "three-prompt-in-six-months", "three-prompt-over-eight-months"],
)
def test_community_trigger_counts_only_qualifying_complaints(
    session: Session, world: World, incidents: list[tuple[str, int]], met: bool
) -> None:
    case = _community_trigger_case(world, incidents)
    new = evaluate(session, case_ids=[case.id], now=NOW)
    assert [(c.rule, c.case_id) for c in new] == ([(CT, case.id)] if met else [])
    assert (session.get_one(Case, case.id).community_trigger_met_at == NOW) is met
    if met:
        assert new[0].reasons[-1] == COMMUNITY_TRIGGER_REVIEW
        assert _audit(session)[0][3]["rule"] == "community_trigger"


@pytest.mark.parametrize("settings", [DEFAULTS, HATE_ON], ids=["option-off", "option-on"])
def test_hate_incident_option(session: Session, world: World, settings: ThresholdSettings) -> None:
    case = world.case(world.resident(), world.person())
    hate = world.incident(case, "2026-03-03", late=2, categories=["hate", "verbal_abuse"])

    new = evaluate(session, case_ids=[case.id], now=NOW, settings=settings)

    expected = [(CT, [hate.id])] if settings.hate_incident_triggers else []
    assert [(c.rule, c.incident_ids) for c in new] == expected


def test_both_rules_are_recorded_for_one_case(session: Session, world: World) -> None:
    case = world.case(world.resident(), world.person())
    for on in ("2026-03-03", "2026-03-08", "2026-03-20"):
        world.incident(case, on)
    new = evaluate(session, case_ids=[case.id], now=NOW)
    assert sorted(c.rule for c in new) == sorted([COC, CT])
    reloaded = session.get_one(Case, case.id)
    assert reloaded.course_of_conduct_met_at == reloaded.community_trigger_met_at == NOW


def test_only_touched_cases_are_evaluated(session: Session, world: World) -> None:
    untouched = world.case(world.resident("a@example.org"), world.person("A"))
    world.incident(untouched, "2026-03-03")
    world.incident(untouched, "2026-03-08")
    touched = world.case(world.resident("b@example.org"), world.person("B"))
    world.incident(touched, "2026-03-03")

    assert evaluate(session, case_ids=[touched.id], now=NOW) == []
    assert evaluate(session, case_ids=[], now=NOW) == []
    assert evaluate(session, case_ids=[999_999], now=NOW) == []
    assert _crossings(session) == []


def _selects(session: Session, case_ids: list[int]) -> int:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        evaluate(session, case_ids=case_ids, now=NOW)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


@pytest.mark.parametrize(
    ("other_incident", "queries"),
    [(False, 3), (True, 4)],
    ids=["same-resident-only", "person-targets-two-residents"],
)
def test_queries_do_not_grow_with_the_number_of_cases(
    session: Session, world: World, other_incident: bool, queries: int
) -> None:
    cases = []
    for n in range(4):
        person = world.person(f"P{n}")
        cases.append(world.case(world.resident(f"r{n}@example.org"), person))
        world.incident(cases[-1], "2026-03-03")
        other = world.case(world.resident(f"s{n}@example.org"), person)
        if other_incident:
            world.incident(other, "2026-03-05")
    session.commit()

    one = _selects(session, [cases[0].id])
    session.rollback()  # forget what the first call recorded: the second does the same work
    four = _selects(session, [c.id for c in cases])
    # the cases, the incidents, (the persons' other open cases,) the recorded crossings
    assert one == four == queries


def test_now_must_be_timezone_aware(session: Session) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(session, case_ids=[1], now=dt.datetime(2026, 9, 1, 8, 0))


def test_decision_is_frozen() -> None:
    decision = course_of_conduct((), (), DEFAULTS)
    assert isinstance(decision, Decision)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.fired = True  # type: ignore[misc]
