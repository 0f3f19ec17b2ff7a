"""Queue the officers' alerts for what one recorded email produced.

A "threshold" alert when a case first meets a threshold (the store records each crossing once,
and the idempotency key `threshold:{rule}:{case_id}` makes the alert once as well); an "urgent"
alert at once for each new urgent incident (`urgent:{incident_id}`), whatever the count; and
the operational "worker-failing" alert to the administrator. Everything is queued in the
caller's transaction, so an email's alerts are committed with its incidents or not at all;
`notify.outbox.send_due` sends them.

Subjects show in notification previews and on lock screens: they carry the case number and the
kind of alert only, never a name or a description.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.config import AlertRoute, Settings
from notify.queue import enqueue
from notify.rendering import render
from parsers.categories import categorise
from store.enums import AlertState, ThresholdRule
from store.models import Alert, Case, Incident, PoliceReference, Resident, ThresholdCrossing
from store.recording import RecordOutcome
from store.reports import case_detail, incident_record
from store.thresholds import COMMUNITY_TRIGGER_REVIEW, COURSE_OF_CONDUCT_REVIEW
from store.worker_state import WorkerState

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "[diarydesk]"
NO_OFFICERS = "no officers configured: set alerts.officers"
EMERGENCY_ADVICE = "If a resident is in immediate danger they should call 999; non-emergencies 101."
# Long enough to recognise the incident by, short enough to read on a phone.
SHORT_DESCRIPTION_CHARS = 240
# Alert keys are a VARCHAR(255); a longer mailbox name is shortened, keeping the key unique.
MAX_KEY_CHARS = 255

RULE_WORDING = {
    ThresholdRule.COURSE_OF_CONDUCT: COURSE_OF_CONDUCT_REVIEW,
    ThresholdRule.COMMUNITY_TRIGGER: COMMUNITY_TRIGGER_REVIEW,
}
# When the incident's text no longer says why it is urgent (a newer parser), its categories do.
URGENT_FROM_CATEGORY = {"violence": "violence", "threats": "threat of violence"}
_URGENT_REASON = re.compile(r'^urgent: (?P<kind>[^"]+?) "')
# A full UK postcode: outward code (area letters, district) and inward code; GIR 0AA is real.
_POSTCODE = re.compile(
    r"(?<![A-Z0-9])(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})(?![A-Z0-9])", re.I
)


class AlertKind(enum.StrEnum):
    """What an `alerts` row is for (its `kind` column)."""

    THRESHOLD = "threshold"
    URGENT = "urgent"
    WORKER_FAILING = "worker-failing"
    ACKNOWLEDGEMENT = "acknowledgement"
    DIGEST = "digest"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# --- who gets it ----------------------------------------------------------------------------


def postcode_in(address: str | None) -> str | None:
    """The last full UK postcode written in `address`, as "M14 5XY" (upper case, one space)."""
    if not address:
        return None
    found = _POSTCODE.findall(address)
    if not found:
        return None
    compact = found[-1].replace(" ", "").upper()
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_matches(prefix: str, postcode: str) -> bool:
    """Whether `postcode` is in the area, district or sector `prefix` names.

    A prefix ends on a boundary: "M1" is district M1 ("M1 2AB", and its sub-district "M1A"),
    never M14; "M" is the whole area (M1, M14) but not MK; "M14 5" is a sector.
    """
    wanted = " ".join(prefix.upper().split())
    if not wanted:
        return False
    full = postcode_in(wanted)
    if full is not None:
        wanted = full  # a whole postcode written without its space
    if not postcode.startswith(wanted):
        return False
    rest = postcode[len(wanted) :]
    return not rest or rest[0] == " " or rest[0].isdigit() != wanted[-1].isdigit()


def route_matches(route: AlertRoute, address: str | None) -> bool:
    if not address:
        return False
    postcode = postcode_in(address)
    if route.postcode_prefix and postcode and postcode_matches(route.postcode_prefix, postcode):
        return True
    return bool(route.area) and route.area.casefold() in address.casefold()


def officers_for(address: str | None, settings: Settings) -> list[str]:
    """The first route the resident's address matches, else the default officers."""
    for route in settings.alerts.routes:
        if route_matches(route, address):
            return list(route.officers)
    return list(settings.alerts.officers)


def recipients_for_alert(session: Session, alert: Alert, settings: Settings) -> list[str]:
    """Who an already queued alert would go to under `settings` (for a retry after a fix)."""
    if alert.kind == AlertKind.WORKER_FAILING:
        return list(settings.worker.admin)
    if alert.kind == AlertKind.DIGEST:
        return list(settings.digest.recipients)
    if alert.kind in (AlertKind.THRESHOLD, AlertKind.URGENT) and alert.case_id is not None:
        case = session.get(Case, alert.case_id)
        resident = session.get(Resident, case.resident_id) if case is not None else None
        return officers_for(resident.address if resident is not None else None, settings)
    return []


# --- what it says ---------------------------------------------------------------------------


def _day(iso: str | None) -> str | None:
    if iso is None:
        return None
    day = dt.date.fromisoformat(iso)
    return f"{day:%a} {day.day} {day:%B %Y}"


def _when(record: dict[str, Any]) -> str:
    date = _day(record["date"]) or record["date_text"] or "undated"
    time = record["time"] or record["time_text"]
    if record["time"] and record["end_time"]:
        time = f"{record['time']}–{record['end_time']}"
    return f"{date}, {time}" if time else date


def _short(text: str | None) -> str | None:
    if not text:
        return None
    flat = " ".join(text.split())
    if len(flat) <= SHORT_DESCRIPTION_CHARS:
        return flat
    cut = flat[:SHORT_DESCRIPTION_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + " …"


def _gap(previous: str | None, current: str | None) -> str | None:
    if previous is None or current is None:
        return None
    days = (dt.date.fromisoformat(current) - dt.date.fromisoformat(previous)).days
    if days == 0:
        return "same day as the previous one"
    return f"{days} day{'s' if days != 1 else ''} after the previous one"


def _incident_lines(
    records: Sequence[dict[str, Any]], *, descriptions: bool, case_id: int
) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    previous: str | None = None
    for record in records:
        lines.append(
            {
                "id": record["id"],
                "when": _when(record),
                "reported_on": _day(record["reported_on"]),
                "categories": ", ".join(c.replace("_", " ") for c in record["categories"]),
                "description": _short(record["description"]) if descriptions else None,
                "gap": _gap(previous, record["date"]) if lines else None,
                "person_confirmed": record["person_confirmed"],
                "other_case": record.get("case_id") not in (None, case_id),
                "case_id": record.get("case_id"),
            }
        )
        previous = record["date"] or previous
    return lines


def _officer_text(ref: PoliceReference) -> str | None:
    """ "PC Dan Whitlock, collar number 2231": what an officer says when calling the station."""
    name = " ".join(p for p in (ref.officer_rank, ref.officer_name) if p)
    number = f"collar number {ref.officer_number}" if ref.officer_number else ""
    return ", ".join(p for p in (name, number) if p) or None


def _references(session: Session, texts: Sequence[str]) -> list[dict[str, Any]]:
    rows = {
        ref.text: ref
        for ref in session.scalars(select(PoliceReference).where(PoliceReference.text.in_(texts)))
    }
    return [
        {
            "text": text,
            "kind": str(rows[text].kind) if text in rows else "unknown",
            "force": rows[text].force if text in rows else None,
            "officer": _officer_text(rows[text]) if text in rows else None,
        }
        for text in texts
    ]


def _case_context(session: Session, case_id: int, settings: Settings) -> dict[str, Any]:
    """What every case alert shows: the resident, the alleged perpetrator, police references."""
    detail = case_detail(session, case_id)
    resident = session.get(Resident, detail["resident"]["id"])
    assert resident is not None  # case_detail found the case, and a case has its resident
    references = _references(session, detail["police_references"])
    return {
        "case_id": case_id,
        "detail": detail,
        "resident": {
            "name": resident.name or "(name not given)",
            "address": resident.address,
            "phone": resident.phone,
            "email": resident.email,
            "reference": resident.reference,
        },
        "person": detail["person"],
        "references": references,
        "officer_assigned": detail["officer_assigned"],
        "include_descriptions": settings.alerts.include_descriptions,
        "pointer": f"diarydesk case {case_id}",
        "emergency": EMERGENCY_ADVICE,
    }


def _missing(context: dict[str, Any], incidents: Sequence[dict[str, Any]]) -> list[str]:
    case_id = context["case_id"]
    missing: list[str] = []
    if not context["references"]:
        missing.append("no police reference yet: ask the resident for it")
    elif not any(ref["officer"] for ref in context["references"]):
        missing.append("no police officer named yet: ask the resident who is dealing")
    if context["person"] is None:
        missing.append("alleged perpetrator not known: the incidents name nobody")
    elif any(not line["person_confirmed"] for line in incidents):
        missing.append("alleged perpetrator not confirmed: check the link with `diarydesk review`")
    if not context["officer_assigned"]:
        missing.append(f"no officer assigned: `diarydesk case {case_id} --assign NAME`")
    return missing


def _render(template: str, settings: Settings, subject: str, context: dict[str, Any]) -> Rendered:
    templates_dir = settings.digest.templates_dir
    full = {**context, "subject": subject}
    return Rendered(
        subject=subject,
        text=render(f"{template}.txt", templates_dir, **full),
        html=render(f"{template}.html", templates_dir, **full),
    )


def render_threshold(session: Session, crossing: ThresholdCrossing, settings: Settings) -> Rendered:
    assert crossing.case_id is not None
    context = _case_context(session, crossing.case_id, settings)
    by_id = {record["id"]: record for record in context["detail"]["incidents"]}
    records: list[dict[str, Any]] = []
    for incident_id in crossing.incident_ids:
        if incident_id in by_id:
            records.append(by_id[incident_id])
            continue
        # Limb b of s.7(3): an incident of the same person against another resident.
        other = session.get(Incident, incident_id)
        if other is not None:
            records.append({**incident_record(session, other), "case_id": other.case_id})
    records.sort(key=lambda r: (r["date"] is None, r["date"] or "", r["time"] or "", r["id"]))
    incidents = _incident_lines(
        records, descriptions=settings.alerts.include_descriptions, case_id=crossing.case_id
    )
    wording = RULE_WORDING[crossing.rule]
    subject = f"{SUBJECT_PREFIX} Case {crossing.case_id}: {wording}"
    context.update(
        wording=wording,
        rule=str(crossing.rule),
        met_at=f"{crossing.met_at:%d %B %Y %H:%M} UTC",
        incidents=incidents,
        gap_days=crossing.gap_days,
        reasons=list(crossing.reasons),
        missing=_missing(context, incidents),
    )
    return _render("alert_threshold", settings, subject, context)


def urgent_kinds(incident: Incident) -> list[str]:
    """Why an incident is urgent, in words ("threat of violence", "weapon"), never its text."""
    kinds: list[str] = []
    for reason in categorise(incident.description, location=incident.location).reasons:
        matched = _URGENT_REASON.match(reason)
        if matched and matched.group("kind") not in kinds:
            kinds.append(matched.group("kind"))
    if not kinds:
        kinds = [URGENT_FROM_CATEGORY[c] for c in incident.categories if c in URGENT_FROM_CATEGORY]
    return kinds or ["urgent incident"]


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def render_urgent(session: Session, incident: Incident, settings: Settings) -> Rendered:
    context = _case_context(session, incident.case_id, settings)
    kinds = urgent_kinds(incident)
    record = next(r for r in context["detail"]["incidents"] if r["id"] == incident.id)
    incidents = _incident_lines(
        [record], descriptions=settings.alerts.include_descriptions, case_id=incident.case_id
    )
    subject = f"{SUBJECT_PREFIX} URGENT: Case {incident.case_id} — {_and(kinds)} reported"
    context.update(
        kinds=kinds,
        incidents=incidents,
        location=record["location"] if settings.alerts.include_descriptions else None,
        missing=_missing(context, incidents),
    )
    return _render("alert_urgent", settings, subject, context)


# --- queueing -------------------------------------------------------------------------------


def _queue(
    session: Session,
    *,
    key: str,
    kind: AlertKind,
    to: list[str],
    rendered: Rendered,
    now: dt.datetime,
    case_id: int | None,
    missing_reason: str,
) -> Alert | None:
    alert = enqueue(
        session,
        key=key,
        kind=kind,
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        now=now,
        case_id=case_id,
    )
    if alert is not None and not to:
        # Kept, not dropped: FAILED shows in `diarydesk alerts` and the digest, and
        # `diarydesk alerts --retry ID` sends it once someone is configured.
        alert.state = AlertState.FAILED
        alert.last_error = missing_reason
        alert.next_attempt_at = None
        log.warning("alert=%d kind=%s has nobody to go to: %s", alert.id, kind, missing_reason)
    return alert


def queue_alerts(
    session: Session, outcome: RecordOutcome, settings: Settings, *, now: dt.datetime
) -> list[Alert]:
    """Queue the urgent and threshold alerts `outcome` calls for; returns the rows queued now.

    Urgent ones first, so a sender working oldest first sends them first. Flushes; the caller
    commits (with the recording, in the same transaction).
    """
    urgent = session.scalars(
        select(Incident)
        .where(Incident.id.in_(outcome.new_incident_ids), Incident.urgent.is_(True))
        .order_by(Incident.id)
    ).all()
    wanted = [
        (
            f"urgent:{incident.id}",
            AlertKind.URGENT,
            incident.case_id,
            functools.partial(render_urgent, session, incident, settings),
        )
        for incident in urgent
    ] + [
        (
            f"threshold:{crossing.rule}:{crossing.case_id}",
            AlertKind.THRESHOLD,
            crossing.case_id,
            functools.partial(render_threshold, session, crossing, settings),
        )
        for crossing in outcome.crossings
        if crossing.case_id is not None
    ]
    queued: list[Alert] = []
    for key, kind, case_id, render_it in wanted:
        alert = _queue_case_alert(
            session,
            key=key,
            kind=kind,
            case_id=case_id,
            render_it=render_it,
            settings=settings,
            now=now,
        )
        if alert is not None:
            queued.append(alert)
    session.flush()
    return queued


def _queue_case_alert(
    session: Session,
    *,
    key: str,
    kind: AlertKind,
    case_id: int,
    render_it: Callable[[], Rendered],
    settings: Settings,
    now: dt.datetime,
) -> Alert | None:
    if session.scalars(select(Alert.id).where(Alert.idempotency_key == key)).first() is not None:
        return None  # queued before: do not even render it again
    case = session.get(Case, case_id)
    resident = session.get(Resident, case.resident_id) if case is not None else None
    to = officers_for(resident.address if resident is not None else None, settings)
    rendered = render_it()
    alert = _queue(
        session,
        key=key,
        kind=kind,
        to=to,
        rendered=rendered,
        now=now,
        case_id=case_id,
        missing_reason=NO_OFFICERS,
    )
    if alert is not None:
        log.info("alert=%d kind=%s queued for case=%d", alert.id, kind, case_id)
    return alert


def _outage_key(state: WorkerState) -> str:
    # One outage is the run of failures since the last successful poll, so that success time
    # names the outage: the same outage never alerts twice, the next one alerts again.
    since = state.last_success_at.isoformat() if state.last_success_at else "never"
    key = f"worker-failing:{state.mailbox}:{since}"
    if len(key) > MAX_KEY_CHARS:
        digest = hashlib.sha256(state.mailbox.encode("utf-8")).hexdigest()[:16]
        key = f"worker-failing:{digest}:{since}"
    return key


def queue_worker_failing(
    session: Session, state: WorkerState, settings: Settings, *, now: dt.datetime
) -> Alert | None:
    """Tell `worker.admin` the mailbox worker keeps failing, once per outage.

    None when it is not failing yet (fewer than `worker.failed_polls_before_alert` polls in a
    row), when this outage was alerted before, or when no admin is configured ("empty:
    nobody"; the digest still names the failing worker). No personal data: the mailbox, the
    times, the count and the error, which names message ids at most.
    """
    worker = settings.worker
    if not state.failing(worker.failed_polls_before_alert):
        return None
    if not worker.admin:
        log.warning("mailbox=%s is failing and worker.admin is empty: nobody told", state.mailbox)
        return None
    subject = (
        f"{SUBJECT_PREFIX} Worker failing: mailbox {state.mailbox} — "
        f"{state.consecutive_failures} polls in a row"
    )
    context = {
        "mailbox": state.mailbox,
        "last_success_at": _stamp(state.last_success_at),
        "last_error_at": _stamp(state.last_error_at),
        "last_error": state.last_error or "(no error recorded)",
        "failures": state.consecutive_failures,
        "threshold": worker.failed_polls_before_alert,
    }
    rendered = _render("alert_worker_failing", settings, subject, context)
    return _queue(
        session,
        key=_outage_key(state),
        kind=AlertKind.WORKER_FAILING,
        to=list(worker.admin),
        rendered=rendered,
        now=now,
        case_id=None,
        missing_reason="no admin configured: set worker.admin",
    )


def _stamp(value: dt.datetime | None) -> str | None:
    return f"{value.astimezone(dt.UTC):%d %B %Y %H:%M} UTC" if value is not None else None
