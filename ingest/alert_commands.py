"""`diarydesk alerts`: the outbox with each alert's state, and `--retry ID` for a failed one."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from ingest.config import Settings
from ingest.store_commands import Handler
from ingest.store_commands import _session as store_session
from notify.outbox import OutboxError, list_outbox, retry
from store.enums import AlertState


def add_commands(commands: Any) -> dict[str, Handler]:
    """Register `alerts` on `commands` (an argparse subparsers object); name -> handler."""
    alerts = commands.add_parser("alerts", help="the outbox: every alert and where it stands")
    alerts.add_argument("--json", action="store_true", help="one JSON array")
    alerts.add_argument(
        "--state", choices=[state.value for state in AlertState], help="only alerts in this state"
    )
    alerts.add_argument(
        "--retry", type=int, metavar="ID", help="put a failed alert back in the queue, due now"
    )
    return {"alerts": _alerts}


def _alerts(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with store_session(settings) as session:
            if args.retry is not None:
                alert = retry(session, args.retry, settings, now=dt.datetime.now(dt.UTC))
                print(f"alert {alert.id} is pending again; the next poll or send sends it")
                return 0
            rows = list_outbox(session, state=AlertState(args.state) if args.state else None)
    except OutboxError as err:
        print(f"diarydesk: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for row in rows:
        print(_line(row))
    counts = {state.value: sum(1 for r in rows if r["state"] == state) for state in AlertState}
    print(", ".join(f"{n} {state}" for state, n in counts.items()))
    return 0


def _line(row: dict[str, Any]) -> str:
    when = row["sent_at"] if row["state"] == AlertState.SENT else row["next_attempt_at"]
    label = "sent" if row["state"] == AlertState.SENT else "next attempt"
    line = (
        f"#{row['id']:<5} {row['kind']:<15} {row['state']:<8} attempts {row['attempts']:<3} "
        f"{label} {when or '-'}  {row['subject']}"
    )
    if row["last_error"] and row["state"] != AlertState.SENT:
        line += f"\n       last error: {row['last_error']}"
    return line
