"""The staff digest as the team reads it: what came in, what needs a person, what is overdue.

Stored data comes from recording real diary sheets (and the shared hostile samples) the way the
worker does, on SQLite and on PostgreSQL. The clock is simulated: each recording passes its
`now`, and the rows it creates are dated to that moment (the store stamps `created_at` from the
wall clock, which a simulated morning cannot use).
"""

from __future__ import annotations

import datetime as dt
import email.message
import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from ingest.cli import main
from ingest.config import Settings
from notify.digest import (
    LAST_AT_KEY,
    Digest,
    add_working_days,
    build_digest,
    last_digest_at,
    queue_digest,
    schedule_slot,
    working_days_between,
)
from notify.outbox import send_due
from notify.queue import enqueue
from notify.transport import transport_for
from parsers import parse_sheet
from parsers.template import HEADER_LABELS, Entry, build_template
from store import worker_state
from store.models import Alert, Attachment, AuditEntry, Case, Incident, KeyValue, Message
from store.recording import (
    RecordOutcome,
    SheetInput,
    SourceMessage,
    record_failure,
    record_message,
)
from store.thresholds import COURSE_OF_CONDUCT_REVIEW
from tests.notify import smtp_settings
from tests.smtp_fixture import SmtpServer

MAILBOX = "asb@example.org"
STAFF = ["asb-team@example.org", "team.leader@example.org"]
# Tuesday 1 December 2026, 08:00 in London (GMT): the digest covers Monday 08:00 onwards.
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
SINCE = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
AISHA, GARY = "Mrs Aisha Patel", "Gary Hollis"
TOM, DEAN = "Mr Tom Okafor", "Dean Marsh"


def header(
    name: str = AISHA,
    subject: str = GARY,
    *,
    address: str = "14 Elm Road, Melton LE13 0AB",
    officer: str = "PC 2231 Dan Whitlock",
    reference: str = "43260012345",
) -> dict[str, str]:
    values = (name, address, "07700 900123", "", "T/004512", subject, "16 Elm Road", officer)
    return dict(zip(HEADER_LABELS, (*values, reference), strict=True))


TOM_HEADER = header(TOM, DEAN, address="3 Mill Lane, Melton LE13 1QP", officer="", reference="")


def settings(**digest: Any) -> Settings:
    return Settings.model_validate({"digest": {"recipients": STAFF, **digest}})


class Inbox:
    """Residents' emails, recorded as the worker records them, at the moment the test says."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def sheet(
        self,
        sender: str,
        entries: Sequence[Entry],
        *,
        at: dt.datetime,
        sheet_header: dict[str, str] | None = None,
        filename: str = "diary.docx",
    ) -> RecordOutcome:
        fields = tuple((sheet_header or header()).items())
        return self.file(sender, sheet_bytes(fields, tuple(entries)), at=at, filename=filename)

    def file(
        self, sender: str, data: bytes, *, at: dt.datetime, filename: str = "diary.docx"
    ) -> RecordOutcome:
        # Each email its own IMAP UID, however many inboxes a test opens on one session.
        uid = self.session.info["uid"] = self.session.info.get("uid", 0) + 1
        mail = email.message.EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, MAILBOX, "my diary"
        mail.set_content(f"Please find my diary attached ({uid}).")
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
        result = parse_sheet(data, received=at)
        outcome = record_message(
            self.session,
            SourceMessage(
                raw=mail.as_bytes(),
                received_at=at,
                mailbox=MAILBOX,
                uidvalidity=1,
                uid=uid,
                sender=sender,
            ),
            [SheetInput(filename, data, result)],
            now=at,
        )
        stamp(self.session, outcome, at)
        self.session.commit()
        return outcome


@functools.cache
def sheet_bytes(fields: tuple[tuple[str, str], ...], entries: tuple[Entry, ...]) -> bytes:
    """The .docx a resident would send (built once per content: python-docx is slow)."""
    return build_template(header=dict(fields), entries=entries, blank_rows=1)


def stamp(session: Session, outcome: RecordOutcome, at: dt.datetime) -> None:
    """Date what one recording created to the simulated moment it happened."""
    session.flush()
    for model, ids in (
        (Attachment, outcome.attachment_ids),
        (Incident, outcome.new_incident_ids),
        (Message, [outcome.message_pk] if outcome.message_pk else []),
    ):
        if ids:
            session.execute(update(model).where(model.id.in_(ids)).values(created_at=at))


def healthy_worker(session: Session, at: dt.datetime = NOW - dt.timedelta(minutes=2)) -> None:
    worker_state.record_success(session, MAILBOX, now=at, counts=worker_state.PollCounts(seen=1))
    session.commit()


def digest(session: Session, config: Settings | None = None, *, now: dt.datetime = NOW) -> Digest:
    return build_digest(session, config or settings(), now=now, since=SINCE)


def case_id(outcome: RecordOutcome) -> int:
    (only,) = outcome.case_ids
    return only


ROW_MAR3 = Entry(
    "23/11/2026",
    "10.30pm",
    "outside my door",
    "He shouted abuse at me and kicked my door.",
    GARY,
    "my son Imran",
    "I could not sleep",
    "5781/23NOV",
)
ROW_BUS = Entry(
    "26/11/2026",
    "9.15am",
    "bus stop",
    "He followed me to the bus stop and stared at me the whole time.",
    GARY,
    "",
    "Frightened",
)
ROW_MUSIC = Entry(
    "28/11/2026",
    "11pm",
    "my flat",
    "Loud music and banging on the wall until 2am.",
    DEAN,
    "",
    "Could not sleep",
)


# --- what came in and what needs a person -----------------------------------------------------


def test_unreadable_attachment_is_listed_with_its_reason_and_a_case_with_no_police_reference(
    session: Session, samples: Path
) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    inbox.sheet("aisha@example.org", [ROW_MAR3], at=NOW - dt.timedelta(hours=5))
    tom = inbox.sheet(
        "tom@example.org", [ROW_MUSIC], at=NOW - dt.timedelta(hours=4), sheet_header=TOM_HEADER
    )
    pdf = (samples / "pdf-renamed.docx").read_bytes()
    locked = (samples / "password-protected.docx").read_bytes()
    inbox.file("jo@example.org", pdf, at=NOW - dt.timedelta(hours=3), filename="jo-diary.docx")
    inbox.file("jo@example.org", locked, at=NOW - dt.timedelta(hours=2), filename="locked.docx")
    pdf_reason = parse_sheet(pdf, received=NOW).problem
    locked_reason = parse_sheet(locked, received=NOW).problem
    assert pdf_reason is not None and locked_reason is not None

    result = digest(session)

    unreadable = {line.about.split(" ")[0]: line for line in result.review}
    assert unreadable["jo-diary.docx"].label == "Unreadable sheet"
    assert unreadable["jo-diary.docx"].reason == pdf_reason.message
    assert "from jo@example.org" in unreadable["jo-diary.docx"].about
    assert unreadable["locked.docx"].reason == locked_reason.message
    jo = next(group for group in result.sheets if group.sender == "jo@example.org")
    assert [(s.file, s.status) for s in jo.sheets] == [
        ("jo-diary.docx", "rejected"),
        ("locked.docx", "needs_review"),
    ]
    assert result.sheet_count == 4
    assert [line.case.id for line in result.no_police_reference] == [case_id(tom)]
    assert result.no_police_reference[0].case.resident == TOM
    for body in (result.text, result.html):
        assert pdf_reason.message in body
        assert locked_reason.message in body
        assert "ask the resident for the police reference" in body
    assert result.subject == (
        "[diarydesk] Digest Tue 1 Dec: 4 sheets, 2 new incidents, 2 need review"
    )


def test_the_timeline_lists_a_cases_incidents_in_date_order_and_marks_the_new_ones(
    session: Session,
) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    # Last week's sheet, already in Monday's digest; today's adds one earlier and one later.
    inbox.sheet("aisha@example.org", [ROW_BUS], at=SINCE - dt.timedelta(days=3))
    later = Entry("29/11/2026", "7pm", "stairwell", "He blocked the stairs and laughed.", GARY)
    inbox.sheet("aisha@example.org", [later, ROW_MAR3], at=NOW - dt.timedelta(hours=1))

    result = digest(session)

    (timeline,) = result.timelines
    assert [(row.date, row.time, row.new) for row in timeline.rows] == [
        ("Mon 23 Nov 2026", "22:30", True),
        ("Thu 26 Nov 2026", "09:15", False),
        ("Sun 29 Nov 2026", "19:00", True),
    ]
    assert timeline.case.police_references == ("43260012345", "5781/23NOV")
    assert "PC 2231 Dan Whitlock" in timeline.case.officers
    text = result.text[result.text.index("== Case timelines") :]
    positions = [text.index(day) for day in ("Mon 23 Nov", "Thu 26 Nov", "Sun 29 Nov")]
    assert positions == sorted(positions)
    assert "He blocked the stairs and laughed." in result.html


def test_a_threshold_crossing_appears_once_with_its_reasons(session: Session) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    inbox.sheet("aisha@example.org", [ROW_MAR3], at=SINCE - dt.timedelta(days=2))
    second = inbox.sheet("aisha@example.org", [ROW_BUS], at=NOW - dt.timedelta(hours=1))
    assert second.crossings, "the second incident by the same person meets the count"

    result = digest(session)

    (met,) = result.thresholds
    assert met.case.id == case_id(second)
    assert met.rule == "Course of conduct (harassment)"
    assert COURSE_OF_CONDUCT_REVIEW in met.reasons
    assert any("separate occasions" in reason for reason in met.reasons)
    assert COURSE_OF_CONDUCT_REVIEW in result.text
    assert "Course of conduct (harassment) met" in result.html
    # The next morning's digest does not repeat it.
    tomorrow = build_digest(session, settings(), now=NOW + dt.timedelta(days=1), since=NOW)
    assert tomorrow.thresholds == ()


def test_descriptions_are_left_out_when_the_organisation_says_so(session: Session) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    threat = Entry(
        "30/11/2026", "8pm", "my door", "He said he would smash my face in next time.", GARY
    )
    inbox.sheet("aisha@example.org", [ROW_MAR3, threat], at=NOW - dt.timedelta(hours=1))

    with_words = digest(session)
    without = digest(session, settings(include_descriptions=False))

    assert with_words.urgent and without.urgent
    for phrase in ("kicked my door", "smash my face in"):
        assert phrase in with_words.text and phrase in with_words.html
        assert phrase not in without.text
        assert phrase not in without.html
    assert all(row.description is None for t in without.timelines for row in t.rows)
    assert without.urgent[0].description is None
    # What a person needs to act is still there.
    assert "Mon 23 Nov 2026" in without.html and f"#{without.timelines[0].case.id}" in without.html


def test_the_html_is_email_safe_and_escapes_what_residents_wrote(session: Session) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    hostile = Entry(
        "30/11/2026", "8pm", "door", '<script>alert("x")</script> <img src=http://x/y.png>', GARY
    )
    inbox.sheet("aisha@example.org", [ROW_MAR3, hostile], at=NOW - dt.timedelta(hours=1))

    result = digest(session)

    html = result.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert re.search(r"<(script|style|link|img|iframe|form)\b", html, re.I) is None
    assert "class=" not in html and "http://" not in html.replace("http://x/", "")
    preheader = re.search(r'<div style="display:none;[^"]*">([^<]+)</div>', html)
    assert preheader is not None and preheader.group(1) == result.summary
    assert "2 new incidents" in result.summary
    for name in (AISHA, GARY, "Aisha", "Hollis"):
        assert name not in result.subject


def test_everything_that_needs_a_person_is_listed_with_its_reason(
    session: Session, smtp_server: SmtpServer
) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    inbox.sheet("aisha@example.org", [ROW_MAR3], at=SINCE - dt.timedelta(days=2))
    impossible = Entry("31/11/2026", "9pm", "my door", "He swore at me.", GARY)
    first_name = Entry("29/11/2026", "7pm", "stairs", "He laughed at me on the stairs.", "Gary")
    inbox.sheet(
        "aisha@example.org",
        [impossible, first_name],
        at=NOW - dt.timedelta(hours=2),
        sheet_header=header(subject=""),
    )
    record_failure(
        session,
        SourceMessage(
            raw=b"From: x@example.org\r\nSubject: diary\r\n\r\nbroken",
            received_at=NOW - dt.timedelta(hours=1),
            mailbox=MAILBOX,
            uidvalidity=1,
            uid=900,
            sender="x@example.org",
        ),
        error="TNEF decoding failed in winmail.dat",
        max_attempts=1,
    )
    # An alert the mail server refuses for good.
    config = smtp_settings(smtp_server, digest={"recipients": STAFF})
    enqueue(
        session,
        key="test:refused",
        kind="threshold",
        to=["left.the.team@example.org"],
        subject="[diarydesk] Threshold met: case 1",
        text="-",
        html=None,
        now=NOW - dt.timedelta(hours=3),
    )
    session.commit()
    smtp_server.refuse("550 5.1.1 no such user", stage="rcpt")
    send_due(session, transport_for(config.mail_out), config, now=NOW - dt.timedelta(hours=3))

    result = digest(session)

    by_kind = {line.kind: line for line in result.review}
    assert by_kind["warning"].reason == "'31/11/2026' is not a real date; check the day and month."
    assert by_kind["warning"].about.startswith("case #")
    assert by_kind["unconfirmed_link"].label == "Unconfirmed person link"
    assert "written as Gary" in by_kind["unconfirmed_link"].about
    assert by_kind["quarantined_message"].reason == "TNEF decoding failed in winmail.dat"
    assert "from x@example.org" in by_kind["quarantined_message"].about
    assert "550" in by_kind["failed_alert"].reason
    assert "not delivered after 1 try" in by_kind["failed_alert"].reason
    for line in result.review:
        assert line.reason in result.text and line.label in result.html
    # The next morning lists again only what can still be put right; the rest is counted.
    tomorrow = build_digest(session, settings(), now=NOW + dt.timedelta(days=1), since=NOW)
    assert {line.kind for line in tomorrow.review} == {"quarantined_message", "failed_alert"}
    assert set(tomorrow.review_older) == {"1 entry warning", "1 unconfirmed person link"}
    assert "Still open from before: " in tomorrow.text


# --- the empty day and the worker --------------------------------------------------------------


def test_an_empty_day_says_nothing_new_and_still_shows_overdue_cases(session: Session) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    # Opened three weeks ago and never assigned: overdue whatever else happens.
    inbox.sheet("aisha@example.org", [ROW_MAR3], at=NOW - dt.timedelta(days=21))

    result = digest(session)

    assert result.empty
    assert result.sheets == () and result.new_incidents == () and result.timelines == ()
    assert result.worker_problems == ()
    assert result.subject == "[diarydesk] Digest Tue 1 Dec: nothing new, 1 overdue"
    assert "Nothing new since Mon 30 Nov 08:00." in result.text
    assert "Nothing new since Mon 30 Nov 08:00." in result.html
    assert {line.kind for line in result.overdue} == {"response", "update"}
    assert "No officer assigned" in result.text


def test_an_organisation_can_override_a_template_from_the_config(
    session: Session, tmp_path: Path
) -> None:
    healthy_worker(session)
    (tmp_path / "digest.txt").write_text(
        "Melton Homes ASB team: {{ d.summary }}\n", encoding="utf-8"
    )

    result = digest(session, settings(templates_dir=str(tmp_path)))

    assert result.text == "Melton Homes ASB team: Nothing new since Mon 30 Nov 08:00.\n"
    assert "Staff digest, Tue 1 Dec" in result.html  # not overridden: the built-in one


def test_a_failing_worker_is_named_at_the_top(session: Session) -> None:
    inbox = Inbox(session)
    healthy_worker(session, at=NOW - dt.timedelta(hours=3))
    for minutes in (150, 100, 50):
        worker_state.record_failure(
            session,
            MAILBOX,
            now=NOW - dt.timedelta(minutes=minutes),
            error="IMAP login refused: AUTHENTICATIONFAILED",
        )
    session.commit()
    inbox.sheet("aisha@example.org", [ROW_MAR3], at=NOW - dt.timedelta(hours=1))

    result = digest(session)

    (problem,) = result.worker_problems
    assert problem.mailbox == MAILBOX
    assert problem.message.startswith(
        f"The mailbox worker for {MAILBOX} has not polled successfully since Tue 1 Dec 05:00"
    )
    assert "3 failed polls in a row" in problem.message
    assert "AUTHENTICATIONFAILED" in problem.message
    assert result.subject.startswith("[diarydesk] Digest Tue 1 Dec: mailbox worker failing, ")
    for body in (result.text, result.html):
        assert body.index("has not polled successfully") < body.index("Sheets received")
    assert result.text.splitlines()[1].startswith("The mailbox worker is failing")


def test_a_worker_that_went_quiet_is_named_too(session: Session) -> None:
    healthy_worker(session, at=NOW - dt.timedelta(minutes=14))
    # Polls are due every 5 minutes: a good poll 14 minutes ago is on time, an hour is not.
    assert digest(session).worker_problems == ()

    (problem,) = digest(session, now=NOW + dt.timedelta(minutes=46)).worker_problems

    assert "has not polled successfully since Tue 1 Dec 07:46" in problem.message
    assert "may have stopped" in problem.message


# --- overdue, in working days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2026, 11, 27), 1, dt.date(2026, 11, 30)),  # Friday + 1: Monday
        (dt.date(2026, 11, 27), 2, dt.date(2026, 12, 1)),
        (dt.date(2026, 11, 28), 1, dt.date(2026, 11, 30)),  # opened on a Saturday
        (dt.date(2026, 4, 2), 1, dt.date(2026, 4, 7)),  # Good Friday, Easter Monday
        (dt.date(2026, 12, 24), 1, dt.date(2026, 12, 29)),  # Christmas, Boxing Day (observed)
        (dt.date(2026, 5, 22), 1, dt.date(2026, 5, 26)),  # Spring bank holiday
        (dt.date(2026, 11, 30), 10, dt.date(2026, 12, 14)),
    ],
    ids=["fri+1", "fri+2", "sat+1", "easter", "christmas", "spring", "two-weeks"],
)
def test_working_days_skip_weekends_and_bank_holidays(
    start: dt.date, days: int, expected: dt.date
) -> None:
    assert add_working_days(start, days) == expected
    assert working_days_between(start, expected) == days


def open_case_at(
    session: Session, opened: dt.datetime, entry: Entry = ROW_MAR3, resident: str = AISHA
) -> int:
    sender = resident.split()[-1].lower() + "@example.org"
    outcome = Inbox(session).sheet(sender, [entry], at=opened, sheet_header=header(resident))
    return case_id(outcome)


def overdue_on(session: Session, config: Settings, day: dt.date) -> dict[int, set[str]]:
    """Which cases the digest at 08:00 on `day` lists as overdue, and for what."""
    morning = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
    found: dict[int, set[str]] = {}
    for line in build_digest(session, config, now=morning, since=None).overdue:
        found.setdefault(line.case.id, set()).add(line.kind)
    return found


FRIDAY = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)
THREAT = Entry("26/11/2026", "8pm", "my door", "He said he would stab me.", GARY)


def test_response_targets_count_working_days_from_the_day_a_case_opened(
    session: Session,
) -> None:
    friday = open_case_at(session, FRIDAY, resident="Ms Ann Friday")
    threat = open_case_at(session, FRIDAY, THREAT, resident="Mr Ben Threat")
    assigned = open_case_at(session, FRIDAY, resident="Mrs Cat Assigned")
    # Thursday 2 April 2026: Good Friday and Easter Monday follow.
    # Opened on an ordinary complaint; a threat arrives on Monday 30th and starts the short clock.
    eli = header("Mr Eli Later", DEAN)
    first = Inbox(session).sheet(
        "eli@example.org",
        [ROW_MUSIC],
        at=dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC),
        sheet_header=eli,
    )
    later = case_id(first)
    threatened = Entry("30/11/2026", "9pm", "landing", "He said he would stab me.", DEAN)
    again = Inbox(session).sheet(
        "eli@example.org",
        [threatened],
        at=dt.datetime(2026, 11, 30, 18, tzinfo=dt.UTC),
        sheet_header=eli,
    )
    assert again.case_ids == {later}
    easter = open_case_at(
        session, dt.datetime(2026, 4, 2, 11, tzinfo=dt.UTC), resident="Mr Dan Easter"
    )
    session.execute(update(Case).where(Case.id == assigned).values(officer_assigned="Sam Reid"))
    session.commit()
    config = settings(urgent_response_days=1, response_days=2, update_every_days=60)

    def late(day: dt.date, *cases: int) -> set[int]:
        overdue = overdue_on(session, config, day)
        return {case for case in cases if overdue.get(case) == {"response"}}

    nov = (friday, threat, assigned)
    assert late(dt.date(2026, 11, 30), *nov) == set()  # Monday: within both targets
    assert late(dt.date(2026, 12, 1), *nov) == {threat}  # threats: one working day
    assert late(dt.date(2026, 12, 2), *nov) == {friday, threat}  # others: two
    assert late(dt.date(2026, 12, 9), *nov) == {friday, threat}  # an officer stops the clock
    assert late(dt.date(2026, 4, 7), easter) == set()  # the holidays do not count
    assert late(dt.date(2026, 4, 8), easter) == set()
    assert late(dt.date(2026, 4, 9), easter) == {easter}

    wednesday = build_digest(
        session, config, now=dt.datetime(2026, 12, 2, 8, tzinfo=dt.UTC), since=None
    )
    by_case = {line.case.id: line for line in wednesday.overdue}
    assert by_case[friday].due == dt.date(2026, 12, 1)
    assert "response was due by Tue 1 Dec (2 working days)" in by_case[friday].reason
    assert "hate, violence or threats: 1 working day" in by_case[threat].reason

    # Ten working days for the complaint, but one from the threat's arrival.
    config = settings(urgent_response_days=1, response_days=10, update_every_days=60)
    assert late(dt.date(2026, 12, 1), later) == set()
    wednesday = build_digest(
        session, config, now=dt.datetime(2026, 12, 2, 8, tzinfo=dt.UTC), since=None
    )
    (reason,) = [line.reason for line in wednesday.overdue if line.case.id == later]
    assert "due by Tue 1 Dec (hate, violence or threats reported Mon 30 Nov: 1 working" in reason
    assert f"diarydesk case {friday} --assign" in by_case[friday].action


def test_an_update_is_due_every_n_working_days_after_the_last_staff_action(
    session: Session,
) -> None:
    opened = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)  # a Monday
    case = open_case_at(session, opened)
    session.execute(update(Case).where(Case.id == case).values(officer_assigned="Sam Reid"))
    config = settings(update_every_days=3)
    # The worker's own entries on the case are not staff action.
    session.add(
        AuditEntry(
            at=opened + dt.timedelta(days=2),
            actor="worker",
            action="x",
            entity="case",
            entity_id=str(case),
        )
    )
    session.commit()
    # No staff action since Monday 23rd: an update was due by Thursday 26th.
    assert overdue_on(session, config, dt.date(2026, 11, 26)).get(case, set()) == set()
    assert overdue_on(session, config, dt.date(2026, 11, 27)).get(case, set()) == {"update"}
    # A member of staff acted on Thursday 26th: the next update is due by Tuesday 1 December.
    session.add(
        AuditEntry(
            at=dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC),
            actor="cli:alice",
            action="case.assign",
            entity="case",
            entity_id=str(case),
        )
    )
    session.commit()
    assert overdue_on(session, config, dt.date(2026, 12, 1)).get(case, set()) == set()
    wednesday = build_digest(
        session, config, now=dt.datetime(2026, 12, 2, 8, tzinfo=dt.UTC), since=None
    )
    (late,) = wednesday.overdue
    assert late.kind == "update" and late.due == dt.date(2026, 12, 1)
    assert "No staff action since Thu 26 Nov" in late.reason


# --- queuing: once per slot, and `since` moves on ----------------------------------------------


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC), "2026-12-01 08:00"),
        (dt.datetime(2026, 12, 1, 7, 59, tzinfo=dt.UTC), "2026-11-30 08:00"),
        (dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC), "2026-12-01 08:00"),
        (dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), "2026-12-04 08:00"),  # Saturday
        (dt.datetime(2026, 6, 2, 7, 30, tzinfo=dt.UTC), "2026-06-02 08:00"),  # 08:30 BST
        (dt.datetime(2026, 6, 2, 6, 30, tzinfo=dt.UTC), "2026-06-01 08:00"),  # 07:30 BST
    ],
    ids=["on-time", "a-minute-early", "afternoon", "saturday", "summer-time", "summer-early"],
)
def test_the_schedule_slot_is_the_latest_firing_in_london_time(now: dt.datetime, slot: str) -> None:
    assert f"{schedule_slot(settings(), now):%Y-%m-%d %H:%M}" == slot


def alerts(session: Session) -> list[Alert]:
    return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_queuing_twice_for_one_slot_queues_once(session: Session) -> None:
    Inbox(session).sheet("aisha@example.org", [ROW_MAR3], at=NOW - dt.timedelta(hours=1))
    healthy_worker(session)

    first = queue_digest(session, settings(), now=NOW)
    session.commit()
    restarted = queue_digest(session, settings(), now=NOW + dt.timedelta(minutes=3))
    session.commit()

    assert first is not None and restarted is None
    (row,) = alerts(session)
    assert row.idempotency_key == "digest:2026-12-01:08:00"
    assert row.kind == "digest"
    assert row.payload["to"] == STAFF
    assert row.payload["subject"].startswith("[diarydesk] Digest Tue 1 Dec: 1 sheet, ")
    assert row.payload["html"] and "kicked my door" in row.payload["text"]


def test_each_digest_covers_what_came_in_since_the_last_one(session: Session) -> None:
    inbox = Inbox(session)
    healthy_worker(session)
    # History from before the first digest: the first covers only the slot before its own.
    inbox.sheet("aisha@example.org", [ROW_BUS], at=SINCE - dt.timedelta(days=7))
    inbox.sheet("aisha@example.org", [ROW_MAR3], at=NOW - dt.timedelta(hours=1))
    assert last_digest_at(session) is None
    queue_digest(session, settings(), now=NOW)
    session.commit()
    assert last_digest_at(session) == NOW
    inbox.sheet(
        "tom@example.org", [ROW_MUSIC], at=NOW + dt.timedelta(hours=2), sheet_header=TOM_HEADER
    )
    wednesday = NOW + dt.timedelta(days=1)
    healthy_worker(session, at=wednesday - dt.timedelta(minutes=1))

    queue_digest(session, settings(), now=wednesday)
    session.commit()

    first, second = alerts(session)
    assert second.idempotency_key == "digest:2026-12-02:08:00"
    assert "kicked my door" in first.payload["text"]
    assert "What was recorded since Mon 30 Nov 08:00." in first.payload["text"]
    assert first.payload["subject"].startswith("[diarydesk] Digest Tue 1 Dec: 1 sheet, 1 new ")
    assert "Loud music" in second.payload["text"]
    assert "kicked my door" not in second.payload["text"]
    assert "What was recorded since Tue 1 Dec 08:00." in second.payload["text"]
    assert last_digest_at(session) == wednesday


def test_an_empty_day_is_skipped_when_configured_unless_the_worker_is_failing(
    session: Session,
) -> None:
    quiet = settings(send_when_empty=False)
    healthy_worker(session)

    assert queue_digest(session, quiet, now=NOW) is None
    assert alerts(session) == [] and session.get(KeyValue, LAST_AT_KEY) is None

    worker_state.record_failure(session, MAILBOX, now=NOW, error="connection refused")
    row = queue_digest(session, quiet, now=NOW)
    assert row is not None and "nothing new" in row.payload["subject"]
    assert "mailbox worker failing" in row.payload["subject"]


def test_the_digest_goes_to_the_staff_list_with_both_alternatives(
    session: Session, smtp_server: SmtpServer
) -> None:
    Inbox(session).sheet("aisha@example.org", [ROW_MAR3, ROW_BUS], at=NOW - dt.timedelta(hours=1))
    healthy_worker(session)
    config = smtp_settings(smtp_server, digest={"recipients": STAFF})
    queue_digest(session, config, now=NOW)
    session.commit()

    report = send_due(session, transport_for(config.mail_out), config, now=NOW)

    assert report.sent == 1
    (received,) = smtp_server.envelopes
    assert sorted(received.rcpt_tos) == sorted(STAFF)
    message = received.message()
    assert message["Subject"] == (
        "[diarydesk] Digest Tue 1 Dec: 1 sheet, 2 new incidents, 0 need review"
    )
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Mon 23 Nov 2026" in text.get_content()
    assert "Mon 23 Nov 2026" in html.get_content()


# --- the command ------------------------------------------------------------------------------


def config_file(tmp_path: Path, **sections: dict[str, Any]) -> Path:
    """A config.toml with these sections (JSON strings, lists and numbers are valid TOML)."""
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_preview_writes_html_and_text_and_queues_nothing(
    session: Session, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Inbox(session).sheet("aisha@example.org", [ROW_MAR3], at=dt.datetime.now(dt.UTC))
    database = {"url": database_url(engine)}
    config = config_file(tmp_path, database=database, digest={"recipients": STAFF})
    out = tmp_path / "preview" / "digest.html"
    out.parent.mkdir()

    assert main(["--config", str(config), "digest", "--preview", str(out)]) == 0

    html = out.read_text(encoding="utf-8")
    assert "Mon 23 Nov 2026" in html
    # No worker has ever reported: silence is not health.
    assert "The mailbox worker has not polled successfully yet" in html
    assert "kicked my door" in (tmp_path / "preview" / "digest.txt").read_text(encoding="utf-8")
    assert "wrote" in capsys.readouterr().out
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Alert)) == 0
    # Sending needs somewhere to send it.
    nobody = config_file(tmp_path, database=database)
    assert main(["--config", str(nobody), "digest", "--send"]) == 1
    assert "digest.recipients is empty" in capsys.readouterr().err


def test_send_queues_the_slot_once_and_delivers_it(
    session: Session,
    engine: Engine,
    smtp_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Inbox(session).sheet("aisha@example.org", [ROW_MAR3], at=dt.datetime.now(dt.UTC))
    session.close()
    config = config_file(
        tmp_path,
        database={"url": database_url(engine)},
        # Yearly, so the two runs below cannot fall either side of a slot boundary.
        digest={"recipients": STAFF, "schedule": "0 0 1 1 *"},
        mail_out={
            "kind": "smtp",
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": "none",
            "auth": "none",
        },
    )

    assert main(["--config", str(config), "digest", "--send"]) == 0
    assert main(["--config", str(config), "digest", "--send"]) == 0

    out = capsys.readouterr().out
    assert "queued digest:" in out and "was queued before" in out
    (received,) = smtp_server.envelopes
    assert sorted(received.rcpt_tos) == sorted(STAFF)
    assert "kicked my door" in str(received.message().get_body(("plain",)))
