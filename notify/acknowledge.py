"""The resident's acknowledgement (off by default): what arrived, the case number, 999/101.

It goes to whoever sent the email, whose address anyone can forge, so it says only what the
sender already knows or may safely learn: how many incidents were recorded and the case
reference. Never the alleged perpetrator's name, never what the incidents say.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging

from sqlalchemy.orm import Session

from ingest.config import Settings
from notify.alerts import AlertKind
from notify.queue import enqueue
from notify.rendering import render
from store.models import Alert, Message
from store.recording import RecordOutcome

log = logging.getLogger(__name__)

SUBJECT = "We have received your diary sheet"
# Automated senders: answering them starts mail loops or bounces back and forth (RFC 3834).
_AUTOMATED_LOCAL_PARTS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply")


def reply_address(sender: str | None, settings: Settings) -> str | None:
    """The sender's bare address, or None when there is nobody sensible to answer."""
    if not sender:
        return None
    address = email.utils.parseaddr(sender)[1].strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain:
        return None
    if local.lower() in _AUTOMATED_LOCAL_PARTS:
        return None
    if address.lower() == settings.mail_out.from_.lower():
        return None  # our own alert address: never answer ourselves
    return address


def queue_acknowledgement(
    session: Session,
    *,
    message_pk: int,
    sender: str | None,
    outcome: RecordOutcome,
    settings: Settings,
    now: dt.datetime,
) -> Alert | None:
    """Queue the reply to `sender` for message `message_pk`, once (key `ack:{message_pk}`).

    None when acknowledgements are off, the sender is unknown or automated, or the message was
    acknowledged before. Flushes; the caller commits.
    """
    if not settings.acknowledgement.enabled:
        return None
    to = reply_address(sender, settings)
    if to is None:
        return None
    case_ids = sorted(outcome.case_ids)
    context = {
        "new_incidents": len(outcome.new_incident_ids),
        "repeated_incidents": len(outcome.repeated_incident_ids),
        "case_ids": case_ids,
        "sheets": len(outcome.attachment_ids),
    }
    subject = SUBJECT + (f" (case {', '.join(str(c) for c in case_ids)})" if case_ids else "")
    templates_dir = settings.digest.templates_dir
    alert = enqueue(
        session,
        key=f"ack:{message_pk}",
        kind=AlertKind.ACKNOWLEDGEMENT,
        to=[to],
        subject=subject,
        text=render("ack.txt", templates_dir, subject=subject, **context),
        html=render("ack.html", templates_dir, subject=subject, **context),
        now=now,
        # Tied to the case so that the retention purge of the case removes the address too.
        case_id=case_ids[0] if case_ids else None,
    )
    if alert is None:
        return None
    message = session.get(Message, message_pk)
    if message is not None and message.message_id_header:
        # Threads the reply under the resident's own email in their mail client.
        alert.payload = {**alert.payload, "in_reply_to": message.message_id_header}
    session.flush()
    log.info("alert=%d kind=%s queued for message=%d", alert.id, alert.kind, message_pk)
    return alert
