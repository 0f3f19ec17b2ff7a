"""Helpers for the notify tests: record real diary sheets as the worker would, queue their
alerts in the same transaction, and build settings pointing at a test SMTP server."""

from __future__ import annotations

import datetime as dt
import email.message
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from ingest.config import Settings
from notify.alerts import queue_alerts
from parsers import parse_sheet
from parsers.template import HEADER_LABELS, Entry, build_template
from store.models import Alert
from store.recording import RecordOutcome, SheetInput, SourceMessage, record_message
from tests.smtp_fixture import SmtpServer

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
RESIDENT = "Mrs Aisha Patel"
PERSON = "Gary Hollis"
ROWS = [
    Entry(
        "03/03/2026",
        "10.30pm",
        "outside my door",
        "He shouted abuse at me and kicked my door.",
        PERSON,
        "my son Imran",
        "I could not sleep",
    ),
    Entry(
        "06/03/2026",
        "9.15am",
        "bus stop",
        "He followed me to the bus stop and stared at me.",
        PERSON,
        "",
        "Frightened",
    ),
]


def header(
    *,
    name: str = RESIDENT,
    address: str = "14 Elm Road, Manchester M1 2AB",
    subject: str = PERSON,
    officer: str = "PC 2231 Dan Whitlock",
    reference: str = "43260012345",
) -> dict[str, str]:
    values = (name, address, "07700 900123", "", "T/004512", subject, "16 Elm Road", officer)
    return dict(zip(HEADER_LABELS, (*values, reference), strict=True))


def settings(**sections: dict[str, Any]) -> Settings:
    """Settings from TOML-shaped sections, e.g. settings(alerts={"officers": [...]})."""
    return Settings.model_validate(sections)


def smtp_settings(server: SmtpServer, **sections: dict[str, Any]) -> Settings:
    mail_out = {
        "kind": "smtp",
        "host": server.host,
        "port": server.port,
        "security": "none",
        "auth": "none",
        "from": "diarydesk@asb.example.org",
        "connect_timeout_s": 5.0,
        "read_timeout_s": 5.0,
        **sections.pop("mail_out", {}),
    }
    alerts = {"officers": ["duty.officer@asb.example.org"], **sections.pop("alerts", {})}
    return settings(mail_out=mail_out, alerts=alerts, **sections)


def message_id(n: int) -> str:
    return f"<diary-{n}@resident.example.org>"


def email_bytes(sender: str, sheet: bytes, n: int) -> bytes:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "asb@example.org", f"diary {n}"
    msg["Message-ID"] = message_id(n)
    msg.set_content("Please find my diary attached.")
    msg.add_attachment(sheet, maintype="application", subtype="octet-stream", filename="d.docx")
    return msg.as_bytes()


def record(
    session: Session,
    config: Settings,
    entries: Sequence[Entry],
    *,
    n: int,
    sender: str = "aisha@example.org",
    received: dt.datetime = NOW,
    sheet_header: dict[str, str] | None = None,
) -> tuple[RecordOutcome, list[Alert]]:
    """Record one email carrying one sheet and queue its alerts, in one transaction."""
    data = build_template(header=sheet_header or header(), entries=entries, blank_rows=1)
    result = parse_sheet(data, received=received)
    outcome = record_message(
        session,
        SourceMessage(
            raw=email_bytes(sender, data, n),
            received_at=received,
            mailbox="asb@example.org",
            uidvalidity=1,
            uid=n,
            message_id=message_id(n),
            sender=sender,
        ),
        [SheetInput("diary.docx", data, result)],
        now=received,
    )
    alerts = queue_alerts(session, outcome, config, now=received)
    session.commit()
    return outcome, alerts
