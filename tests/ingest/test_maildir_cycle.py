"""The whole job on the embedded defaults: a Maildir of real emails in, the store, folders out.

The sample Maildir is examples/mail (examples/make_mail.py): four emails with sheets (attached,
forwarded, octet-stream), a PDF, a reply quoting only a police reference, and two ordinary
enquiries that must stay in the inbox, unread.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ingest.config import MailboxSettings, Settings, WorkerSettings
from ingest.cycle import Poller
from ingest.sources.maildir import MaildirSource
from store.db import session_factory
from store.enums import MessageState
from store.models import Incident, Message, PoliceReference, ReferenceLink
from store.recording import RecordOutcome, SourceMessage
from store.reports import review_items
from tests.ingest import EXAMPLE_MAIL, REPO, maildir_files

# Incidents on the four readable sheets in examples/mail (5 + 4 + 5 + 3).
EXAMPLE_INCIDENTS = 17
SHEET_EMAILS = 4
UNRELATED = 2


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    target = tmp_path / "mail"
    shutil.copytree(EXAMPLE_MAIL, target)
    for sub in ("cur", "new", "tmp"):
        (target / sub).mkdir(exist_ok=True)
    return target


def _settings(maildir: Path, db_url: str, **worker: int) -> Settings:
    return Settings(
        mailbox=MailboxSettings(kind="maildir", path=str(maildir)),
        database={"url": db_url},  # type: ignore[arg-type]
        worker=WorkerSettings(**worker),
    )


def _poller(settings: Settings, engine: Engine, **kwargs: object) -> Poller:
    source = MaildirSource(settings.mailbox.path)
    return Poller(settings, session_factory(engine), source, holder="test", **kwargs)  # type: ignore[arg-type]


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_one_poll_records_sheets_moves_them_and_leaves_enquiries(
    maildir: Path, db_url: str, engine: Engine
) -> None:
    counts = _poller(_settings(maildir, db_url), engine).poll()
    assert counts is not None
    assert (counts.recorded, counts.review, counts.left_unrelated) == (SHEET_EMAILS + 1, 1, 2)

    processed = maildir_files(maildir / ".Diarydesk.Processed")
    review = maildir_files(maildir / ".Diarydesk.Review")
    inbox = maildir_files(maildir)
    assert len(processed) == SHEET_EMAILS + 1  # the four sheets and the reference-only reply
    assert len(review) == 1 and b"noise diary scan.pdf" in review[0].read_bytes()
    # Ordinary enquiries stay where they were: still in new/, so still unread for staff.
    assert len(inbox) == UNRELATED
    assert {p.parent.name for p in inbox} == {"new"}
    assert all(b"Boiler" in p.read_bytes() or b"Rent" in p.read_bytes() for p in inbox)

    with session_factory(engine)() as session:
        assert _count(session, Incident) == EXAMPLE_INCIDENTS
        # The reply's crime number is linked to Mrs Patel's case though it came with no sheet.
        linked = session.scalars(
            select(PoliceReference.text)
            .join(ReferenceLink, ReferenceLink.reference_id == PoliceReference.id)
            .where(ReferenceLink.case_id.is_not(None))
        ).all()
        assert "43260012399" in linked
        items = review_items(session)
    unreadable = [i for i in items if i["kind"] == "unreadable_sheet"]
    assert [i["file"] for i in unreadable] == ["noise diary scan.pdf"]
    assert unreadable[0]["reason"]


def test_polling_again_changes_nothing(maildir: Path, db_url: str, engine: Engine) -> None:
    settings = _settings(maildir, db_url)
    _poller(settings, engine).poll()
    with session_factory(engine)() as session:
        before = (_count(session, Message), _count(session, Incident))
    counts = _poller(settings, engine).poll()
    assert counts is not None and counts.recorded == 0 and counts.left_unrelated == UNRELATED
    with session_factory(engine)() as session:
        assert (_count(session, Message), _count(session, Incident)) == before


def test_the_same_email_delivered_twice_is_recorded_once_and_both_copies_move(
    maildir: Path, db_url: str, engine: Engine
) -> None:
    first = sorted((maildir / "new").glob("*"))[0]
    shutil.copy(first, maildir / "new" / "1764600000.M9P9.duplicate")
    counts = _poller(_settings(maildir, db_url), engine).poll()
    assert counts is not None and counts.already_recorded == 1
    assert len(maildir_files(maildir / ".Diarydesk.Processed")) == SHEET_EMAILS + 2
    with session_factory(engine)() as session:
        assert _count(session, Incident) == EXAMPLE_INCIDENTS


def test_a_message_that_keeps_failing_is_quarantined_with_its_error(
    maildir: Path, db_url: str, engine: Engine
) -> None:
    def fail_for_reid(session: Session, outcome: RecordOutcome, message: SourceMessage) -> None:
        if message.sender == "callum.reid@example.com":
            raise RuntimeError("the alert template is broken")

    settings = _settings(maildir, db_url, max_attempts=2)
    counts = _poller(settings, engine, after_record=[fail_for_reid]).poll()
    assert counts is not None and counts.recorded == SHEET_EMAILS  # the rest went on
    stuck = [p for p in maildir_files(maildir) if b"callum.reid" in p.read_bytes()]
    assert len(stuck) == 1, "a failed try leaves the email in the inbox for the next poll"

    counts = _poller(settings, engine, after_record=[fail_for_reid]).poll()
    assert counts is not None and counts.quarantined == 1
    assert not [p for p in maildir_files(maildir) if b"callum.reid" in p.read_bytes()]
    assert [
        p for p in maildir_files(maildir / ".Diarydesk.Review") if b"callum.reid" in p.read_bytes()
    ]
    with session_factory(engine)() as session:
        row = session.scalars(
            select(Message).where(Message.sender == "callum.reid@example.com")
        ).one()
        assert row.state is MessageState.QUARANTINED and row.attempts == 2
        # Its incidents were rolled back with the failed transaction: none half-recorded.
        assert _count(session, Incident) == EXAMPLE_INCIDENTS - 4
        items = review_items(session)
    quarantined = [i for i in items if i["kind"] == "quarantined_message"]
    assert quarantined and "the alert template is broken" in quarantined[0]["reason"]


def _config(tmp_path: Path, maildir: Path, db_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[mailbox]\nkind = "maildir"\npath = "{maildir}"\n'
        f'[database]\nurl = "{db_url}"\n'
        f'[mail_out]\nkind = "outbox"\noutbox_dir = "{tmp_path / "outbox"}"\n'
        '[alerts]\nofficers = ["asb-officer@example.org"]\n'
    )
    return config


def _diarydesk(
    *args: str, kill_at: tuple[str, int] | None = None
) -> subprocess.CompletedProcess[str]:
    runner = [sys.executable, str(Path(__file__).with_name("kill_at.py"))]
    event, nth = kill_at or ("never", 0)
    return subprocess.run(
        [*runner, event, str(nth), "--", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("event", "nth"),
    [("fetched", 2), ("stored", 2), ("moving", 3), ("moved", 3), ("stored", 5)],
)
def test_killed_at_any_step_the_next_poll_records_and_moves_each_email_once(
    maildir: Path, db_url: str, engine: Engine, tmp_path: Path, event: str, nth: int
) -> None:
    config = _config(tmp_path, maildir, db_url)
    killed = _diarydesk("--config", str(config), "poll", kill_at=(event, nth))
    assert killed.returncode == -9, killed.stderr
    again = _diarydesk("--config", str(config), "poll")
    assert again.returncode == 0, again.stderr

    processed = maildir_files(maildir / ".Diarydesk.Processed")
    assert len(processed) == SHEET_EMAILS + 1
    assert len({p.read_bytes() for p in processed}) == len(processed), "each moved once"
    assert len(maildir_files(maildir / ".Diarydesk.Review")) == 1
    assert len(maildir_files(maildir)) == UNRELATED
    with session_factory(engine)() as session:
        assert _count(session, Incident) == EXAMPLE_INCIDENTS
        assert _count(session, Message) == SHEET_EMAILS + 2
        unmoved = session.scalar(
            select(func.count()).select_from(Message).where(Message.moved_at.is_(None))
        )
        assert unmoved == 0


def test_poll_and_status_commands(
    maildir: Path, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    config = _config(tmp_path, maildir, db_url)
    polled = _diarydesk("--config", str(config), "poll")
    assert polled.returncode == 0, polled.stderr
    assert f"recorded {SHEET_EMAILS + 1}" in polled.stdout
    # INFO logs carry counts and ids only: no resident's name or address reaches them.
    for personal in ("Patel", "Okafor", "Hollis", "aisha.patel", "Boiler"):
        assert personal not in polled.stderr
    status = _diarydesk("--config", str(config), "status")
    assert status.returncode == 0, status.stderr
    assert "last successful poll: 20" in status.stdout
    assert "1 in review" in status.stdout


def test_a_missing_maildir_fails_the_poll_with_a_clear_error(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = _config(tmp_path, tmp_path / "no-such-maildir", db_url)
    polled = _diarydesk("--config", str(config), "poll")
    assert polled.returncode == 1
    assert "does not exist" in polled.stderr and "mailbox.path" in polled.stderr
    status = _diarydesk("--config", str(config), "status")
    assert "FAILING: 1 poll(s) in a row" in status.stdout


def test_a_number_that_looks_like_a_reference_does_not_take_an_enquiry_from_the_inbox(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    maildir = tmp_path / "mail"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1764000001.M1P1.rent").write_bytes(
        b"From: t.ellis@example.com\r\nSubject: Rent\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        b"\r\nMy account number is 43260012345, please send a statement.\r\n"
    )
    (maildir / "new" / "1764000002.M2P1.crime").write_bytes(
        b"From: t.ellis@example.com\r\nSubject: Police\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
        b"\r\nThe police gave me crime number 43260012399 for the damage.\r\n"
    )
    counts = _poller(_settings(maildir, db_url), engine).poll()
    assert counts is not None
    assert counts.left_unrelated == 1
    assert [p.name for p in maildir_files(maildir)] == ["1764000001.M1P1.rent"]
    # The crime number from a sender with no case yet waits for a person to link it.
    assert [p.name for p in maildir_files(maildir / ".Diarydesk.Review")] == [
        "1764000002.M2P1.crime"
    ]
    with session_factory(engine)() as session:
        kinds = [item["kind"] for item in review_items(session)]
    assert kinds == ["message_for_review"]
