"""Alerts from the officer's side: which sheets raise one, who receives it, what it says.

Sheets are built and parsed for real, recorded as the worker records an email, and the alerts
go out through a real SMTP server (aiosmtpd) on a loopback port. Every test that touches the
database runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest import alert_commands
from ingest.config import Settings
from notify.acknowledge import queue_acknowledgement, reply_address
from notify.alerts import (
    NO_OFFICERS,
    AlertKind,
    officers_for,
    postcode_in,
    postcode_matches,
    queue_worker_failing,
)
from notify.outbox import SendReport, send_due
from notify.queue import message_id_for
from notify.transport import transport_for
from parsers.template import Entry
from store.enums import AlertState
from store.models import Alert
from store.worker_state import PollCounts, WorkerState, record_failure, record_success
from tests.notify import (
    NOW,
    PERSON,
    RESIDENT,
    ROWS,
    header,
    message_id,
    record,
    settings,
    smtp_settings,
)
from tests.smtp_fixture import SmtpServer

STAB = Entry("10/03/2026", "8pm", "on the stairs", "He said he would stab me.", PERSON)


def send(session: Session, config: Settings, now: dt.datetime = NOW) -> SendReport:
    return send_due(session, transport_for(config.mail_out), config, now=now)


def alerts_of(session: Session, kind: AlertKind) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_type() == f"text/{subtype}"
    content: str = part.get_content()
    return content


# --- which sheets alert -----------------------------------------------------------------------


def test_second_incident_by_the_same_person_alerts_once_and_only_once(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    _, first = record(session, config, ROWS[:1], n=1)
    assert first == []  # one incident: no course of conduct yet

    outcome, second = record(session, config, ROWS[:2], n=2)  # the diary resent, one row more
    assert [a.kind for a in second] == [AlertKind.THRESHOLD]
    case_id = outcome.crossings[0].case_id
    assert second[0].idempotency_key == f"threshold:course_of_conduct:{case_id}"

    _, again = record(session, config, ROWS[:2], n=3)  # the same sheet in another email
    # A third incident, reported months after it happened: not a qualifying complaint, so no
    # community trigger either; the case has met its threshold already.
    late = Entry("20/11/2025", "7pm", "car park", "He blocked my car in.", PERSON)
    _, third = record(session, config, [*ROWS[:2], late], n=4)
    assert again == [] and third == []

    assert send(session, config) == SendReport(sent=1, retrying=0, failed=0)
    assert send(session, config) == SendReport()
    [message] = smtp_server.messages
    assert message["Subject"] == (
        f"[diarydesk] Case {case_id}: minimum course-of-conduct count met — officer review"
    )
    assert len(alerts_of(session, AlertKind.THRESHOLD)) == 1


def test_an_urgent_incident_alerts_at_once_even_as_the_first(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    outcome, queued = record(session, config, [STAB], n=1)
    assert outcome.crossings == []
    [alert] = queued
    assert alert.kind == AlertKind.URGENT
    assert alert.idempotency_key == f"urgent:{outcome.new_incident_ids[0]}"

    assert send(session, config).sent == 1
    [message] = smtp_server.messages
    case_id = alert.case_id
    assert message["Subject"] == (
        f"[diarydesk] URGENT: Case {case_id} — threat of violence reported"
    )
    text = body(message, "plain")
    assert "If a resident is in immediate danger they should call 999; non-emergencies 101." in text
    assert "He said he would stab me." in text
    assert "Tue 10 March 2026, 20:00" in text
    assert "immediate danger" in body(message, "html")

    # The same sheet again: the incident is not new, so nothing more is queued.
    _, again = record(session, config, [STAB], n=2)
    assert again == []


def test_urgent_and_threshold_on_one_sheet_send_the_urgent_alert_first(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    _, queued = record(session, config, [*ROWS[:1], STAB], n=1)
    assert [a.kind for a in queued] == [AlertKind.URGENT, AlertKind.THRESHOLD]
    send(session, config)
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert "URGENT" in subjects[0] and "course-of-conduct" in subjects[1]


# --- who receives it ------------------------------------------------------------------------


ROUTES = [
    {"postcode_prefix": "M14", "officers": ["m14.officer@asb.example.org"]},
    {"postcode_prefix": "m1", "officers": ["m1.officer@asb.example.org"]},
    {"area": "Moss Side", "officers": ["moss.side@asb.example.org"]},
]


def test_alerts_go_to_the_route_matching_the_residents_postcode_or_area(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server, alerts={"routes": ROUTES})
    residents = {
        "m1.officer@asb.example.org": ("Mrs A", "14 Elm Road, Manchester M1 2AB"),
        "m14.officer@asb.example.org": ("Mr B", "3 Oak Street, Manchester m14 5xy"),
        "moss.side@asb.example.org": ("Ms C", "9 Alexandra Road, Moss Side, Manchester"),
        "duty.officer@asb.example.org": ("Mr D", "1 High Street, Leicester LE1 1AA"),
    }
    for n, (name, address) in enumerate(residents.values(), start=1):
        # One of them urgent, about someone else: urgent alerts are routed the same way.
        other = n == 2
        sheet = header(name=name, address=address, subject="Wayne Tolley" if other else PERSON)
        rows = [Entry(STAB.date, STAB.time, STAB.where, STAB.what, "Wayne Tolley")]
        record(
            session,
            config,
            rows if other else ROWS[:2],
            n=n,
            sender=f"r{n}@example.org",
            sheet_header=sheet,
        )
    assert send(session, config).sent == len(residents)
    received = {e.rcpt_tos: e for e in smtp_server.envelopes}
    assert sorted(received) == sorted((officer,) for officer in residents)
    for officer, (name, _) in residents.items():
        message = received[(officer,)].message()
        assert message["To"] == officer
        assert name in body(message, "plain")
        assert received[(officer,)].mail_from == "diarydesk@asb.example.org"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("14 Elm Road, Manchester M1 2AB", ["m1.officer@asb.example.org"]),
        ("3 Oak Street, Manchester m14 5xy", ["m14.officer@asb.example.org"]),
        ("9 Alexandra Road, MOSS SIDE", ["moss.side@asb.example.org"]),
        ("1 High Street, Leicester LE1 1AA", ["duty.officer@asb.example.org"]),
        (None, ["duty.officer@asb.example.org"]),
    ],
    ids=["M1", "M14-not-M1", "area", "default", "no-address"],
)
def test_the_first_matching_route_wins(address: str | None, expected: list[str]) -> None:
    config = settings(alerts={"officers": ["duty.officer@asb.example.org"], "routes": ROUTES})
    assert officers_for(address, config) == expected


@pytest.mark.parametrize(
    ("prefix", "postcode", "matches"),
    [
        ("M1", "M1 2AB", True),
        ("M1", "M14 5XY", False),
        ("M14", "M14 5XY", True),
        ("M", "M14 5XY", True),
        ("M", "MK1 1AA", False),
        ("W1", "W1A 1AA", True),
        ("M14 5", "M14 5XY", True),
        ("M14 5", "M14 6XY", False),
        ("m145xy", "M14 5XY", True),
        ("", "M1 2AB", False),
    ],
)
def test_postcode_prefixes_end_on_a_boundary(prefix: str, postcode: str, matches: bool) -> None:
    assert postcode_matches(prefix, postcode) is matches


def test_the_postcode_is_found_wherever_it_sits_in_the_address() -> None:
    assert postcode_in("Flat 2B, 14 Elm Road, Melton LE13 0AB") == "LE13 0AB"
    assert postcode_in("14 Elm Road\nManchester\nm142ab") == "M14 2AB"
    assert postcode_in("14 Elm Road, Melton") is None
    assert postcode_in(None) is None


def test_with_no_officers_configured_the_alert_is_kept_as_failed_and_can_be_retried(
    session: Session,
    smtp_server: SmtpServer,
    db_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nobody = smtp_settings(smtp_server, alerts={"officers": []}, database={"url": db_url})
    with caplog.at_level(logging.INFO):
        _, [alert] = record(session, nobody, ROWS[:2], n=1)
    assert alert.state == AlertState.FAILED
    assert alert.last_error == NO_OFFICERS
    assert "alerts.officers" in caplog.text
    assert RESIDENT not in caplog.text and PERSON not in caplog.text
    assert send(session, nobody) == SendReport()

    # What an administrator sees, and does once the config names an officer.
    assert run_alerts(nobody) == 0
    listing = capsys.readouterr().out
    assert f"#{alert.id}" in listing and "failed" in listing and NO_OFFICERS in listing
    fixed = smtp_settings(smtp_server, database={"url": db_url})
    assert run_alerts(fixed, "--retry", str(alert.id)) == 0
    assert run_alerts(fixed, "--retry", str(alert.id)) == 1  # pending now, not failed
    assert "only failed alerts can be retried" in capsys.readouterr().err
    # Requeued as due at the wall-clock time the command ran.
    assert send(session, fixed, now=dt.datetime.now(dt.UTC)).sent == 1
    assert smtp_server.envelopes[0].rcpt_tos == ("duty.officer@asb.example.org",)


def run_alerts(config: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="diarydesk")
    handlers = alert_commands.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["alerts", *argv])
    return handlers["alerts"](args, config)


# --- what it says ---------------------------------------------------------------------------


def test_the_threshold_email_says_what_an_officer_needs_and_no_names_in_the_subject(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    _, [alert] = record(session, config, ROWS[:2], n=1)
    send(session, config)
    [message] = smtp_server.messages

    subject = message["Subject"]
    for name in (RESIDENT, "Patel", PERSON, "Hollis", "Elm Road"):
        assert name not in subject
    assert message["Message-ID"] == message_id_for(alert.idempotency_key)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]

    for content in (body(message, "plain"), body(message, "html")):
        assert RESIDENT in content and PERSON in content
        assert "Tue 3 March 2026, 22:30" in content and "Fri 6 March 2026, 09:15" in content
        assert "3 days after the previous one" in content
        assert "He shouted abuse at me and kicked my door." in content
        assert "43260012345" in content
        assert "PC Dan Whitlock, collar number 2231" in content
        assert "minimum course-of-conduct count met — officer review" in content
        assert "2 incidents" in content  # the rule's own reasons
        assert f"diarydesk case {alert.case_id}" in content
        assert "no police reference yet" not in content
    html = body(message, "html")
    for forbidden in ("<script", "<img", "href=", "<link", "url("):
        assert forbidden not in html


def test_a_case_with_no_police_reference_says_so(session: Session, smtp_server: SmtpServer) -> None:
    config = smtp_settings(smtp_server)
    record(session, config, ROWS[:2], n=1, sheet_header=header(reference="", officer=""))
    send(session, config)
    [message] = smtp_server.messages
    for content in (body(message, "plain"), body(message, "html")):
        assert "no police reference yet: ask the resident for it" in content


def test_descriptions_are_left_out_when_the_config_says_so(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server, alerts={"include_descriptions": False})
    record(session, config, [*ROWS[:2], STAB], n=1)
    send(session, config)
    # The urgent alert, and both thresholds: three complaints within the month meet the
    # community trigger as well as the course of conduct.
    assert len(smtp_server.messages) == 3
    for message in smtp_server.messages:
        for content in (body(message, "plain"), body(message, "html")):
            for row in (*ROWS[:2], STAB):
                assert row.what not in content
            assert "outside my door" not in content and "on the stairs" not in content
            assert "Tue 3 March 2026" in content or "Tue 10 March 2026" in content


def test_what_a_resident_wrote_is_escaped_in_the_html(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    hostile = [
        Entry("03/03/2026", "10pm", "door", "He shouted <script>alert(1)</script> at me", PERSON),
        Entry("05/03/2026", "10pm", "door", 'He shouted again <img src="http://x/y">', PERSON),
    ]
    record(session, config, hostile, n=1, sheet_header=header(name="Mrs <b>Bold</b> Patel"))
    send(session, config)
    html = body(smtp_server.messages[0], "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<img" not in html and "<b>Bold" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html


# --- the resident's acknowledgement ---------------------------------------------------------


def test_acknowledgements_are_off_by_default(session: Session) -> None:
    config = settings()
    outcome, _ = record(session, config, ROWS[:2], n=1)
    assert outcome.message_pk is not None
    assert (
        queue_acknowledgement(
            session,
            message_pk=outcome.message_pk,
            sender="aisha@example.org",
            outcome=outcome,
            settings=config,
            now=NOW,
        )
        is None
    )


def test_the_acknowledgement_goes_to_the_sender_with_counts_and_case_but_no_details(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server, acknowledgement={"enabled": True})
    sender = "Aisha Patel <aisha@example.org>"
    outcome, _ = record(session, config, ROWS[:2], n=1, sender=sender)
    assert outcome.message_pk is not None
    ack = queue_acknowledgement(
        session,
        message_pk=outcome.message_pk,
        sender=sender,
        outcome=outcome,
        settings=config,
        now=NOW,
    )
    session.commit()
    assert ack is not None and ack.idempotency_key == f"ack:{outcome.message_pk}"
    again = queue_acknowledgement(
        session,
        message_pk=outcome.message_pk,
        sender=sender,
        outcome=outcome,
        settings=config,
        now=NOW,
    )
    assert again is None

    send(session, config)
    [resident, officers] = sorted(smtp_server.envelopes, key=lambda e: e.rcpt_tos)
    assert officers.rcpt_tos == ("duty.officer@asb.example.org",)
    assert resident.rcpt_tos == ("aisha@example.org",)
    message = resident.message()
    [case_id] = outcome.case_ids
    assert message["In-Reply-To"] == message_id(1)
    assert str(case_id) in message["Subject"]
    for content in (body(message, "plain"), body(message, "html")):
        assert "2 new incidents" in content
        assert f"Your case reference: {case_id}" in content or str(case_id) in content
        assert "999" in content and "101" in content
        for secret in (PERSON, "Hollis", "Gary", *(row.what for row in ROWS), "bus stop"):
            assert secret not in content


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("Aisha Patel <aisha@example.org>", "aisha@example.org"),
        (None, None),
        ("", None),
        ("not an address", None),
        ("MAILER-DAEMON@example.org", None),
        ("no-reply@example.org", None),
        ("diarydesk@asb.example.org", None),  # ourselves: never a loop
    ],
)
def test_acknowledgements_answer_people_not_machines(
    sender: str | None, expected: str | None
) -> None:
    config = settings(mail_out={"from": "diarydesk@asb.example.org"})
    assert reply_address(sender, config) == expected


def test_no_acknowledgement_without_a_sender(session: Session) -> None:
    config = settings(acknowledgement={"enabled": True})
    outcome, _ = record(session, config, ROWS[:1], n=1)
    assert outcome.message_pk is not None
    ack = queue_acknowledgement(
        session,
        message_pk=outcome.message_pk,
        sender=None,
        outcome=outcome,
        settings=config,
        now=NOW,
    )
    assert ack is None


# --- the operational alert ------------------------------------------------------------------


def fail(session: Session, times: int, start: dt.datetime) -> WorkerState:
    state = WorkerState("asb@example.org")
    for i in range(times):
        state = record_failure(
            session,
            "asb@example.org",
            now=start + dt.timedelta(minutes=5 * i),
            error="IMAP login refused (message 17 not fetched)",
        )
    return state


def test_a_failing_worker_alerts_the_admin_once_per_outage(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(
        smtp_server, worker={"admin": ["it@asb.example.org"], "failed_polls_before_alert": 3}
    )
    record_success(session, "asb@example.org", now=NOW, counts=PollCounts())
    state = fail(session, 2, NOW + dt.timedelta(minutes=5))
    assert queue_worker_failing(session, state, config, now=NOW) is None  # not yet

    state = fail(session, 1, NOW + dt.timedelta(minutes=15))
    first = queue_worker_failing(session, state, config, now=NOW)
    assert first is not None and first.kind == AlertKind.WORKER_FAILING
    state = fail(session, 4, NOW + dt.timedelta(minutes=20))  # the same outage goes on
    assert queue_worker_failing(session, state, config, now=NOW) is None

    record_success(session, "asb@example.org", now=NOW + dt.timedelta(hours=2), counts=PollCounts())
    state = fail(session, 3, NOW + dt.timedelta(hours=3))  # a new outage
    second = queue_worker_failing(session, state, config, now=NOW)
    assert second is not None and second.idempotency_key != first.idempotency_key
    session.commit()

    assert send(session, config).sent == 2
    message = smtp_server.messages[0]
    assert smtp_server.envelopes[0].rcpt_tos == ("it@asb.example.org",)
    assert message["Subject"] == (
        "[diarydesk] Worker failing: mailbox asb@example.org — 3 polls in a row"
    )
    text = body(message, "plain")
    assert "IMAP login refused (message 17 not fetched)" in text
    assert "20 March 2026 09:00 UTC" in text  # the last good poll: failing since then
    assert "Failures in a row: 3" in text


def test_no_admin_configured_means_no_operational_alert() -> None:
    state = WorkerState("asb@example.org", consecutive_failures=5, last_error="refused")
    assert queue_worker_failing(Session(), state, settings(), now=NOW) is None
