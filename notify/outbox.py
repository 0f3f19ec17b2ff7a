"""Send what the `alerts` table holds: each due alert once, retried with backoff, never dropped.

Each alert takes two short transactions of its own, committed by `send_due`:

1. the claim: one `UPDATE ... RETURNING` moves the oldest due alert's `next_attempt_at` past a
   lease, committed before anything is sent. On PostgreSQL the row is picked with
   `FOR UPDATE SKIP LOCKED`, so two workers claiming at once take different alerts; on SQLite
   (which has one writer at a time, and where the clause does not exist) the single statement
   does the same. A second worker then sees the alert as not due and leaves it alone, and no
   transaction stays open while the mail server takes its time.
2. the outcome: SENT with `sent_at`, or one more attempt and the backoff, or FAILED.

So a crash can at worst send one alert twice (after the lease ends, with the same Message-ID,
which mail clients fold into one), and never lose one: a claimed alert that was never marked is
due again when its lease ends. Pass `send_due` a session from `store.db.session_factory` (rows
stay loaded after commit) with nothing pending: it commits.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ingest.config import Settings, seconds
from notify.alerts import recipients_for_alert
from notify.transport import DeliveryError, Transport
from store.enums import AlertState
from store.models import Alert

log = logging.getLogger(__name__)

# Alerts handled per call, so one call never holds the worker for long; the rest wait a cycle.
DEFAULT_BATCH = 50
# A send is a connection, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA and QUIT: at most ten
# waits of `read_timeout_s` each.
LEASE_STEPS = 10
NO_RECIPIENTS = "no recipients: the alert was queued before any were configured"


class OutboxError(Exception):
    """An outbox command cannot do what was asked (the message says why and what to do)."""


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int, settings: Settings) -> dt.timedelta:
    """The wait after the `attempts`-th failure: retry_initial, doubling, capped at retry_max."""
    initial = seconds(settings.alerts.retry_initial)
    ceiling = seconds(settings.alerts.retry_max)
    # Capping the exponent first keeps 2**n small however long the outage lasts.
    delay = initial * 2 ** min(max(attempts - 1, 0), 32)
    return dt.timedelta(seconds=min(delay, ceiling))


def build_message(alert: Alert, settings: Settings) -> EmailMessage:
    """The email an alert row describes; the same row always gives the same message."""
    payload: dict[str, Any] = alert.payload
    message = EmailMessage()
    message["From"] = settings.mail_out.from_
    message["To"] = ", ".join(payload["to"])
    message["Subject"] = payload["subject"]
    # The time the alert was raised, not the time of this attempt: a resend is the same email.
    message["Date"] = email.utils.format_datetime(alert.created_at.astimezone(dt.UTC))
    if alert.message_id_header:
        message["Message-ID"] = alert.message_id_header
    in_reply_to = payload.get("in_reply_to")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    # No out-of-office or vacation replies back to the alert address (RFC 3834; Exchange).
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message


def claim_lease(settings: Settings) -> dt.timedelta:
    """How long a claimed alert is left to its sender: longer than any one send can take
    (smtplib gives up after `read_timeout_s` of silence at each of a handful of steps)."""
    mail_out = settings.mail_out
    return dt.timedelta(seconds=mail_out.connect_timeout_s + LEASE_STEPS * mail_out.read_timeout_s)


def _claim(session: Session, settings: Settings, now: dt.datetime) -> Alert | None:
    """The oldest due alert, claimed for this sender; None when none is due. The caller
    commits the claim before sending."""
    due = (Alert.state == AlertState.PENDING, Alert.next_attempt_at <= now)
    oldest = (
        select(Alert.id)
        .where(*due)
        .order_by(Alert.next_attempt_at, Alert.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = session.execute(
        update(Alert)
        .where(Alert.id == oldest, *due)
        .values(next_attempt_at=now + claim_lease(settings))
        .returning(Alert.id),
        execution_options={"synchronize_session": False},
    ).scalar()
    if claimed is None:
        return None
    return session.scalars(
        select(Alert).where(Alert.id == claimed).execution_options(populate_existing=True)
    ).one()


def _has_to(alert: Alert) -> bool:
    return bool(alert.payload.get("to"))


def _retry_later(alert: Alert, error: DeliveryError, settings: Settings, now: dt.datetime) -> None:
    alert.attempts += 1
    alert.last_error = str(error)
    alert.next_attempt_at = now + backoff(alert.attempts, settings)


def _fail(alert: Alert, reason: str) -> None:
    alert.attempts += 1
    alert.state = AlertState.FAILED
    alert.last_error = reason
    alert.next_attempt_at = None


def send_due(
    session: Session,
    transport: Transport,
    settings: Settings,
    *,
    now: dt.datetime,
    batch: int = DEFAULT_BATCH,
) -> SendReport:
    """Send the PENDING alerts due at `now`, oldest first, at most `batch` of them.

    Each alert ends SENT, or PENDING with one more attempt and a later `next_attempt_at`
    (a 4xx reply or no connection), or FAILED (a 5xx: the server will never take it as it is;
    `diarydesk alerts` and the digest show it, `diarydesk alerts --retry ID` requeues it).
    Once the server itself is out of reach, the rest of the batch is put back the same way
    without trying: each would wait for the same timeout and fail alike.
    """
    session.commit()
    sent = retrying = failed = 0
    outage: DeliveryError | None = None
    for _ in range(batch):
        alert = _claim(session, settings, now)
        message = build_message(alert, settings) if alert is not None and _has_to(alert) else None
        # No transaction stays open while the server takes its time: on SQLite a transaction
        # that read before another worker wrote could not write its outcome afterwards.
        session.commit()
        if alert is None:
            break
        if message is None:
            _fail(alert, NO_RECIPIENTS)
            failed += 1
        elif outage is not None:
            _retry_later(alert, outage, settings, now)
            retrying += 1
        else:
            try:
                transport.send(message)
            except DeliveryError as err:
                if err.transient:
                    _retry_later(alert, err, settings, now)
                    retrying += 1
                    outage = err if err.server_wide else None
                else:
                    _fail(alert, str(err))
                    failed += 1
                _log_failure(alert, err)
            else:
                alert.state = AlertState.SENT
                alert.sent_at = now
                alert.attempts += 1
                alert.next_attempt_at = None
                sent += 1
                log.info("alert=%d kind=%s sent", alert.id, alert.kind)
        session.commit()
    return SendReport(sent=sent, retrying=retrying, failed=failed)


def _log_failure(alert: Alert, err: DeliveryError) -> None:
    outcome = "will retry" if err.transient else "failed, see `diarydesk alerts`"
    if err.server_wide:
        # About the server or the configuration (host, port, reply): safe and needed in the log.
        log.warning("alert=%d kind=%s not sent, %s: %s", alert.id, alert.kind, outcome, err)
    else:
        # A refusal of this message may quote its recipients: the text stays in the table.
        log.warning("alert=%d kind=%s not sent, %s", alert.id, alert.kind, outcome)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def list_outbox(session: Session, *, state: AlertState | None = None) -> list[dict[str, Any]]:
    """Every alert, oldest first: what `diarydesk alerts` shows (no addresses, no bodies)."""
    statement = select(Alert).order_by(Alert.id)
    if state is not None:
        statement = statement.where(Alert.state == state)
    return [
        {
            "id": alert.id,
            "kind": alert.kind,
            "state": str(alert.state),
            "case_id": alert.case_id,
            "attempts": alert.attempts,
            "next_attempt_at": _iso(alert.next_attempt_at),
            "last_error": alert.last_error,
            "subject": alert.payload.get("subject"),
            "recipients": len(alert.payload.get("to") or []),
            "created_at": _iso(alert.created_at),
            "sent_at": _iso(alert.sent_at),
        }
        for alert in session.scalars(statement)
    ]


def retry(session: Session, alert_id: int, settings: Settings, *, now: dt.datetime) -> Alert:
    """Put a FAILED alert back in the queue, due now (recipients worked out again if it had
    none). Flushes; the caller commits."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise OutboxError(f"No alert with id {alert_id}; list them with `diarydesk alerts`.")
    if alert.state is not AlertState.FAILED:
        raise OutboxError(
            f"Alert {alert_id} is {alert.state}, not failed: only failed alerts can be retried."
        )
    to = list(alert.payload.get("to") or []) or recipients_for_alert(session, alert, settings)
    if not to:
        raise OutboxError(
            f"Alert {alert_id} still has nobody to go to: set alerts.officers (or "
            "worker.admin for worker alerts) in the config, then retry."
        )
    alert.payload = {**alert.payload, "to": to}
    alert.state = AlertState.PENDING
    alert.next_attempt_at = now
    session.flush()
    return alert
