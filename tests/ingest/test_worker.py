"""The worker's own health: failures are recorded, and the admin hears about an outage once."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

from sqlalchemy import Engine

from ingest.config import Settings
from ingest.worker import Worker
from store import worker_state
from store.db import session_factory


def _settings(tmp_path: Path, db_url: str, maildir: Path) -> Settings:
    return Settings.model_validate(
        {
            "mailbox": {"kind": "maildir", "path": str(maildir)},
            "database": {"url": db_url},
            "worker": {"failed_polls_before_alert": 2, "admin": ["it-admin@example.org"]},
            "mail_out": {"kind": "outbox", "outbox_dir": str(tmp_path / "outbox")},
        }
    )


def _outbox(tmp_path: Path) -> list[email.message.EmailMessage]:
    folder = tmp_path / "outbox"
    return (
        [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for path in sorted(folder.glob("*.eml"))
        ]
        if folder.is_dir()
        else []
    )


def test_the_admin_is_alerted_once_per_outage_and_recovery_resets_it(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    maildir = tmp_path / "mail"  # not there yet: every poll fails
    clock = iter(dt.datetime(2026, 12, 1, 8, minute, tzinfo=dt.UTC) for minute in range(60))
    worker = Worker(
        _settings(tmp_path, db_url, maildir),
        session_factory(engine),
        clock=lambda: next(clock),
    )
    first = worker.poll_and_send()
    assert first.error is not None and "does not exist" in first.error
    assert _outbox(tmp_path) == []  # one failure is not an outage yet
    worker.poll_and_send()
    worker.poll_and_send()
    sent = _outbox(tmp_path)
    assert len(sent) == 1
    assert sent[0]["To"] == "it-admin@example.org"
    assert "maildir:" in sent[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    with session_factory(engine)() as session:
        state = worker_state.read(session, worker.source.name)
    assert state.consecutive_failures == 3 and state.last_success_at is None

    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    assert worker.poll_and_send().error is None
    with session_factory(engine)() as session:
        state = worker_state.read(session, worker.source.name)
    assert state.consecutive_failures == 0 and state.last_success_at is not None
    worker.release()
