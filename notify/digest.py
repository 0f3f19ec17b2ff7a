"""The staff digest: one email each working morning that says what came in since the last
digest, what needs a person, and what is overdue.

`build_digest` reads the store (through `store.reports` wherever it can) into frozen sections
and renders them with the `digest.html` and `digest.txt` templates (overridable from
`digest.templates_dir`). `queue_digest` puts the result in the outbox once per schedule slot.

"Since the last digest" means recorded since then (`created_at`), not sent by the resident
since then: a backlog fetched late still shows up. Deadlines count working days, Monday to
Friday less the England and Wales bank holidays, which the `holidays` package keeps
(substitute days and one-off holidays included).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ingest.config import Settings, seconds
from notify.alerts import AlertKind
from notify.queue import enqueue
from notify.rendering import render
from store import kv, worker_state
from store.enums import AlertState, CaseStatus
from store.models import (
    Alert,
    Attachment,
    AuditEntry,
    Case,
    Incident,
    IncidentSource,
    Message,
    Resident,
    ThresholdCrossing,
)
from store.reports import case_detail, case_summaries, review_items

log = logging.getLogger(__name__)

LAST_AT_KEY = "digest:last_at"
# A worker whose last good poll is older than this many poll intervals has gone quiet.
STALE_POLL_INTERVALS = 3
# Hate, violence and threats get the short response target, whatever else the case holds.
PRIORITY_CATEGORIES = frozenset({"hate", "threats", "violence"})
# Bank holidays of England and Wales (the two nations share one list).
BANK_HOLIDAY_COUNTRY, BANK_HOLIDAY_SUBDIVISION = "GB", "ENG"
STAFF_ACTOR_EXCLUDED = "worker"
TIMELINE_MAX_ROWS = 20
REVIEW_MAX_ITEMS = 40
SHORT_DESCRIPTION_CHARS = 140
# How far back to look for the schedule's previous firing, shortest first: a daily schedule is
# found in the first day, a monthly one within a month.
SLOT_LOOKBACK = (dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(days=8))
SLOT_LOOKBACK_MAX = dt.timedelta(days=367)

RULE_LABELS = {
    "course_of_conduct": "Course of conduct (harassment)",
    "community_trigger": "Community trigger (ASB case review)",
}
REVIEW_LABELS = {
    "unreadable_sheet": "Unreadable sheet",
    "quarantined_message": "Email could not be processed",
    "message_for_review": "Email needs a person",
    "unconfirmed_link": "Unconfirmed person link",
    "warning": "Entry warning",
    "failed_alert": "Email not delivered",
}
# Review items that can be put right (confirm a link, reprocess an email, fix delivery) are
# listed every day until they are; the rest are listed the day they arrive, then counted.
ALWAYS_LISTED = frozenset({"quarantined_message", "failed_alert"})


class DigestError(Exception):
    """The digest cannot be built or queued as configured; the message names the setting."""


# --- sections: what a person needs to act, one frozen record per line ------------------------


@dataclass(frozen=True)
class CaseRef:
    """Who a case is about, as every section names it."""

    id: int
    resident: str
    person: str
    officer_assigned: str | None
    police_references: tuple[str, ...]
    officers: tuple[str, ...]


@dataclass(frozen=True)
class WorkerProblem:
    mailbox: str
    message: str


@dataclass(frozen=True)
class SheetLine:
    file: str
    status: str
    outcome: str
    problem: str | None
    received: str


@dataclass(frozen=True)
class SenderSheets:
    """The sheets one resident (or one unknown sender) sent."""

    sender: str
    sheets: tuple[SheetLine, ...]


@dataclass(frozen=True)
class NewIncidents:
    case: CaseRef
    count: int
    dates: str
    urgent: bool


@dataclass(frozen=True)
class ThresholdMet:
    case: CaseRef
    rule: str
    met_at: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class UrgentItem:
    case: CaseRef
    when: str
    categories: str
    description: str | None


@dataclass(frozen=True)
class ReviewLine:
    kind: str
    label: str
    about: str
    reason: str


@dataclass(frozen=True)
class NoReference:
    case: CaseRef
    incident_count: int
    last_incident: str


@dataclass(frozen=True)
class Overdue:
    case: CaseRef
    kind: str  # "response" or "update"
    due: dt.date
    reason: str
    action: str


@dataclass(frozen=True)
class TimelineRow:
    date: str
    time: str
    categories: str
    description: str | None
    police_references: str
    new: bool
    urgent: bool


@dataclass(frozen=True)
class Timeline:
    case: CaseRef
    rows: tuple[TimelineRow, ...]
    earlier: int  # older incidents left out of the table (`diarydesk case ID` has them all)
    thresholds: tuple[str, ...]


@dataclass(frozen=True)
class Sections:
    """Everything the templates show, in the order they show it."""

    now: dt.datetime
    since: dt.datetime | None
    date_label: str
    since_label: str
    now_label: str
    summary: str
    include_descriptions: bool
    worker_problems: tuple[WorkerProblem, ...]
    sheets: tuple[SenderSheets, ...]
    sheet_count: int
    new_incidents: tuple[NewIncidents, ...]
    new_incident_count: int
    thresholds: tuple[ThresholdMet, ...]
    urgent: tuple[UrgentItem, ...]
    review: tuple[ReviewLine, ...]
    review_more: int  # new items beyond REVIEW_MAX_ITEMS
    review_older: tuple[str, ...]  # "2 unconfirmed person links" still open from before
    no_police_reference: tuple[NoReference, ...]
    overdue: tuple[Overdue, ...]
    timelines: tuple[Timeline, ...]

    @property
    def overdue_cases(self) -> int:
        return len({line.case.id for line in self.overdue})

    @property
    def nothing_new(self) -> bool:
        return not (self.sheet_count or self.new_incident_count or self.thresholds)


@dataclass(frozen=True)
class Digest(Sections):
    """The finished digest: the email and the sections it was rendered from.

    `empty` means nothing new arrived since the last digest; the worker and overdue sections
    may still have something to say.
    """

    subject: str
    text: str
    html: str
    empty: bool


# --- working days ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    days = holidays.country_holidays(
        BANK_HOLIDAY_COUNTRY, subdiv=BANK_HOLIDAY_SUBDIVISION, years=year
    )
    return frozenset(days.keys())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (`start` itself never counts)."""
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


# --- the schedule ----------------------------------------------------------------------------


def _zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.digest.timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise DigestError(
            f"digest.timezone {settings.digest.timezone!r} is not a time zone; "
            'use a name such as "Europe/London".'
        ) from err


def schedule_slot(settings: Settings, now: dt.datetime) -> dt.datetime:
    """The latest time at or before `now` that `digest.schedule` fires, in its time zone.

    A digest belongs to its slot, so a worker restarted at 08:03 finds the 08:00 digest
    already queued instead of sending another.
    """
    zone = _zone(settings)
    try:
        trigger = CronTrigger.from_crontab(settings.digest.schedule, timezone=zone)
    except ValueError as err:
        raise DigestError(
            f"digest.schedule {settings.digest.schedule!r} is not a cron expression "
            f'(minute hour day month day-of-week, such as "0 8 * * mon-fri"): {err}'
        ) from err
    fire: dt.datetime | None = None
    for lookback in (*SLOT_LOOKBACK, SLOT_LOOKBACK_MAX):
        fire = trigger.get_next_fire_time(None, now - lookback)
        if fire is not None and fire <= now:
            break
    if fire is None or fire > now:
        return now.astimezone(zone).replace(second=0, microsecond=0)
    while True:
        following = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
        if following is None or following > now:
            return fire.astimezone(zone)
        fire = following


def idempotency_key(settings: Settings, now: dt.datetime) -> str:
    slot = schedule_slot(settings, now)
    return f"digest:{slot:%Y-%m-%d}:{slot:%H:%M}"


def last_digest_at(session: Session) -> dt.datetime | None:
    value = kv.get(session, LAST_AT_KEY)
    return dt.datetime.fromisoformat(value["at"]) if value is not None else None


def digest_since(session: Session, settings: Settings, now: dt.datetime) -> dt.datetime:
    """Where the next digest starts: the last digest queued, or for the very first one the
    schedule slot before this one (a first digest of a store full of history would be
    every case ever)."""
    last = last_digest_at(session)
    if last is not None:
        return last
    slot = schedule_slot(settings, now)
    return schedule_slot(settings, slot - dt.timedelta(seconds=1))


def _remember(session: Session, at: dt.datetime, key: str) -> None:
    kv.put(session, LAST_AT_KEY, {"at": at.isoformat(), "key": key})


# --- formatting ------------------------------------------------------------------------------


class _Format:
    def __init__(self, zone: ZoneInfo, now: dt.datetime) -> None:
        self.zone = zone
        self.today = now.astimezone(zone).date()

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)

    def moment(self, moment: dt.datetime) -> str:
        """ "Tue 1 Dec 07:45" (the year only when it is not this year)."""
        local = self.local(moment)
        return f"{self.day(local.date())} {local:%H:%M}"

    def day(self, day: dt.date) -> str:
        text = f"{day:%a} {day.day} {day:%b}"
        return text if day.year == self.today.year else f"{text} {day.year}"

    @staticmethod
    def full_day(day: dt.date) -> str:
        """Evidence dates always carry the year: "Tue 3 Mar 2026"."""
        return f"{day:%a} {day.day} {day:%b} {day.year}"


def _plural(count: int, noun: str, many: str | None = None) -> str:
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def _categories(values: Iterable[str]) -> str:
    return ", ".join(value.replace("_", " ") for value in values) or "not categorised"


def short_description(text: str | None) -> str:
    """The first words of a description, on one line."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    if len(flat) <= SHORT_DESCRIPTION_CHARS:
        return flat
    cut = flat[: SHORT_DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def _window(
    column: InstrumentedAttribute[dt.datetime], since: dt.datetime | None, now: dt.datetime
) -> ColumnElement[bool]:
    upper = column <= now
    return upper if since is None else upper & (column > since)


# --- building --------------------------------------------------------------------------------


def build_digest(
    session: Session, settings: Settings, *, now: dt.datetime, since: dt.datetime | None
) -> Digest:
    """The digest of what was recorded in (`since`, `now`]; `since` None means everything."""
    sections = _Builder(session, settings, now=now, since=since).sections()
    subject = _subject(sections)
    context: dict[str, Any] = {"d": sections, "subject": subject}
    templates_dir = settings.digest.templates_dir
    return Digest(
        **{f.name: getattr(sections, f.name) for f in fields(Sections)},
        subject=subject,
        text=render("digest.txt", templates_dir, **context),
        html=render("digest.html", templates_dir, **context),
        empty=sections.nothing_new,
    )


def _subject(sections: Sections) -> str:
    """Counts only, never a name: subjects show in notification banners and mail logs."""
    parts = ["mailbox worker failing"] if sections.worker_problems else []
    if sections.nothing_new:
        parts.append("nothing new")
    else:
        to_review = len(sections.review) + sections.review_more
        parts += [
            _plural(sections.sheet_count, "sheet"),
            _plural(sections.new_incident_count, "new incident"),
            f"{to_review} {'needs' if to_review == 1 else 'need'} review",
        ]
        if sections.urgent:
            parts.append(f"{len(sections.urgent)} urgent")
    if sections.overdue:
        parts.append(f"{sections.overdue_cases} overdue")
    return f"[diarydesk] Digest {sections.date_label}: {', '.join(parts)}"


class _Builder:
    """One digest's queries; each section method returns its frozen lines."""

    def __init__(
        self, session: Session, settings: Settings, *, now: dt.datetime, since: dt.datetime | None
    ) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.since = since
        self.fmt = _Format(_zone(settings), now)
        self.new_incidents = session.scalars(
            select(Incident)
            .where(_window(Incident.created_at, since, now))
            .order_by(Incident.case_id, Incident.occurred_on, Incident.time, Incident.id)
        ).all()
        self.new_ids = {incident.id for incident in self.new_incidents}
        self.crossings = session.scalars(
            select(ThresholdCrossing)
            .where(_window(ThresholdCrossing.met_at, since, now))
            .order_by(ThresholdCrossing.met_at, ThresholdCrossing.id)
        ).all()
        self.open_cases = session.scalars(
            select(Case).where(Case.status == CaseStatus.OPEN).order_by(Case.id)
        ).all()
        self.review = review_items(session)
        wanted = {case.id for case in self.open_cases}
        wanted |= {incident.case_id for incident in self.new_incidents}
        wanted |= {c.case_id for c in self.crossings if c.case_id is not None}
        wanted |= {item["case_id"] for item in self.review if item.get("case_id")}
        cases = session.scalars(select(Case).where(Case.id.in_(wanted)).order_by(Case.id))
        self.summaries = {s["id"]: s for s in case_summaries(session, cases)}
        self.refs = {case_id: _case_ref(s) for case_id, s in self.summaries.items()}

    def sections(self) -> Sections:
        sheets, sheet_count = self._sheets()
        review, review_more, review_older = self._review()
        partial = Sections(
            now=self.now,
            since=self.since,
            date_label=self.fmt.day(self.fmt.today),
            since_label=self.fmt.moment(self.since) if self.since else "",
            now_label=self.fmt.moment(self.now),
            summary="",
            include_descriptions=self.settings.digest.include_descriptions,
            worker_problems=self._worker_problems(),
            sheets=sheets,
            sheet_count=sheet_count,
            new_incidents=self._new_by_case(),
            new_incident_count=len(self.new_incidents),
            thresholds=self._thresholds(),
            urgent=self._urgent(),
            review=review,
            review_more=review_more,
            review_older=review_older,
            no_police_reference=self._no_reference(),
            overdue=self._overdue(),
            timelines=self._timelines(),
        )
        return Sections(**{**_as_dict(partial), "summary": _summary(partial)})

    # (0) the worker

    def _worker_problems(self) -> tuple[WorkerProblem, ...]:
        states = worker_state.read_all(self.session)
        if not states:
            return (
                WorkerProblem(
                    mailbox="",
                    message="The mailbox worker has not polled successfully yet: sheets "
                    "emailed to the team are not being read. Start it with diarydesk run.",
                ),
            )
        stale_after = dt.timedelta(
            seconds=STALE_POLL_INTERVALS * seconds(self.settings.schedule.poll_every)
        )
        problems = []
        for state in sorted(states, key=lambda s: s.mailbox):
            last_good = state.last_success_at
            stale = last_good is None or self.now - last_good > stale_after
            if state.consecutive_failures or stale:
                problems.append(WorkerProblem(state.mailbox, self._worker_message(state)))
        return tuple(problems)

    def _worker_message(self, state: worker_state.WorkerState) -> str:
        fmt = self.fmt
        good = state.last_success_at
        since = f"since {fmt.moment(good)}" if good else "since it started"
        message = f"The mailbox worker for {state.mailbox} has not polled successfully {since}"
        if not state.consecutive_failures:
            attempt = state.last_attempt_at
            last = f"; its last poll was at {fmt.moment(attempt)}" if attempt else ""
            return f"{message}{last}. It may have stopped: check that diarydesk run is running."
        message += f": {_plural(state.consecutive_failures, 'failed poll')} in a row"
        if state.last_error_at:
            message += f", the last at {fmt.moment(state.last_error_at)}"
        if state.last_error:
            message += f" ({state.last_error})"
        return message + ". Sheets emailed since then are waiting in the inbox."

    # (1) sheets received

    def _sheets(self) -> tuple[tuple[SenderSheets, ...], int]:
        attachments = self.session.scalars(
            select(Attachment)
            .where(_window(Attachment.created_at, self.since, self.now))
            .order_by(Attachment.id)
        ).all()
        if not attachments:
            return (), 0
        ids = [a.id for a in attachments]
        rows = self.session.execute(
            select(IncidentSource.attachment_id, Incident.id, Incident.resident_id)
            .join(Incident, Incident.id == IncidentSource.incident_id)
            .where(IncidentSource.attachment_id.in_(ids))
        ).all()
        incidents: dict[int, set[int]] = defaultdict(set)
        resident_of: dict[int, int] = {}
        for attachment_id, incident_id, resident_id in rows:
            incidents[attachment_id].add(incident_id)
            resident_of[attachment_id] = resident_id
        message_ids = {a.message_pk for a in attachments if a.message_pk is not None}
        messages = {
            m.id: m
            for m in self.session.scalars(select(Message).where(Message.id.in_(message_ids)))
        }
        senders = {m.sender.strip().lower() for m in messages.values() if m.sender}
        residents = self.session.scalars(
            select(Resident).where(
                Resident.id.in_(set(resident_of.values())) | Resident.email.in_(senders)
            )
        ).all()
        by_id = {r.id: r for r in residents}
        by_email = {r.email: r for r in residents if r.email}
        grouped: dict[str, list[SheetLine]] = defaultdict(list)
        for attachment in attachments:
            message = messages.get(attachment.message_pk or -1)
            sender = (message.sender or "").strip().lower() if message else ""
            resident = by_id.get(resident_of.get(attachment.id, -1)) or by_email.get(sender)
            grouped[_sender_label(resident, sender)].append(
                self._sheet_line(attachment, message, incidents.get(attachment.id, set()))
            )
        return (
            tuple(SenderSheets(sender, tuple(lines)) for sender, lines in grouped.items()),
            len(attachments),
        )

    def _sheet_line(
        self, attachment: Attachment, message: Message | None, incident_ids: set[int]
    ) -> SheetLine:
        status = str(attachment.status)
        if status == "parsed":
            new = len(incident_ids & self.new_ids)
            outcome = (
                f"read: {_plural(len(incident_ids), 'incident')}, {new} new"
                if incident_ids
                else "read: nothing new (a copy of a sheet already recorded)"
            )
        else:
            verdict = "needs review" if status == "needs_review" else "rejected"
            outcome = f"{verdict} ({attachment.problem_code})"
        received = message.received_at if message is not None else attachment.created_at
        return SheetLine(
            file=attachment.filename,
            status=status,
            outcome=outcome,
            problem=attachment.problem_message,
            received=self.fmt.moment(received),
        )

    # (2) new incidents by case, (3) thresholds, (4) urgent

    def _new_by_case(self) -> tuple[NewIncidents, ...]:
        by_case: dict[int, list[Incident]] = defaultdict(list)
        for incident in self.new_incidents:
            by_case[incident.case_id].append(incident)
        return tuple(
            NewIncidents(
                case=self.refs[case_id],
                count=len(items),
                dates=self._dates(items),
                urgent=any(i.urgent for i in items),
            )
            for case_id, items in sorted(by_case.items())
        )

    def _dates(self, incidents: Sequence[Incident]) -> str:
        days = sorted({i.occurred_on for i in incidents if i.occurred_on is not None})
        undated = sum(i.occurred_on is None for i in incidents)
        parts = [self.fmt.full_day(day) for day in days]
        if undated:
            parts.append(_plural(undated, "undated"))
        return ", ".join(parts)

    def _thresholds(self) -> tuple[ThresholdMet, ...]:
        return tuple(
            ThresholdMet(
                case=self.refs[c.case_id],
                rule=RULE_LABELS.get(str(c.rule), str(c.rule)),
                met_at=self.fmt.moment(c.met_at),
                reasons=tuple(c.reasons),
            )
            for c in self.crossings
            if c.case_id is not None
        )

    def _urgent(self) -> tuple[UrgentItem, ...]:
        describe = self.settings.digest.include_descriptions
        return tuple(
            UrgentItem(
                case=self.refs[i.case_id],
                when=self._when(i),
                categories=_categories(i.categories),
                description=short_description(i.description) if describe else None,
            )
            for i in self.new_incidents
            if i.urgent
        )

    def _when(self, incident: Incident) -> str:
        day = (
            self.fmt.full_day(incident.occurred_on)
            if incident.occurred_on
            else incident.date_text or "undated"
        )
        time = incident.time_text or ""
        if incident.time:
            time = f"{incident.time:%H:%M}"
            time += f"–{incident.end_time:%H:%M}" if incident.end_time else ""
        return f"{day} {time}".strip()

    # (5) needs review

    def _review(self) -> tuple[tuple[ReviewLine, ...], int, tuple[str, ...]]:
        items = [*self.review, *self._failed_alerts()]
        fresh = self._fresh_review_keys(items)
        listed: list[ReviewLine] = []
        older: dict[str, int] = defaultdict(int)
        for item in items:
            if item["kind"] in ALWAYS_LISTED or _review_key(item) in fresh:
                listed.append(self._review_line(item))
            else:
                older[item["kind"]] += 1
        older_lines = tuple(
            _plural(count, REVIEW_LABELS.get(kind, kind.replace("_", " ")).lower())
            for kind, count in older.items()
        )
        more = max(0, len(listed) - REVIEW_MAX_ITEMS)
        return tuple(listed[:REVIEW_MAX_ITEMS]), more, older_lines

    def _failed_alerts(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": "failed_alert",
                "alert_id": alert.id,
                "case_id": alert.case_id,
                "reason": f"{alert.kind} email {alert.payload.get('subject', '')!r} was not "
                f"delivered after {_plural(alert.attempts, 'try', 'tries')}: "
                f"{alert.last_error or 'no error recorded'}",
            }
            for alert in self.session.scalars(
                select(Alert).where(Alert.state == AlertState.FAILED).order_by(Alert.id)
            )
        ]

    def _fresh_review_keys(self, items: Sequence[dict[str, Any]]) -> set[tuple[str, int]]:
        """The review items whose record arrived in this digest's window."""
        fresh: set[tuple[str, int]] = set()
        sources: tuple[tuple[str, Any], ...] = (
            ("attachment_id", Attachment),
            ("message_id", Message),
            ("incident_id", Incident),
        )
        for field, model in sources:
            ids = {item[field] for item in items if item.get(field) is not None}
            if not ids:
                continue
            new = self.session.scalars(
                select(model.id).where(
                    model.id.in_(ids), _window(model.created_at, self.since, self.now)
                )
            ).all()
            fresh |= {(field, row_id) for row_id in new}
        return fresh

    def _review_line(self, item: dict[str, Any]) -> ReviewLine:
        kind = item["kind"]
        case = self.refs.get(item.get("case_id") or -1)
        if kind == "unreadable_sheet":
            about = item["file"] + self._sender_of(item.get("message_id"))
        elif kind in ("quarantined_message", "message_for_review"):
            about = "email" + self._sender_of(item.get("message_id"))
        elif case is not None:
            about = f"case #{case.id} {case.resident} about {case.person}"
            if kind == "unconfirmed_link" and item.get("written"):
                about += f": written as {', '.join(item['written'])}"
        else:
            about = f"alert {item.get('alert_id')}" if kind == "failed_alert" else ""
        return ReviewLine(
            kind=kind,
            label=REVIEW_LABELS.get(kind, kind.replace("_", " ").capitalize()),
            about=about,
            reason=str(item.get("reason") or ""),
        )

    def _sender_of(self, message_id: int | None) -> str:
        if message_id is None:
            return " (recorded from disk)"
        message = self.session.get(Message, message_id)
        if message is None:
            return ""
        sender = f" from {message.sender}" if message.sender else ""
        return f"{sender}, received {self.fmt.moment(message.received_at)}"

    # (6) no police reference, (7) overdue

    def _no_reference(self) -> tuple[NoReference, ...]:
        lines = []
        for case in self.open_cases:
            summary = self.summaries[case.id]
            if summary["no_police_reference"]:
                last = case.last_incident_on
                lines.append(
                    NoReference(
                        case=self.refs[case.id],
                        incident_count=summary["incident_count"],
                        last_incident=self.fmt.full_day(last) if last else "undated",
                    )
                )
        return tuple(lines)

    def _overdue(self) -> tuple[Overdue, ...]:
        if not self.open_cases:
            return ()
        ids = [case.id for case in self.open_cases]
        priority = self._priority_reported(ids)
        last_action = self._last_staff_action(ids)
        lines = []
        for case in self.open_cases:
            opened = self.fmt.local(case.opened_at).date()
            if not case.officer_assigned:
                lines.append(self._response_overdue(case, opened, priority.get(case.id)))
            lines.append(self._update_overdue(case, opened, last_action.get(case.id)))
        found = [line for line in lines if line is not None]
        return tuple(sorted(found, key=lambda line: (line.due, line.case.id)))

    def _priority_reported(self, case_ids: Sequence[int]) -> dict[int, dt.date]:
        """When each case first heard of hate, violence or threats (the short target's start)."""
        first: dict[int, dt.date] = {}
        for case_id, categories, urgent, reported_on in self.session.execute(
            select(
                Incident.case_id, Incident.categories, Incident.urgent, Incident.reported_on
            ).where(Incident.case_id.in_(case_ids))
        ):
            if urgent or PRIORITY_CATEGORIES & set(categories or ()):
                first[case_id] = min(reported_on, first.get(case_id, reported_on))
        return first

    def _response_overdue(
        self, case: Case, opened: dt.date, priority_on: dt.date | None
    ) -> Overdue | None:
        digest = self.settings.digest
        due = add_working_days(opened, digest.response_days)
        target, why = digest.response_days, ""
        if priority_on is not None:
            # A threat in a case opened weeks ago starts the short clock when it arrives.
            start = max(opened, priority_on)
            urgent_due = add_working_days(start, digest.urgent_response_days)
            if urgent_due < due:
                due, target = urgent_due, digest.urgent_response_days
                reported = f" reported {self.fmt.day(start)}" if start > opened else ""
                why = f"hate, violence or threats{reported}: "
        if self.fmt.today <= due:
            return None
        return Overdue(
            case=self.refs[case.id],
            kind="response",
            due=due,
            reason=f"No officer assigned. Opened {self.fmt.day(opened)}; response was due by "
            f"{self.fmt.day(due)} ({why}{_plural(target, 'working day')}).",
            action=f"Assign an officer: diarydesk case {case.id} --assign NAME",
        )

    def _update_overdue(
        self, case: Case, opened: dt.date, acted: dt.datetime | None
    ) -> Overdue | None:
        every = self.settings.digest.update_every_days
        basis = max(opened, self.fmt.local(acted).date()) if acted else opened
        due = add_working_days(basis, every)
        if self.fmt.today <= due:
            return None
        return Overdue(
            case=self.refs[case.id],
            kind="update",
            due=due,
            reason=f"No staff action since {self.fmt.day(basis)}: an update was due by "
            f"{self.fmt.day(due)} (every {_plural(every, 'working day')}).",
            action=(
                "Update the resident on progress, then record it: "
                f"diarydesk case {case.id} --updated"
            ),
        )

    def _last_staff_action(self, case_ids: Sequence[int]) -> dict[int, dt.datetime]:
        rows = self.session.execute(
            select(AuditEntry.entity_id, func.max(AuditEntry.at))
            .where(
                AuditEntry.entity == "case",
                AuditEntry.entity_id.in_([str(i) for i in case_ids]),
                AuditEntry.actor != STAFF_ACTOR_EXCLUDED,
                AuditEntry.at <= self.now,
            )
            .group_by(AuditEntry.entity_id)
        ).all()
        return {int(entity_id): at for entity_id, at in rows if entity_id is not None}

    # (8) the per-case timeline

    def _timelines(self) -> tuple[Timeline, ...]:
        active = sorted(
            {i.case_id for i in self.new_incidents}
            | {c.case_id for c in self.crossings if c.case_id is not None}
        )
        return tuple(self._timeline(case_id) for case_id in active)

    def _timeline(self, case_id: int) -> Timeline:
        detail = case_detail(self.session, case_id)
        describe = self.settings.digest.include_descriptions
        rows = [
            TimelineRow(
                date=self.fmt.full_day(dt.date.fromisoformat(i["date"]))
                if i["date"]
                else i["date_text"] or "undated",
                time=_time_range(i),
                categories=_categories(i["categories"]),
                description=short_description(i["description"]) if describe else None,
                police_references=", ".join(i["police_references"]),
                new=i["id"] in self.new_ids,
                urgent=bool(i["urgent"]),
            )
            for i in detail["incidents"]
        ]
        shown = rows[-TIMELINE_MAX_ROWS:]
        thresholds = tuple(
            f"{RULE_LABELS.get(d['rule'], d['rule'])} met "
            f"{self.fmt.moment(dt.datetime.fromisoformat(d['met_at']))}"
            for d in detail["threshold"]["decisions"]
        )
        return Timeline(
            case=self.refs[case_id],
            rows=tuple(shown),
            earlier=len(rows) - len(shown),
            thresholds=thresholds,
        )


def _as_dict(sections: Sections) -> dict[str, Any]:
    return {f.name: getattr(sections, f.name) for f in fields(Sections)}


def _summary(s: Sections) -> str:
    """One line for the preheader: what a reader sees in the inbox list before opening."""
    if s.nothing_new:
        head = f"Nothing new since {s.since_label}" if s.since else "Nothing recorded yet"
        parts = [head]
    else:
        parts = [
            _plural(s.sheet_count, "sheet"),
            _plural(s.new_incident_count, "new incident"),
        ]
        if s.thresholds:
            parts.append(_plural(len(s.thresholds), "threshold") + " met")
        if s.urgent:
            parts.append(f"{len(s.urgent)} urgent")
        if s.review:
            parts.append(f"{len(s.review) + s.review_more} to review")
    if s.overdue:
        parts.append(_plural(s.overdue_cases, "case") + " overdue")
    if s.worker_problems:
        parts.insert(0, "The mailbox worker is failing")
    return "; ".join(parts) + "."


def _case_ref(summary: dict[str, Any]) -> CaseRef:
    resident = summary["resident"]
    person = summary["person"]
    return CaseRef(
        id=summary["id"],
        resident=resident["name"] or resident["email"] or f"resident {resident['id']}",
        person=(person["name"] or f"person {person['id']}") if person else "unknown person",
        officer_assigned=summary["officer_assigned"],
        police_references=tuple(summary["police_references"]),
        officers=tuple(summary["officers"]),
    )


def _sender_label(resident: Resident | None, sender: str) -> str:
    if resident is not None and resident.name:
        return f"{resident.name} ({resident.email})" if resident.email else resident.name
    if sender:
        return sender
    return "recorded from disk (no sender)"


def _review_key(item: dict[str, Any]) -> tuple[str, int]:
    for field in ("attachment_id", "incident_id", "message_id"):
        if item.get(field) is not None:
            return field, int(item[field])
    return "", 0


def _time_range(incident: dict[str, Any]) -> str:
    if incident["time"]:
        end = incident["end_time"]
        return f"{incident['time']}–{end}" if end else incident["time"]
    return str(incident["time_text"] or "")


# --- queuing ---------------------------------------------------------------------------------


def queue_digest(session: Session, settings: Settings, *, now: dt.datetime) -> Alert | None:
    """Queue this slot's digest in the outbox; None when it was queued before, when there is
    nothing new and `digest.send_when_empty` is off (unless the worker is failing), or when no
    recipients are configured. Covers what was recorded since the last digest queued
    (`digest_since`), and moves that mark to `now` once queued."""
    key = idempotency_key(settings, now)
    if session.scalars(select(Alert.id).where(Alert.idempotency_key == key)).first() is not None:
        log.debug("digest %s already queued", key)
        return None
    recipients = settings.digest.recipients
    if not recipients:
        log.warning("digest %s not queued: digest.recipients is empty", key)
        return None
    digest = build_digest(session, settings, now=now, since=digest_since(session, settings, now))
    if digest.empty and not settings.digest.send_when_empty and not digest.worker_problems:
        log.info("digest %s skipped: nothing new and digest.send_when_empty is off", key)
        return None
    row = enqueue(
        session,
        key=key,
        kind=AlertKind.DIGEST,
        to=recipients,
        subject=digest.subject,
        text=digest.text,
        html=digest.html,
        now=now,
    )
    if row is None:
        return None  # another worker queued this slot a moment ago
    _remember(session, now, key)
    log.info(
        "digest %s queued: %d sheet(s), %d new incident(s), %d review, %d overdue",
        key,
        digest.sheet_count,
        digest.new_incident_count,
        len(digest.review),
        len(digest.overdue),
    )
    return row
