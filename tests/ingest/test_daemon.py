"""`diarydesk run` as an administrator runs it: a process that polls, and stops cleanly."""

from __future__ import annotations

import random
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from ingest.daemon import backoff_delay
from store.db import session_factory
from store.models import Incident, Message
from tests.ingest import EXAMPLE_MAIL, maildir_files, start_daemon

RECORDED_EMAILS = 6  # examples/mail: 5 recorded + 1 for review; 2 enquiries stay
WAIT_S = 90


def _config(tmp_path: Path, maildir: Path, db_url: str, name: str = "config.toml") -> Path:
    config = tmp_path / name
    config.write_text(
        f'[mailbox]\nkind = "maildir"\npath = "{maildir}"\n'
        f'[database]\nurl = "{db_url}"\n'
        '[schedule]\npoll_every = "1s"\n'
        f'[mail_out]\nkind = "outbox"\noutbox_dir = "{tmp_path / "outbox"}"\n'
    )
    return config


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _moved(maildir: Path) -> int:
    return len(maildir_files(maildir / ".Diarydesk.Processed")) + len(
        maildir_files(maildir / ".Diarydesk.Review")
    )


def test_run_polls_on_schedule_and_stops_cleanly_on_sigterm(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    maildir = tmp_path / "mail"
    shutil.copytree(EXAMPLE_MAIL, maildir)
    log = tmp_path / "worker.log"
    worker = start_daemon(_config(tmp_path, maildir, db_url), log)
    try:
        _wait_for(lambda: _moved(maildir) == RECORDED_EMAILS, "the first poll")
        # A new email arriving later is picked up by a later poll, without a restart.
        late = sorted((maildir / ".Diarydesk.Processed" / "new").glob("*"))[0]
        (maildir / "new" / "1799999999.M1P1.late").write_bytes(
            late.read_bytes().replace(b"Message-ID: <", b"Message-ID: <late")
        )
        _wait_for(lambda: _moved(maildir) == RECORDED_EMAILS + 1, "a later poll")
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
    assert code == 0, log.read_text()
    assert "worker stopped" in log.read_text()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_on_one_database_and_mailbox_record_each_email_once(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    maildir = tmp_path / "mail"
    shutil.copytree(EXAMPLE_MAIL, maildir)
    workers = [
        start_daemon(_config(tmp_path, maildir, db_url, f"w{i}.toml"), tmp_path / f"w{i}.log")
        for i in range(2)
    ]
    try:
        _wait_for(lambda: _moved(maildir) >= RECORDED_EMAILS, "the workers to poll")
        time.sleep(3)  # several more polls by both, which must change nothing
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=60) for worker in workers]
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], logs
    assert _moved(maildir) == RECORDED_EMAILS
    assert len(maildir_files(maildir)) == 2
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == RECORDED_EMAILS
        assert session.scalar(select(func.count()).select_from(Incident)) == 17
    assert not any("Traceback" in text for text in logs), logs


@given(failures=st.integers(min_value=1, max_value=60), seed=st.integers(0, 2**32))
def test_backoff_grows_to_its_cap_and_is_jittered(failures: int, seed: int) -> None:
    rng = random.Random(seed)
    delay = backoff_delay(failures, initial_s=10, max_s=900, rng=rng)
    capped = min(900, 10 * 2 ** (failures - 1))
    assert capped / 2 <= delay <= capped
