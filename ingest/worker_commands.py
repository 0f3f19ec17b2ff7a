"""The administrator's worker commands: `poll` (one cycle), `run` (the daemon), `status`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ingest.config import Settings
from ingest.store_commands import Handler
from store import db, worker_state
from store.enums import AlertState, MessageState
from store.models import Alert, Message

if TYPE_CHECKING:
    from ingest.worker import Worker


def add_commands(commands: Any) -> dict[str, Handler]:
    poll = commands.add_parser("poll", help="poll the mailbox once, send due alerts, exit")
    run = commands.add_parser("run", help="the worker daemon: poll on schedule, alerts, digest")
    for sub in (poll, run):
        sub.add_argument("--verbose", action="store_true", help="log each message (DEBUG)")
    status = commands.add_parser("status", help="is the worker healthy? what is waiting?")
    status.add_argument("--json", action="store_true")
    return {"poll": _poll, "run": _run, "status": _status}


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Third-party DEBUG output includes protocol traffic (email contents): keep it out.
    for noisy in ("imapclient", "apscheduler", "sqlalchemy", "alembic", "aiosmtpd", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _worker(settings: Settings) -> Worker:
    # Imported here: `status` and the other commands need no IMAP client or scheduler.
    from ingest.worker import Worker

    engine = db.make_engine(settings.database.url)
    db.check_schema(engine)
    return Worker(settings, db.session_factory(engine))


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(args.verbose)
    worker = _worker(settings)
    try:
        result = worker.poll_and_send()
    finally:
        worker.release()
    if result.error is not None:
        print(f"diarydesk: poll failed: {result.error}", file=sys.stderr)
        return 1
    counts = result.counts
    if counts is None:
        print("another worker is polling this mailbox; nothing done")
        return 0
    sent = result.sent
    print(
        f"seen {counts.seen}, recorded {counts.recorded}, to review {counts.review}, "
        f"quarantined {counts.quarantined}, other enquiries left {counts.left_unrelated}, "
        f"already recorded {counts.already_recorded}"
        + (f"; alerts sent {sent.sent}, retrying {sent.retrying}" if sent else "")
    )
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.daemon import Daemon

    configure_logging(args.verbose)
    return Daemon(_worker(settings), settings).run()


def status_report(settings: Settings) -> dict[str, Any]:
    engine = db.make_engine(settings.database.url)
    try:
        db.check_schema(engine)
        with db.session_factory(engine)() as session:
            states = dict(
                session.execute(select(Message.state, func.count()).group_by(Message.state)).all()
            )
            retrying = session.scalar(
                select(func.count()).where(
                    Message.state == MessageState.RECEIVED, Message.attempts > 0
                )
            )
            outbox = dict(
                session.execute(select(Alert.state, func.count()).group_by(Alert.state)).all()
            )
            workers = worker_state.read_all(session)
    finally:
        engine.dispose()
    return {
        "workers": [
            {
                "mailbox": w.mailbox,
                "last_success_at": _iso(w.last_success_at),
                "last_attempt_at": _iso(w.last_attempt_at),
                "consecutive_failures": w.consecutive_failures,
                "last_error": w.last_error,
                "last_error_at": _iso(w.last_error_at),
                "backlog": w.last_counts.backlog,
                "last_poll": {
                    "seen": w.last_counts.seen,
                    "recorded": w.last_counts.recorded,
                    "review": w.last_counts.review,
                    "left_unrelated": w.last_counts.left_unrelated,
                },
            }
            for w in workers
        ],
        "messages": {
            "seen": sum(states.values()),
            "recorded": states.get(MessageState.RECORDED, 0),
            "in_review": states.get(MessageState.REVIEW, 0),
            "quarantined": states.get(MessageState.QUARANTINED, 0),
            "awaiting_retry": retrying or 0,
        },
        "outbox": {
            "pending": outbox.get(AlertState.PENDING, 0),
            "sent": outbox.get(AlertState.SENT, 0),
            "failed": outbox.get(AlertState.FAILED, 0),
        },
    }


def _status(args: argparse.Namespace, settings: Settings) -> int:
    report = status_report(settings)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if not report["workers"]:
        print("no poll has run yet: start `diarydesk run` (or `diarydesk poll` once)")
    for w in report["workers"]:
        print(f"mailbox {w['mailbox']}")
        print(f"  last successful poll: {w['last_success_at'] or 'never'}")
        print(f"  last attempt:         {w['last_attempt_at'] or 'never'}")
        print(f"  backlog at last poll: {w['backlog']}")
        if w["consecutive_failures"]:
            print(f"  FAILING: {w['consecutive_failures']} poll(s) in a row")
        if w["last_error"]:
            print(f"  last error ({w['last_error_at']}): {w['last_error']}")
    m, o = report["messages"], report["outbox"]
    print(
        f"messages: {m['seen']} seen, {m['recorded']} recorded, {m['in_review']} in review, "
        f"{m['quarantined']} quarantined, {m['awaiting_retry']} awaiting retry"
    )
    print(f"outbox: {o['pending']} waiting, {o['sent']} sent, {o['failed']} failed")
    return 0


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
