"""Legal-threshold screening: when a case first meets a count an officer must look at.

Two rules, each a pure function of incident facts and `ThresholdSettings` returning a
`Decision` that says why (style practice 3):

- `course_of_conduct`: the minimum count of the Protection from Harassment Act 1997 s.7(3),
  "conduct on at least two occasions" against one person (limb a), or "on at least one occasion
  in relation to each" of two or more persons (limb b). Meeting it is a screening result for an
  officer, never a finding of harassment: oppression, the knows-or-ought-to-know test, the
  s.1(3) defences and the connection in time and nature are for people, not this module.
- `community_trigger`: the ASB case review threshold of the Anti-social Behaviour, Crime and
  Policing Act 2014 s.104: N qualifying complaints (a complaint qualifies when made within one
  month of the incident) in a window, or, when the organisation opts in, one qualifying hate
  incident.

`evaluate` is the only part that touches the database. It runs both rules for the cases a new
sheet touched (loading only their incidents and their persons' incidents, a fixed number of
queries however many cases), records each rule's first crossing per case once
(`ThresholdCrossing`, unique on (rule, case_id)) with an audit entry, and never removes one.
It flushes but does not commit: it belongs to the caller's per-message transaction.

Decisions made here, for the officer reading a crossing:

- "The same person" is the same `person_id`; resolving "Gary Hollis" and "Mr G Hollis" to one
  person (and merging persons) happens upstream. Incidents with no person never count towards
  a course of conduct; they do count as complaints for the community trigger.
- Unconfirmed person links (`person_confirmed` false) count, but the decision says
  "includes an unconfirmed link: check before acting" and `evaluate` marks the case
  `needs_review`.
- Occasions: distinct incidents are distinct occasions (three calls in five minutes were three
  occasions in Kelly v DPP). De-duplication is upstream; defensively, rows with the same date
  and the same time, or undated rows with the same description, count as one occasion.
- Undated incidents count towards a course of conduct (flagged `undated`) but only when there
  are not enough dated ones; they never qualify as complaints (no date, no "within a month").
- Which incidents met it: the closest-together set that meets the count (ties: the earliest),
  because spacing matters; `gap_days` is the days from its first to its last dated incident
  (for the default count of two, the gap between them). A gap above
  `course_of_conduct_gap_warning_days` adds a reason (Lau v DPP [2000]: two incidents four
  months apart were too far apart).
- Limb b counts every incident of the person, on open or closed cases, since a screening rule
  should not hide earlier conduct; the gap shows how old it is. When it holds, `evaluate` also
  evaluates the person's other open cases, each recording its own crossing once.
- Closed cases are not evaluated: a report after closure opens a new case.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from store import audit
from store.enums import CaseStatus, ThresholdRule
from store.models import AuditEntry, Case, Incident, ThresholdCrossing

# Rule outcomes go to one dedicated logger (style practice 8); ids only, never names.
decision_log = logging.getLogger("diarydesk.decision")

COURSE_OF_CONDUCT_REVIEW = "minimum course-of-conduct count met — officer review"
COMMUNITY_TRIGGER_REVIEW = "ASB case review (community trigger) threshold met — officer review"
UNCONFIRMED_LINK = "includes an unconfirmed link: check before acting"
HATE_CATEGORY = "hate"
AUDIT_ACTION = "threshold.met"

# s.7(3) PHA 1997: a course of conduct needs at least two occasions, or two persons.
MINIMUM_COURSE_OF_CONDUCT = 2
# s.104(4) ASBCPA 2014: the local threshold may be no higher than three complaints.
MAXIMUM_COMMUNITY_TRIGGER_COMPLAINTS = 3

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class ThresholdSettings:
    """The thresholds, configurable per local authority; counts are incidents, spans days."""

    course_of_conduct_incidents: int = 2
    community_trigger_complaints: int = 3
    community_trigger_window_days: int = 183
    qualifying_report_days: int = 31
    hate_incident_triggers: bool = False
    # Limb b of s.7(3): "one occasion in relation to each of two or more persons".
    course_of_conduct_residents: int = 2
    # Above this gap between the incidents that met the count, a reason asks the officer to
    # check they are connected in time (Lau v DPP [2000]: four months was too far apart).
    course_of_conduct_gap_warning_days: int = 120

    def __post_init__(self) -> None:
        minimums = {
            "course_of_conduct_incidents": MINIMUM_COURSE_OF_CONDUCT,
            "course_of_conduct_residents": MINIMUM_COURSE_OF_CONDUCT,
            "community_trigger_complaints": 1,
            "community_trigger_window_days": 1,
            "qualifying_report_days": 0,
            "course_of_conduct_gap_warning_days": 0,
        }
        for name, minimum in minimums.items():
            if getattr(self, name) < minimum:
                raise ValueError(f"threshold setting `{name}` must be at least {minimum}")
        if self.community_trigger_complaints > MAXIMUM_COMMUNITY_TRIGGER_COMPLAINTS:
            raise ValueError(
                "threshold setting `community_trigger_complaints` must be at most "
                f"{MAXIMUM_COMMUNITY_TRIGGER_COMPLAINTS} (ASBCPA 2014 s.104(4))"
            )


DEFAULT_SETTINGS = ThresholdSettings()


@dataclass(frozen=True)
class IncidentFact:
    """What a rule needs of an incident; `evaluate` loads these from the database."""

    id: int
    resident_id: int
    case_id: int
    person_id: int | None
    person_confirmed: bool
    occurred_on: dt.date | None
    time: dt.time | None
    reported_on: dt.date
    categories: tuple[str, ...]
    # The description, case-folded with whitespace collapsed: tells undated occasions apart.
    description_key: str | None = None


@dataclass(frozen=True)
class Decision:
    """A rule's verdict on one case and why; persisted as a `ThresholdCrossing` when fired."""

    rule: ThresholdRule
    fired: bool
    reasons: tuple[str, ...]
    incident_ids: tuple[int, ...]
    gap_days: int | None
    undated: bool  # an undated incident was counted (flag for the officer)
    unconfirmed_link: bool = False  # a counted incident's person link is unconfirmed


@dataclass(frozen=True)
class _Finding:
    """The incidents that met a count, before the reasons common to every route are added."""

    incidents: tuple[IncidentFact, ...]
    summary: str
    gap_days: int | None


# --- small pure helpers ---------------------------------------------------------------------


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _day_labels(dates: Sequence[dt.date], label: Callable[[dt.date], str]) -> list[str]:
    labels: list[str] = []
    for date in sorted(set(dates)):
        times = dates.count(date)
        suffix = "" if times == 1 else " (twice)" if times == 2 else f" ({times} times)"
        labels.append(label(date) + suffix)
    return labels


def _dates_phrase(dates: Sequence[dt.date]) -> str:
    """ "3 and 8 March 2026", "28 February and 3 March 2026", "3 March 2026 (twice)"."""
    first = dates[0]
    repeated = len(set(dates)) < len(dates)
    if not repeated and all((d.year, d.month) == (first.year, first.month) for d in dates):
        days = _day_labels(dates, lambda d: str(d.day))
        return f"{_join(days)} {_MONTHS[first.month - 1]} {first.year}"
    if not repeated and all(d.year == first.year for d in dates):
        days = _day_labels(dates, lambda d: f"{d.day} {_MONTHS[d.month - 1]}")
        return f"{_join(days)} {first.year}"
    return _join(_day_labels(dates, lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}"))


def _gap_phrase(gap_days: int, dated: int) -> str:
    if gap_days == 0:
        return "on the same day"
    if dated == 2:
        return f"{_plural(gap_days, 'day')} apart"
    return f"{_plural(gap_days, 'day')} from first to last"


def _when(incidents: Sequence[IncidentFact], gap_days: int | None) -> str:
    dates = sorted(f.occurred_on for f in incidents if f.occurred_on is not None)
    parts: list[str] = []
    if dates:
        parts.append(_dates_phrase(dates))
    if gap_days is not None:
        parts.append(_gap_phrase(gap_days, len(dates)))
    if len(dates) < len(incidents):
        parts.append(_plural(len(incidents) - len(dates), "undated incident"))
    return ", ".join(parts)


def _span(incidents: Sequence[IncidentFact]) -> int | None:
    """Days from the first to the last dated incident; None with fewer than two dated."""
    dates = [f.occurred_on for f in incidents if f.occurred_on is not None]
    return (max(dates) - min(dates)).days if len(dates) >= 2 else None


def _chronological(fact: IncidentFact) -> tuple[bool, dt.date, dt.time, int]:
    """Sort key: by date and time, untimed first on their day, undated last."""
    return (
        fact.occurred_on is None,
        fact.occurred_on or dt.date.min,
        fact.time or dt.time.min,
        fact.id,
    )


def _occasion(fact: IncidentFact) -> tuple[object, ...]:
    if fact.occurred_on is not None:
        return ("dated", fact.occurred_on, fact.time)
    if fact.description_key:
        return ("undated", fact.description_key)
    return ("row", fact.id)


def _occasions(facts: Iterable[IncidentFact]) -> tuple[list[IncidentFact], int]:
    """One incident per occasion (the lowest id), and how many rows were folded into others."""
    seen: dict[tuple[object, ...], IncidentFact] = {}
    folded = 0
    for fact in sorted(facts, key=lambda f: f.id):
        key = _occasion(fact)
        if key in seen:
            folded += 1
        else:
            seen[key] = fact
    return list(seen.values()), folded


def _closest_run(dated: Sequence[IncidentFact], count: int) -> list[IncidentFact]:
    """The `count` consecutive incidents (of chronologically sorted `dated`) closest together."""
    start = min(
        range(len(dated) - count + 1),
        key=lambda i: ((_span(dated[i : i + count]) or 0), i),
    )
    return list(dated[start : start + count])


def _folded_reason(folded: int) -> list[str]:
    if not folded:
        return []
    return [
        f"{_plural(folded, 'more row')} had the same date and time (or, undated, the same "
        "description) as another and counted as the same occasion"
    ]


# --- course of conduct ----------------------------------------------------------------------


def _same_resident(facts: Sequence[IncidentFact], settings: ThresholdSettings) -> _Finding | None:
    """Limb a: enough separate occasions by one person against this resident."""
    occasions, _ = _occasions(facts)
    needed = settings.course_of_conduct_incidents
    if len(occasions) < needed:
        return None
    dated = sorted((f for f in occasions if f.occurred_on is not None), key=_chronological)
    if len(dated) >= needed:
        chosen = _closest_run(dated, needed)
    else:
        undated = sorted((f for f in occasions if f.occurred_on is None), key=lambda f: f.id)
        chosen = dated + undated[: needed - len(dated)]
    gap = _span(chosen)
    counted = f"{_plural(len(occasions), 'incident')} by the same person against this resident"
    if len(occasions) == needed:
        summary = f"{counted} on separate occasions ({_when(chosen, gap)})"
    else:
        summary = f"{counted} on separate occasions; the closest {needed}: {_when(chosen, gap)}"
    return _Finding(tuple(chosen), summary, gap)


def _closest_cover(
    dated: Sequence[IncidentFact], resident_id: int, needed: int
) -> list[IncidentFact] | None:
    """The closest-together dated incidents against `needed` residents, `resident_id` one."""
    best: tuple[int, list[IncidentFact]] | None = None
    for start in range(len(dated)):
        first: dict[int, IncidentFact] = {}
        for fact in dated[start:]:
            first.setdefault(fact.resident_id, fact)
            if len(first) >= needed and resident_id in first:
                span = _span([dated[start], fact]) or 0
                if best is None or span < best[0]:
                    best = (span, sorted(first.values(), key=_chronological))
                break
    return None if best is None else best[1]


def _one_each(facts: Sequence[IncidentFact], resident_id: int, needed: int) -> list[IncidentFact]:
    """One incident per resident, dated ones preferred: this resident's and `needed - 1` more."""
    pick: dict[int, IncidentFact] = {}
    for fact in sorted(facts, key=_chronological):
        pick.setdefault(fact.resident_id, fact)
    others = sorted((f for r, f in pick.items() if r != resident_id), key=_chronological)
    return sorted([pick[resident_id], *others[: needed - 1]], key=_chronological)


def _across_residents(
    facts: Sequence[IncidentFact], resident_id: int, settings: ThresholdSettings
) -> _Finding | None:
    """Limb b: the person has at least one incident against each of several residents."""
    residents = {f.resident_id for f in facts}
    needed = settings.course_of_conduct_residents
    if resident_id not in residents or len(residents) < needed:
        return None
    dated = sorted((f for f in facts if f.occurred_on is not None), key=_chronological)
    chosen = _closest_cover(dated, resident_id, needed) or _one_each(facts, resident_id, needed)
    gap = _span(chosen)
    covered = len({f.resident_id for f in chosen})
    summary = (
        f"incidents by the same person against {covered} different residents, this one "
        f"included, at least one against each ({_when(chosen, gap)})"
    )
    return _Finding(tuple(chosen), summary, gap)


def _course_of_conduct_met(
    finding: _Finding, folded: int, other_residents: int, settings: ThresholdSettings
) -> Decision:
    reasons = [finding.summary, *_folded_reason(folded)]
    if other_residents:
        others = _plural(other_residents, "other resident")
        reasons.append(f"the same person also has incidents against {others}")
    gap = finding.gap_days
    if gap is not None and gap > settings.course_of_conduct_gap_warning_days:
        reasons.append(
            f"the incidents are {gap} days apart, more than "
            f"{settings.course_of_conduct_gap_warning_days}: check they are connected in time "
            "(in Lau v DPP [2000] two incidents four months apart were too far apart)"
        )
    undated = any(f.occurred_on is None for f in finding.incidents)
    if undated:
        reasons.append("includes an undated incident: check when it happened")
    unconfirmed = not all(f.person_confirmed for f in finding.incidents)
    if unconfirmed:
        reasons.append(UNCONFIRMED_LINK)
    reasons.append(COURSE_OF_CONDUCT_REVIEW)
    return Decision(
        rule=ThresholdRule.COURSE_OF_CONDUCT,
        fired=True,
        reasons=tuple(reasons),
        incident_ids=tuple(f.id for f in finding.incidents),
        gap_days=gap,
        undated=undated,
        unconfirmed_link=unconfirmed,
    )


def _not_met(rule: ThresholdRule, reasons: Sequence[str]) -> Decision:
    return Decision(rule, False, tuple(reasons), (), None, False)


def _short_of(
    mine: Sequence[IncidentFact], theirs: Sequence[IncidentFact], settings: ThresholdSettings
) -> list[str]:
    occasions, folded = _occasions(mine)
    others = len({f.resident_id for f in theirs} - {mine[0].resident_id})
    short = (
        f"{_plural(len(occasions), 'occasion')} by the same person against this resident "
        f"({settings.course_of_conduct_incidents} needed); incidents against "
        f"{_plural(others, 'other resident')} ({settings.course_of_conduct_residents - 1} needed)"
    )
    return [short, *_folded_reason(folded)]


def _for_person(
    mine: Sequence[IncidentFact], theirs: Sequence[IncidentFact], settings: ThresholdSettings
) -> Decision | None:
    """Both limbs for one person: `mine` on this case, `theirs` against every resident."""
    resident_id = mine[0].resident_id
    _, folded = _occasions(mine)
    same = _same_resident(mine, settings)
    if same is not None:
        others = len({f.resident_id for f in theirs} - {resident_id})
        return _course_of_conduct_met(same, folded, others, settings)
    across = _across_residents(theirs, resident_id, settings)
    if across is not None:
        return _course_of_conduct_met(across, folded, 0, settings)
    return None


def course_of_conduct(
    case_facts: Sequence[IncidentFact],
    person_facts: Sequence[IncidentFact],
    settings: ThresholdSettings,
) -> Decision:
    """Whether a case meets the minimum course-of-conduct count (PHA 1997 s.7(3)).

    `case_facts` are the case's incidents; `person_facts` every incident of the case's person,
    against any resident (it may repeat `case_facts`). Limb a is tried first, as the stronger
    per-victim test, then limb b. Incidents are grouped by person defensively: a case should
    only hold its own person's incidents.
    """
    rule = ThresholdRule.COURSE_OF_CONDUCT
    known = [f for f in case_facts if f.person_id is not None]
    unknown = len(case_facts) - len(known)
    ignored: list[str] = []
    if unknown:
        ignored.append(f"{_plural(unknown, 'incident')} with no known person: not counted")
    if not known:
        return _not_met(rule, ["no incident on this case by a known person", *ignored])
    misses: list[str] = []
    for person_id in sorted({f.person_id for f in known if f.person_id is not None}):
        mine = [f for f in known if f.person_id == person_id]
        by_id = {f.id: f for f in person_facts if f.person_id == person_id}
        by_id.update((f.id, f) for f in mine)
        decision = _for_person(mine, list(by_id.values()), settings)
        if decision is not None:
            return decision
        misses.extend(_short_of(mine, list(by_id.values()), settings))
    return _not_met(rule, [*misses, *ignored])


# --- community trigger ----------------------------------------------------------------------


def _report_lag(fact: IncidentFact) -> int | None:
    return None if fact.occurred_on is None else (fact.reported_on - fact.occurred_on).days


def _qualifies(fact: IncidentFact, settings: ThresholdSettings) -> bool:
    """Made within the qualifying period of the incident (never before it, never undated)."""
    lag = _report_lag(fact)
    return lag is not None and 0 <= lag <= settings.qualifying_report_days


def _excluded_reasons(occasions: Sequence[IncidentFact], settings: ThresholdSettings) -> list[str]:
    lags = [_report_lag(f) for f in occasions]
    late = sum(1 for lag in lags if lag is not None and lag > settings.qualifying_report_days)
    early = sum(1 for lag in lags if lag is not None and lag < 0)
    undated = lags.count(None)
    reasons: list[str] = []
    if late:
        reasons.append(
            f"{_plural(late, 'incident')} reported more than {settings.qualifying_report_days} "
            "days after it happened: not a qualifying complaint"
        )
    if early:
        reasons.append(f"{_plural(early, 'incident')} dated after it was reported: not counted")
    if undated:
        reasons.append(f"{_plural(undated, 'undated incident')}: not a qualifying complaint")
    return reasons


def _most_within(qualifying: Sequence[IncidentFact], window_days: int) -> int:
    """The most qualifying complaints whose incidents fall within any one window."""
    dates = sorted(f.occurred_on for f in qualifying if f.occurred_on is not None)
    counts = (
        sum(1 for later in dates[i:] if (later - first).days <= window_days)
        for i, first in enumerate(dates)
    )
    return max(counts, default=0)


def _complaints_finding(
    qualifying: Sequence[IncidentFact], settings: ThresholdSettings
) -> _Finding | None:
    needed = settings.community_trigger_complaints
    if len(qualifying) < needed:
        return None
    chosen = _closest_run(qualifying, needed)
    span = _span(chosen) or 0
    if span > settings.community_trigger_window_days:
        return None
    when = _when(chosen, span if needed > 1 else None)
    summary = (
        f"{_plural(needed, 'qualifying complaint')} within "
        f"{settings.community_trigger_window_days} days ({when}), each reported within "
        f"{settings.qualifying_report_days} days of the incident"
    )
    return _Finding(tuple(chosen), summary, span if needed > 1 else None)


def _hate_finding(
    qualifying: Sequence[IncidentFact], settings: ThresholdSettings
) -> _Finding | None:
    if not settings.hate_incident_triggers:
        return None
    hate = [f for f in qualifying if HATE_CATEGORY in f.categories]
    if not hate:
        return None
    first = hate[0]
    summary = (
        f"a qualifying complaint of a hate incident ({_when([first], None)}, reported "
        f"{_plural(_report_lag(first) or 0, 'day')} later); one hate incident meets the "
        "threshold under this organisation's settings"
    )
    return _Finding((first,), summary, None)


def community_trigger(case_facts: Sequence[IncidentFact], settings: ThresholdSettings) -> Decision:
    """Whether a case meets the ASB case review threshold (ASBCPA 2014 s.104).

    A complaint qualifies when its incident is dated and it was reported no more than
    `qualifying_report_days` after it (never before it). The threshold is met when at least
    `community_trigger_complaints` qualifying complaints have incidents no more than
    `community_trigger_window_days` apart from first to last, or, with `hate_incident_triggers`,
    by one qualifying complaint in the "hate" category.
    """
    rule = ThresholdRule.COMMUNITY_TRIGGER
    occasions, folded = _occasions(case_facts)
    qualifying = sorted((f for f in occasions if _qualifies(f, settings)), key=_chronological)
    notes = [*_excluded_reasons(occasions, settings), *_folded_reason(folded)]
    finding = _complaints_finding(qualifying, settings) or _hate_finding(qualifying, settings)
    if finding is None:
        most = _most_within(qualifying, settings.community_trigger_window_days)
        short = (
            f"{_plural(most, 'qualifying complaint')} within "
            f"{settings.community_trigger_window_days} days "
            f"({settings.community_trigger_complaints} needed)"
        )
        return _not_met(rule, [short, *notes])
    return Decision(
        rule=rule,
        fired=True,
        reasons=(finding.summary, *notes, COMMUNITY_TRIGGER_REVIEW),
        incident_ids=tuple(f.id for f in finding.incidents),
        gap_days=finding.gap_days,
        undated=False,
    )


# --- the database side ----------------------------------------------------------------------


def _description_key(description: str | None) -> str | None:
    key = " ".join((description or "").casefold().split())
    return key or None


def _load_facts(
    session: Session, *, case_ids: Sequence[int], person_ids: Sequence[int]
) -> list[IncidentFact]:
    """One query: the incidents of these cases and of these persons (indexed columns only)."""
    conditions = [Incident.case_id.in_(case_ids)]
    if person_ids:
        conditions.append(Incident.person_id.in_(person_ids))
    rows = session.execute(
        select(
            Incident.id,
            Incident.resident_id,
            Incident.case_id,
            Incident.person_id,
            Incident.person_confirmed,
            Incident.occurred_on,
            Incident.time,
            Incident.reported_on,
            Incident.categories,
            Incident.description,
        ).where(or_(*conditions))
    )
    return [
        IncidentFact(
            id=row.id,
            resident_id=row.resident_id,
            case_id=row.case_id,
            person_id=row.person_id,
            person_confirmed=row.person_confirmed,
            occurred_on=row.occurred_on,
            time=row.time,
            reported_on=row.reported_on,
            categories=tuple(row.categories or ()),
            description_key=_description_key(row.description),
        )
        for row in rows
    ]


@dataclass
class _Recorder:
    """Writes each rule's first crossing per case, once, with its audit entry."""

    session: Session
    now: dt.datetime
    actor: str
    existing: set[tuple[ThresholdRule, int]]
    recorded: list[ThresholdCrossing]

    def record(self, case: Case, decision: Decision) -> None:
        key = (decision.rule, case.id)
        if not decision.fired or key in self.existing:
            return
        self.existing.add(key)
        crossing = ThresholdCrossing(
            rule=decision.rule,
            case_id=case.id,
            person_id=case.person_id,
            met_at=self.now,
            incident_ids=list(decision.incident_ids),
            gap_days=decision.gap_days,
            reasons=list(decision.reasons),
        )
        self.session.add(crossing)
        if decision.rule == ThresholdRule.COURSE_OF_CONDUCT:
            case.course_of_conduct_met_at = case.course_of_conduct_met_at or self.now
        else:
            case.community_trigger_met_at = case.community_trigger_met_at or self.now
        detail: dict[str, object] = {
            "rule": decision.rule.value,
            "incident_ids": list(decision.incident_ids),
        }
        if decision.unconfirmed_link:
            case.needs_review = True
            detail["needs_review"] = True
        audit.add(
            self.session,
            AuditEntry(
                at=self.now,
                actor=self.actor,
                action=AUDIT_ACTION,
                entity="case",
                entity_id=str(case.id),
                detail=detail,
            ),
        )
        self.recorded.append(crossing)
        decision_log.info(
            "case=%d rule=%s met incidents=%s", case.id, decision.rule, decision.incident_ids
        )


def _has_crossing(rule: ThresholdRule) -> ColumnElement[bool]:
    """The case (correlated) has a crossing of `rule` recorded."""
    return (
        select(ThresholdCrossing.id)
        .where(ThresholdCrossing.case_id == Case.id, ThresholdCrossing.rule == rule)
        .exists()
    )


def _open_cases(session: Session, *clauses: ColumnElement[bool]) -> list[Case]:
    statement = select(Case).where(Case.status == CaseStatus.OPEN, *clauses).order_by(Case.id)
    return list(session.scalars(statement))


def evaluate(
    session: Session,
    *,
    case_ids: Iterable[int],
    now: dt.datetime,
    settings: ThresholdSettings = DEFAULT_SETTINGS,
    actor: str = "worker",
) -> list[ThresholdCrossing]:
    """Run both rules for the open cases in `case_ids`; return the crossings newly recorded.

    At most four queries whatever the number of cases: the touched cases, the crossings already
    recorded for them, their incidents and their persons' incidents, and the persons' other
    open cases still without a course of conduct (only when limb b holds for a person).
    Flushes; the caller commits. Two workers recording the same crossing at once make the
    second flush fail on the (rule, case_id) unique constraint: roll back and run again, and
    the crossing is then found recorded.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("evaluate() needs a timezone-aware `now`")
    touched = _open_cases(session, Case.id.in_(sorted(set(case_ids))))
    if not touched:
        return []
    existing = session.execute(
        select(ThresholdCrossing.rule, ThresholdCrossing.case_id).where(
            ThresholdCrossing.case_id.in_([c.id for c in touched])
        )
    )
    recorded = {(rule, case_id) for rule, case_id in existing if case_id is not None}
    # A rule already recorded for a case is never recorded again, so it is not evaluated
    # again either.
    pending = {
        case.id: [rule for rule in ThresholdRule if (rule, case.id) not in recorded]
        for case in touched
    }
    person_ids = sorted({c.person_id for c in touched if c.person_id is not None})
    facts = _load_facts(session, case_ids=[c.id for c in touched], person_ids=person_ids)
    by_case: dict[int, list[IncidentFact]] = {c.id: [] for c in touched}
    by_person: dict[int, list[IncidentFact]] = {p: [] for p in person_ids}
    for fact in facts:
        by_case.get(fact.case_id, []).append(fact)
        if fact.person_id is not None and fact.person_id in by_person:
            by_person[fact.person_id].append(fact)
    spread = [
        p
        for p, theirs in by_person.items()
        if len({f.resident_id for f in theirs}) >= settings.course_of_conduct_residents
    ]
    # Limb b can give the persons' other open cases a course of conduct. Those that have one
    # already are left out by the query: a person reported by hundreds of households must not
    # make every new sheet about them evaluate all their cases again.
    others = (
        _open_cases(
            session,
            Case.person_id.in_(spread),
            Case.id.not_in([c.id for c in touched]),
            ~_has_crossing(ThresholdRule.COURSE_OF_CONDUCT),
        )
        if spread
        else []
    )
    recorder = _Recorder(session, now, actor, existing=recorded, recorded=[])
    for case in touched:
        case_facts = by_case[case.id]
        if ThresholdRule.COURSE_OF_CONDUCT in pending[case.id]:
            theirs = by_person.get(case.person_id, []) if case.person_id is not None else []
            recorder.record(case, course_of_conduct(case_facts, theirs, settings))
        if ThresholdRule.COMMUNITY_TRIGGER in pending[case.id]:
            recorder.record(case, community_trigger(case_facts, settings))
    for case in others:
        theirs = by_person[case.person_id] if case.person_id is not None else []
        case_facts = [f for f in theirs if f.case_id == case.id]
        recorder.record(case, course_of_conduct(case_facts, theirs, settings))
    session.flush()
    return recorder.recorded
