"""The worker against a real Dovecot: what residents send becomes incidents, nothing is lost.

Every email is real MIME made with the `email` package and delivered with IMAP APPEND; the
worker is the production Poller with the production ImapSource, over loopback.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ingest.config import MailboxSettings, Settings
from ingest.cycle import Poller
from ingest.sources.base import MailSourceError
from ingest.sources.imap import ImapSource
from store.db import session_factory
from store.enums import MessageState
from store.models import Incident, Message
from store.recording import RecordOutcome, SourceMessage
from store.reports import review_items
from tests.dovecot_fixture import DovecotMailbox
from tests.ingest import REPO, start_daemon
from tests.mime.make_fixtures import TnefFile, build_tnef

EXAMPLES = REPO / "examples"
DOCX = "vnd.openxmlformats-officedocument.wordprocessingml.document"
TEAM = "asb@example-housing.org.uk"


def _email(sender: str, subject: str, body: str, day: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = TEAM
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime(2026, 11, day, 9, 30, tzinfo=dt.UTC))
    message["Message-ID"] = f"<{subject.replace(' ', '.')}.{day}@example.net>"
    message.set_content(body)
    return message


def _attached(name: str, **kwargs: str) -> EmailMessage:
    message = _email("Aisha Patel <aisha.patel@example.net>", "my diary", "Attached.", 2)
    message.add_attachment(
        (EXAMPLES / "table-python-docx.docx").read_bytes(),
        maintype="application",
        subtype=kwargs.get("subtype", DOCX),
        filename=name,
    )
    return message


def _forwarded() -> EmailMessage:
    inner = _email("Linda Okafor <linda.okafor@example.net>", "this week", "See attached.", 3)
    inner.add_attachment(
        (EXAMPLES / "free-text.docx").read_bytes(),
        maintype="application",
        subtype=DOCX,
        filename="Incidents.docx",
    )
    outer = _email("Office <office@example-housing.org.uk>", "Fwd this week", "Forwarding.", 4)
    outer.add_attachment(inner)
    return outer


def _winmail() -> EmailMessage:
    message = _email("Chloe Barker <chloe.barker@example.org>", "forms", "From Outlook.", 5)
    tnef = build_tnef(
        [
            TnefFile(
                b"FORMS~1.DOC",
                (EXAMPLES / "form-per-incident.docx").read_bytes(),
                long_filename="Incident forms.docx",
            )
        ]
    )
    message.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message


def _octet_stream() -> EmailMessage:
    message = _email("Callum Reid <callum.reid@example.com>", "diary", "Diary.", 6)
    message.add_attachment(
        (EXAMPLES / "table-libreoffice.docx").read_bytes(),
        maintype="application",
        subtype="octet-stream",
        filename="diary.docx",
    )
    return message


def _pdf() -> EmailMessage:
    message = _email("Ravi Sharma <ravi.sharma@example.com>", "scan", "Scanned diary.", 7)
    message.add_attachment(
        b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf", filename="scan.pdf"
    )
    return message


def _corrupt() -> EmailMessage:
    message = _email("Sam Lee <sam.lee@example.com>", "diary sheet", "My sheet.", 8)
    docx = (EXAMPLES / "content-controls.docx").read_bytes()
    message.add_attachment(
        docx[: len(docx) // 2], maintype="application", subtype=DOCX, filename="sheet.docx"
    )
    return message


def _enquiry() -> EmailMessage:
    return _email("Tom Ellis <t.ellis@example.com>", "Boiler", "My boiler is broken again.", 9)


# Incidents in each readable sheet: table-python-docx 5, free-text 5, form-per-incident 3,
# table-libreoffice 4.
READABLE = {"attached": 5, "forwarded": 5, "winmail": 3, "octet-stream": 4}


def _deliver_all(dovecot: DovecotMailbox) -> dict[str, int]:
    emails = {
        "attached": _attached("Diary sheet.docx"),
        "forwarded": _forwarded(),
        "winmail": _winmail(),
        "octet-stream": _octet_stream(),
        "pdf": _pdf(),
        "corrupt": _corrupt(),
        "enquiry": _enquiry(),
    }
    return {name: dovecot.append(message.as_bytes()) for name, message in emails.items()}


def _folder(dovecot: DovecotMailbox, suffix: str) -> list[tuple[int, tuple[bytes, ...], bytes]]:
    folders = dovecot.folders()
    matches = [name for name in folders if name.endswith(suffix)]
    return folders[matches[0]] if matches else []


def _poller(
    dovecot: DovecotMailbox, engine: Engine, settings: MailboxSettings | None = None, **kw: object
) -> Poller:
    mailbox = settings or dovecot.settings()
    return Poller(
        Settings(mailbox=mailbox),
        session_factory(engine),
        ImapSource(mailbox),
        holder="test",
        **kw,  # type: ignore[arg-type]
    )


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_every_way_a_sheet_arrives_becomes_incidents(
    dovecot: DovecotMailbox, engine: Engine
) -> None:
    _deliver_all(dovecot)
    counts = _poller(dovecot, engine).poll()
    assert counts is not None
    assert (counts.recorded, counts.review, counts.left_unrelated) == (4, 2, 1)

    with session_factory(engine)() as session:
        assert _count(session, Incident) == sum(READABLE.values())
        items = review_items(session)
    reasons = {item["file"]: item["reason"] for item in items if item["kind"] == "unreadable_sheet"}
    assert set(reasons) == {"scan.pdf", "sheet.docx"}
    assert all(reasons.values())

    assert len(_folder(dovecot, "Processed")) == 4
    review = _folder(dovecot, "Review")
    assert len(review) == 2
    inbox = dovecot.folders()["INBOX"]
    assert len(inbox) == 1 and b"My boiler is broken" in inbox[0][2]
    # Left unread: staff still see the enquiry as new.
    assert b"\\Seen" not in inbox[0][1]


def test_polling_again_fetches_nothing_new(dovecot: DovecotMailbox, engine: Engine) -> None:
    _deliver_all(dovecot)
    _poller(dovecot, engine).poll()
    counts = _poller(dovecot, engine).poll()
    # The enquiry is below the cursor now: not fetched again every five minutes.
    assert counts is not None and counts.seen == 0
    dovecot.append(_enquiry().as_bytes())
    counts = _poller(dovecot, engine).poll()
    assert counts is not None and (counts.seen, counts.left_unrelated) == (1, 1)


def test_the_server_going_away_mid_poll_loses_nothing(
    dovecot: DovecotMailbox, engine: Engine
) -> None:
    _deliver_all(dovecot)

    def outage(session: Session, outcome: RecordOutcome, message: SourceMessage) -> None:
        dovecot.stop()  # the server dies after the first email is stored, before its move

    with pytest.raises(MailSourceError):
        _poller(dovecot, engine, after_record=[outage]).poll()
    dovecot.start()
    counts = _poller(dovecot, engine).poll()
    assert counts is not None
    with session_factory(engine)() as session:
        assert _count(session, Incident) == sum(READABLE.values())
        assert _count(session, Message) == 6
        states = session.scalars(select(Message.state)).all()
        assert MessageState.RECEIVED not in states
    assert len(_folder(dovecot, "Processed")) == 4
    assert len(_folder(dovecot, "Review")) == 2
    assert len(dovecot.folders()["INBOX"]) == 1


def test_a_new_uidvalidity_reads_the_folder_again_without_doubling(
    dovecot: DovecotMailbox, engine: Engine
) -> None:
    settings = dovecot.settings(folder="Incoming")
    raw = _attached("one.docx").as_bytes()
    dovecot.append(raw, folder="Incoming")
    _poller(dovecot, engine, settings).poll()
    # The folder is rebuilt (a migration, a restore): the same email, a new UIDVALIDITY, and
    # UIDs that start again from 1, below the cursor of the old folder.
    with dovecot.client() as client:
        client.delete_folder("Incoming")
    dovecot.append(raw, folder="Incoming")
    counts = _poller(dovecot, engine, settings).poll()
    assert counts is not None and counts.already_recorded == 1
    assert dovecot.folders()["Incoming"] == []  # the folder exists, and is empty
    with session_factory(engine)() as session:
        assert _count(session, Message) == 1
        assert _count(session, Incident) == 5


def _imap_config(path: Path, dovecot: DovecotMailbox, db_url: str, outbox: Path) -> Path:
    path.write_text(
        f'[mailbox]\nkind = "imap"\nhost = "{dovecot.host}"\nport = {dovecot.port}\n'
        f'security = "none"\nusername = "{dovecot.user}"\n'
        f'password_file = "{dovecot.password_file}"\n'
        f'[database]\nurl = "{db_url}"\n[schedule]\npoll_every = "1s"\n'
        f'[mail_out]\noutbox_dir = "{outbox}"\n'
    )
    return path


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_daemons_on_one_postgresql_and_one_mailbox_record_each_email_once(
    dovecot: DovecotMailbox, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    _deliver_all(dovecot)
    configs = [
        _imap_config(tmp_path / f"worker{i}.toml", dovecot, db_url, tmp_path / "outbox")
        for i in range(2)
    ]
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    workers = [start_daemon(config, log) for config, log in zip(configs, logs, strict=True)]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if len(_folder(dovecot, "Processed")) + len(_folder(dovecot, "Review")) == 6:
                break
            time.sleep(0.5)
        time.sleep(3)  # more polls by both: nothing may change
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=60) for worker in workers]
    texts = [log.read_text() for log in logs]
    assert codes == [0, 0], texts
    assert len(_folder(dovecot, "Processed")) == 4
    assert len(_folder(dovecot, "Review")) == 2
    assert len(dovecot.folders()["INBOX"]) == 1
    with session_factory(engine)() as session:
        assert _count(session, Message) == 6
        assert _count(session, Incident) == sum(READABLE.values())
    assert not any("Traceback" in text for text in texts), texts


def test_sigkill_between_store_and_move_heals_on_restart(
    dovecot: DovecotMailbox, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    _deliver_all(dovecot)
    config = _imap_config(tmp_path / "config.toml", dovecot, db_url, tmp_path / "outbox")
    runner = [sys.executable, str(Path(__file__).with_name("kill_at.py"))]
    killed = subprocess.run(
        [*runner, "stored", "3", "--", "--config", str(config), "poll"],
        cwd=REPO,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    again = subprocess.run(
        [*runner, "never", "0", "--", "--config", str(config), "poll"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert len(_folder(dovecot, "Processed")) == 4
    assert len(_folder(dovecot, "Review")) == 2
    with session_factory(engine)() as session:
        assert _count(session, Message) == 6
        assert _count(session, Incident) == sum(READABLE.values())
