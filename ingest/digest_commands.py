"""`diarydesk digest`: preview the staff digest, or queue it and send it now.

`--preview OUT.html` writes the HTML and, beside it, the plain text (OUT.txt) of the digest the
next slot would send, and queues nothing. `--send` queues this slot's digest (once: a second
`--send` for the same slot queues nothing) and sends everything due in the outbox. With neither,
the plain text is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.config import Settings
from notify.digest import DigestError, build_digest, digest_since, idempotency_key, queue_digest
from notify.outbox import send_due
from notify.transport import TransportConfigError, transport_for
from store import db
from store.models import Alert

Handler = Callable[[argparse.Namespace, Settings], int]


def add_commands(commands: Any) -> dict[str, Handler]:
    """Register `digest` on `commands`; returns command name -> handler."""
    digest = commands.add_parser("digest", help="the staff digest: preview it, or send it now")
    action = digest.add_mutually_exclusive_group()
    action.add_argument(
        "--preview",
        type=Path,
        metavar="OUT.html",
        help="write the digest's HTML here and its text beside it (OUT.txt); queue nothing",
    )
    action.add_argument(
        "--send", action="store_true", help="queue this slot's digest and send it now"
    )
    return {"digest": _digest}


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = db.make_engine(settings.database.url)
    try:
        db.check_schema(engine)
        with db.session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.send:
            return _send(settings)
        return _preview(args.preview, settings)
    except (DigestError, TransportConfigError, db.SchemaOutOfDate) as err:
        print(f"diarydesk: {err}", file=sys.stderr)
        return 1


def _preview(out: Path | None, settings: Settings) -> int:
    now = dt.datetime.now(dt.UTC)
    with _session(settings) as session:
        digest = build_digest(
            session, settings, now=now, since=digest_since(session, settings, now)
        )
    if out is None:
        print(digest.subject)
        print()
        print(digest.text, end="")
        return 0
    text_path = out.with_suffix(".txt")
    out.write_text(digest.html, encoding="utf-8")
    text_path.write_text(digest.text, encoding="utf-8")
    print(f"wrote {out} and {text_path}: {digest.subject}")
    return 0


def _send(settings: Settings) -> int:
    if not settings.digest.recipients:
        print(
            "diarydesk: digest.recipients is empty: add the staff addresses to [digest] "
            "recipients in the configuration file.",
            file=sys.stderr,
        )
        return 1
    # Before connecting to anything: a transport that cannot work is a configuration error.
    transport = transport_for(settings.mail_out)
    now = dt.datetime.now(dt.UTC)
    with _session(settings) as session:
        key = idempotency_key(settings, now)
        with session.begin():
            earlier = session.scalars(select(Alert).where(Alert.idempotency_key == key)).first()
            if earlier is not None:
                print(f"the digest for {key} was queued before ({earlier.state}): not again")
            else:
                row = queue_digest(session, settings, now=now)
                print(
                    f"queued {key}: {row.payload['subject']}"
                    if row is not None
                    else f"{key}: nothing new and digest.send_when_empty is off: not queued"
                )
        report = send_due(session, transport, settings, now=now)
    print(f"outbox: sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
    if report.retrying or report.failed:
        print(
            "diarydesk: not everything was delivered: see `diarydesk alerts`; "
            "what is retrying goes out when the mail server takes it.",
            file=sys.stderr,
        )
        return 1
    return 0
