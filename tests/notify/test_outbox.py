"""Delivery from the outbox: a real SMTP server that goes down, refuses and comes back; TLS and
login; the .eml folder. Time moves by the `now` each call is given, never by sleeping."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ingest.config import Settings
from notify.outbox import SendReport, backoff, build_message, list_outbox, send_due
from notify.queue import enqueue, message_id_for
from notify.transport import (
    DeliveryError,
    OutboxTransport,
    SmtpTransport,
    TransportConfigError,
    transport_for,
)
from store.db import session_factory
from store.enums import AlertState
from store.models import Alert
from tests.notify import NOW, ROWS, record, settings, smtp_settings
from tests.smtp_fixture import ServerFactory, SmtpServer, TlsFiles

MINUTE = dt.timedelta(minutes=1)


def queue(session: Session, n: int, *, now: dt.datetime = NOW) -> list[Alert]:
    """`n` finished emails in the outbox, as the alert and digest code leaves them."""
    rows = []
    for i in range(n):
        row = enqueue(
            session,
            key=f"test:{i}",
            kind="test",
            to=["duty.officer@asb.example.org"],
            subject=f"[diarydesk] test alert {i}",
            text=f"plain text {i}",
            html=f"<p>html {i}</p>",
            now=now,
        )
        assert row is not None
        rows.append(row)
    session.commit()
    return rows


def states(session: Session) -> list[tuple[AlertState, int, dt.datetime | None]]:
    session.expire_all()
    alerts = session.scalars(select(Alert).order_by(Alert.id))
    return [(a.state, a.attempts, a.next_attempt_at) for a in alerts]


def smtp(server: SmtpServer, config: Settings) -> SmtpTransport:
    return SmtpTransport(config.mail_out)


def test_while_smtp_is_down_alerts_wait_and_then_go_out_exactly_once(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server, alerts={"retry_initial": "1m", "retry_max": "5m"})
    transport = transport_for(config.mail_out)
    queue(session, 3)
    smtp_server.down()  # 421 to every MAIL FROM

    assert send_due(session, transport, config, now=NOW) == SendReport(retrying=3)
    assert states(session) == [(AlertState.PENDING, 1, NOW + MINUTE)] * 3
    assert send_due(session, transport, config, now=NOW + 30 * dt.timedelta(seconds=1)) == (
        SendReport()  # not due yet: nobody knocks on the server
    )
    later = NOW + MINUTE
    assert send_due(session, transport, config, now=later).retrying == 3
    assert states(session) == [(AlertState.PENDING, 2, later + 2 * MINUTE)] * 3
    for _ in range(3, 6):
        later = states(session)[0][2] or NOW
        send_due(session, transport, config, now=later)
    # Doubling stopped at retry_max.
    assert states(session) == [(AlertState.PENDING, 5, later + 5 * MINUTE)] * 3
    [alert] = session.scalars(select(Alert).where(Alert.idempotency_key == "test:0"))
    assert "421" in (alert.last_error or "")
    assert smtp_server.envelopes == []

    smtp_server.up()
    assert send_due(session, transport, config, now=later) == SendReport()  # still waiting
    back = later + 5 * MINUTE
    assert send_due(session, transport, config, now=back) == SendReport(sent=3)
    assert send_due(session, transport, config, now=back + 60 * MINUTE) == SendReport()
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert sorted(ids) == sorted(message_id_for(f"test:{i}") for i in range(3))
    assert [state for state, _, _ in states(session)] == [AlertState.SENT] * 3


def test_a_server_that_is_gone_and_comes_back_on_the_same_port(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    transport = transport_for(config.mail_out)
    queue(session, 2)
    smtp_server.stop()
    assert send_due(session, transport, config, now=NOW) == SendReport(retrying=2)
    [alert, _] = session.scalars(select(Alert).order_by(Alert.id))
    assert "could not reach the SMTP server" in (alert.last_error or "")
    smtp_server.start()
    assert send_due(session, transport, config, now=NOW + MINUTE) == SendReport(sent=2)
    assert len(smtp_server.messages) == 2


def test_a_451_for_one_message_is_retried_without_holding_up_the_rest(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    queue(session, 2)
    smtp_server.refuse("451 4.7.1 Greylisted, try again later", stage="data")
    assert send_due(session, smtp(smtp_server, config), config, now=NOW) == SendReport(retrying=2)
    smtp_server.up()
    assert send_due(session, smtp(smtp_server, config), config, now=NOW + MINUTE).sent == 2


def test_a_permanent_refusal_is_failed_listed_and_can_be_retried(
    session: Session, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    [alert] = queue(session, 1)
    smtp_server.refuse("550 5.1.1 No such user here", stage="rcpt")
    assert send_due(session, smtp(smtp_server, config), config, now=NOW) == SendReport(failed=1)
    assert send_due(session, smtp(smtp_server, config), config, now=NOW + 600 * MINUTE) == (
        SendReport()  # never retried by itself: the server said no for good
    )
    [listed] = list_outbox(session)
    assert listed["id"] == alert.id and listed["state"] == "failed"
    assert "550" in listed["last_error"] and listed["subject"] == "[diarydesk] test alert 0"
    assert list_outbox(session, state=AlertState.PENDING) == []


def test_backoff_doubles_from_retry_initial_up_to_retry_max() -> None:
    config = settings(alerts={"retry_initial": "30s", "retry_max": "1h"})
    waits = [backoff(n, config).total_seconds() for n in (1, 2, 3, 4, 8, 1000)]
    assert waits == [30, 60, 120, 240, 3600, 3600]


def test_the_built_email_is_multipart_with_a_stable_message_id(session: Session) -> None:
    config = settings(mail_out={"from": "diarydesk@asb.example.org"})
    [alert] = queue(session, 1)
    first, second = build_message(alert, config), build_message(alert, config)
    # A resend is the same email: same headers, same parts (only the MIME boundary differs).
    headers = [(k, v) for k, v in first.items() if k != "Content-Type"]
    assert headers == [(k, v) for k, v in second.items() if k != "Content-Type"]
    assert [p.get_content() for p in first.iter_parts()] == [
        p.get_content() for p in second.iter_parts()
    ]
    assert first["Message-ID"] == message_id_for("test:0")
    assert first["From"] == "diarydesk@asb.example.org"
    assert first["Date"] and first["Auto-Submitted"] == "auto-generated"
    assert [p.get_content_type() for p in first.iter_parts()] == ["text/plain", "text/html"]


# --- the .eml folder ------------------------------------------------------------------------


def parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_outbox_folder_gets_one_eml_per_alert(session: Session, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    config = settings(
        mail_out={"kind": "outbox", "outbox_dir": str(outbox)},
        alerts={"officers": ["duty.officer@asb.example.org"]},
    )
    _, alerts = record(session, config, ROWS[:2], n=1)
    queue(session, 2)
    transport = transport_for(config.mail_out)
    assert isinstance(transport, OutboxTransport)
    assert send_due(session, transport, config, now=NOW) == SendReport(sent=3)

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3
    assert list(outbox.iterdir()) == files or not [p for p in outbox.iterdir() if p not in files]
    messages = {parse(path)["Message-ID"]: parse(path) for path in files}
    threshold = messages[message_id_for(alerts[0].idempotency_key)]
    assert "course-of-conduct" in threshold["Subject"]
    assert threshold.get_body(preferencelist=("html",)) is not None

    # A resend after a crash (same Message-ID) replaces its file rather than adding one.
    alert = session.get(Alert, alerts[0].id)
    assert alert is not None
    transport.send(build_message(alert, config))
    assert sorted(outbox.glob("*.eml")) == files
    assert not [p for p in outbox.iterdir() if p.suffix != ".eml"]  # no temporary left over


def test_an_unwritable_outbox_folder_is_a_transient_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(DeliveryError, match=r"mail_out\.outbox_dir") as caught:
        OutboxTransport(blocker / "outbox").send(plain_message())
    assert caught.value.transient and caught.value.server_wide


# --- TLS and login --------------------------------------------------------------------------


def plain_message(subject: str = "[diarydesk] test") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = "diarydesk@asb.example.org", "duty.officer@asb.example.org"
    message["Subject"], message["Message-ID"] = subject, message_id_for(subject)
    message.set_content("plain text")
    return message


def login_settings(server: SmtpServer, **mail_out: str) -> Settings:
    return smtp_settings(
        server,
        mail_out={
            "host": "localhost",
            "security": "starttls",
            "auth": "password",
            "username": "diarydesk",
            "password_env": "DIARYDESK_TEST_SMTP_PASSWORD",
            **mail_out,
        },
    )


def test_starttls_and_login_with_the_password_from_the_environment(
    make_smtp_server: ServerFactory, smtp_tls: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_smtp_server(security="starttls", users={"diarydesk": "s3cret pass"})
    monkeypatch.setenv("DIARYDESK_TEST_SMTP_PASSWORD", "s3cret pass")
    config = login_settings(server)
    SmtpTransport(config.mail_out, ssl_context=smtp_tls.client_context()).send(plain_message())
    [received] = server.envelopes
    assert received.login == "diarydesk"
    assert received.message()["Subject"] == "[diarydesk] test"


def test_a_wrong_or_missing_password_is_retried_not_failed(
    make_smtp_server: ServerFactory, smtp_tls: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every alert would fail alike, and all of them go out once the password is fixed.
    server = make_smtp_server(security="starttls", users={"diarydesk": "right"})
    transport = SmtpTransport(login_settings(server).mail_out, smtp_tls.client_context())
    monkeypatch.setenv("DIARYDESK_TEST_SMTP_PASSWORD", "wrong")
    with pytest.raises(DeliveryError, match="refused the login") as wrong:
        transport.send(plain_message())
    monkeypatch.delenv("DIARYDESK_TEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match="DIARYDESK_TEST_SMTP_PASSWORD") as missing:
        transport.send(plain_message())
    for caught in (wrong, missing):
        assert caught.value.transient and caught.value.server_wide
    monkeypatch.setenv("DIARYDESK_TEST_SMTP_PASSWORD", "right")
    transport.send(plain_message())
    assert len(server.envelopes) == 1


def test_implicit_tls_with_an_xoauth2_token(
    make_smtp_server: ServerFactory, smtp_tls: TlsFiles
) -> None:
    server = make_smtp_server(security="tls", oauth_tokens=frozenset({"token-123"}))
    config = login_settings(
        server,
        host="127.0.0.1",
        security="tls",
        auth="xoauth2",
        username="alerts@asb.example.org",
        token_command="echo token-123",
    )
    SmtpTransport(config.mail_out, ssl_context=smtp_tls.client_context()).send(plain_message())
    assert server.envelopes[0].login == "alerts@asb.example.org"
    wrong = login_settings(server, security="tls", auth="xoauth2", token_command="echo nope")
    with pytest.raises(DeliveryError, match="refused the login"):
        SmtpTransport(wrong.mail_out, ssl_context=smtp_tls.client_context()).send(plain_message())


def test_an_untrusted_certificate_is_refused(make_smtp_server: ServerFactory) -> None:
    server = make_smtp_server(security="starttls")
    config = login_settings(server, auth="none")
    # The system trust store does not know the test certificate.
    with pytest.raises(DeliveryError, match="not trusted"):
        SmtpTransport(config.mail_out).send(plain_message())
    assert server.envelopes == []


@pytest.mark.parametrize(
    ("mail_out", "complaint"),
    [
        ({"host": "smtp.example.org", "security": "none", "auth": "none"}, "clear text"),
        ({"host": "", "auth": "none"}, "mail_out.host is empty"),
        ({"host": "smtp.example.org", "username": ""}, "mail_out.username is empty"),
    ],
)
def test_mail_out_settings_that_cannot_work_are_refused_up_front(
    mail_out: dict[str, str], complaint: str
) -> None:
    config = settings(mail_out={"kind": "smtp", **mail_out})
    with pytest.raises(TransportConfigError, match=complaint):
        transport_for(config.mail_out)


# --- two senders at once --------------------------------------------------------------------


class _Racing:
    """A transport that, while sending, lets a second worker run a whole `send_due`."""

    def __init__(self, server: SmtpServer, config: Settings, other: Callable[[], None]) -> None:
        self.inner = SmtpTransport(config.mail_out)
        self.other: Callable[[], None] | None = other

    def send(self, message: EmailMessage) -> None:
        if self.other is not None:
            other, self.other = self.other, None
            other()
        self.inner.send(message)


def test_a_second_worker_never_sends_the_alert_the_first_is_sending(
    session: Session, engine: Engine, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    queue(session, 3)
    reports: list[SendReport] = []

    def second_worker() -> None:
        with session_factory(engine)() as other:
            reports.append(send_due(other, smtp(smtp_server, config), config, now=NOW))

    first = send_due(session, _Racing(smtp_server, config, second_worker), config, now=NOW)
    # The second worker took the two alerts the first had not claimed yet.
    assert reports == [SendReport(sent=2)]
    assert first == SendReport(sent=1)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert sorted(ids) == sorted(message_id_for(f"test:{i}") for i in range(3))


def test_two_workers_in_threads_send_each_alert_once(
    session: Session, engine: Engine, smtp_server: SmtpServer
) -> None:
    config = smtp_settings(smtp_server)
    queue(session, 12)
    start = threading.Barrier(2)
    reports: list[SendReport] = []

    def worker() -> None:
        with session_factory(engine)() as own:
            start.wait()
            reports.append(send_due(own, smtp(smtp_server, config), config, now=NOW))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 12
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) == 12
