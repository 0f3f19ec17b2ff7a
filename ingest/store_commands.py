"""The staff commands that read and correct the store: db, record, cases, case, review,
export, purge, person. Each opens one session, does one thing, and prints text or JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ingest.argtypes import iso_datetime
from ingest.config import Settings
from ingest.sheets import read_sheet
from store import db
from store.cases import CaseError, update_case
from store.persons import PersonError, confirm_link, merge_persons, split_person
from store.recording import SheetInput, record_file
from store.reports import NotFound, case_detail, export_resident, list_cases, review_items
from store.retention import apply_purge, plan_purge
from store.thresholds import ThresholdSettings

Handler = Callable[[argparse.Namespace, Settings], int]


def add_commands(commands: Any) -> dict[str, Handler]:
    """Register the store subcommands on `commands`; returns command name -> handler."""
    database = commands.add_parser("db", help="database schema")
    database.add_argument("action", choices=["upgrade", "current"])

    record = commands.add_parser("record", help="parse sheets from disk and record them")
    record.add_argument("files", nargs="+", type=Path, metavar="FILE")
    record.add_argument("--sender", help="the resident's email address")
    record.add_argument("--received", type=iso_datetime, help="ISO 8601 time")
    record.add_argument("--json", action="store_true")

    cases = commands.add_parser("cases", help="list cases")
    cases.add_argument("--json", action="store_true")
    cases.add_argument("--open", action="store_true", help="open cases only")
    cases.add_argument("--threshold-met", action="store_true", help="only cases over a threshold")

    case = commands.add_parser("case", help="one case's timeline (and staff changes to it)")
    case.add_argument("id", type=int)
    case.add_argument("--json", action="store_true")
    change = case.add_mutually_exclusive_group()
    change.add_argument("--close", action="store_true", help="close the case")
    change.add_argument("--reopen", action="store_true", help="reopen a closed case")
    case.add_argument("--assign", metavar="OFFICER", help="assign the case to an officer")
    case.add_argument(
        "--updated",
        action="store_true",
        help="the resident was given a progress update (resets the digest's update clock)",
    )
    case.add_argument("--actor", default="cli", help="who is making the change (audit)")

    commands.add_parser("review", help="everything that needs a person").add_argument(
        "--json", action="store_true"
    )

    export = commands.add_parser("export", help="everything held about a resident (JSON)")
    export.add_argument("--resident", type=int, required=True)

    purge = commands.add_parser("purge", help="apply the retention schedule (dry run)")
    purge.add_argument("--apply", action="store_true", help="really delete")

    person = commands.add_parser("person", help="correct who is who")
    actions = person.add_subparsers(dest="person_action", required=True)
    merge = actions.add_parser("merge", help="person B is person A")
    merge.add_argument("keep", type=int, metavar="A")
    merge.add_argument("merge", type=int, metavar="B")
    split = actions.add_parser("split", help="move one written name off a person")
    split.add_argument("person", type=int)
    split.add_argument("alias")
    confirm = actions.add_parser("confirm", help="an unconfirmed link is right")
    confirm.add_argument("incident", type=int)
    for sub in (merge, split, confirm):
        sub.add_argument("--actor", default="cli", help="who is making the change (audit)")
    return {
        "db": _db,
        "record": _record,
        "cases": _cases,
        "case": _case,
        "review": _review,
        "export": _export,
        "purge": _purge,
        "person": _person,
    }


def thresholds(settings: Settings) -> ThresholdSettings:
    return ThresholdSettings(**settings.thresholds.model_dump())


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = db.make_engine(settings.database.url)
    try:
        db.check_schema(engine)
        with db.session_factory(engine)() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=None))


def _db(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "upgrade":
        db.upgrade(settings.database.url)
        print(f"database at {', '.join(db.head_revisions())}")
        return 0
    engine = db.make_engine(settings.database.url)
    try:
        print(", ".join(db.current_revisions(engine)) or "empty")
    finally:
        engine.dispose()
    return 0


def _record(args: argparse.Namespace, settings: Settings) -> int:
    now = dt.datetime.now(dt.UTC)
    summary: list[dict[str, Any]] = []
    with _session(settings) as session:
        for path in args.files:
            data = path.read_bytes()
            received = args.received or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            if received.tzinfo is None:
                received = received.replace(tzinfo=dt.UTC)
            result = read_sheet(data, received=received, settings=settings.parser)
            outcome = record_file(
                session,
                SheetInput(path.name, data, result),
                sender=args.sender,
                received_at=received,
                now=now,
                thresholds=thresholds(settings),
            )
            summary.append(
                {
                    "file": str(path),
                    "status": str(result.status),
                    "problem": result.problem.code if result.problem else None,
                    "new_incidents": len(outcome.new_incident_ids),
                    "repeated_incidents": len(outcome.repeated_incident_ids),
                    "cases": sorted(outcome.case_ids),
                    "thresholds_met": [
                        {"case": c.case_id, "rule": str(c.rule)} for c in outcome.crossings
                    ],
                }
            )
    for item in summary:
        if args.json:
            _print(item)
        else:
            print(
                f"{item['file']}: {item['status']}, {item['new_incidents']} new incident(s), "
                f"{item['repeated_incidents']} already recorded, cases {item['cases']}"
                + "".join(
                    f"\n  case {t['case']}: {t['rule']} met — officer review"
                    for t in item["thresholds_met"]
                )
            )
    return 0


def _cases(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        cases = list_cases(session, open_only=args.open, threshold_met=args.threshold_met)
    if args.json:
        _print(cases)
        return 0
    for case in cases:
        person = case["person"]["name"] if case["person"] else "unknown person"
        flags = [
            flag
            for flag, on in (
                ("THRESHOLD", case["threshold"]["met_at"]),
                ("URGENT", case["urgent"]),
                ("REVIEW", case["needs_review"]),
                ("no police ref", case["no_police_reference"]),
            )
            if on
        ]
        print(
            f"#{case['id']:<4} {case['status']:<6} {case['resident']['name'] or '?'} <- {person}: "
            f"{case['incident_count']} incident(s) {' '.join(flags)}"
        )
    return 0


def _case(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        if args.close or args.reopen or args.assign or args.updated:
            update_case(
                session,
                args.id,
                now=dt.datetime.now(dt.UTC),
                actor=args.actor,
                close=args.close,
                reopen=args.reopen,
                officer=args.assign,
                updated_resident=args.updated,
            )
            session.flush()
        detail = case_detail(session, args.id)
    if args.json:
        _print(detail)
        return 0
    person = detail["person"]["name"] if detail["person"] else "unknown person"
    print(f"case {detail['id']} ({detail['status']}): {detail['resident']['name']} <- {person}")
    print(f"  police references: {', '.join(detail['police_references']) or 'none yet'}")
    for decision in detail["threshold"]["decisions"]:
        print(f"  {decision['rule']} met {decision['met_at']}: {'; '.join(decision['reasons'])}")
    for incident in detail["incidents"]:
        when = " ".join(
            p
            for p in (
                incident["date"] or incident["date_text"] or "undated",
                incident["time"] or "",
            )
            if p
        )
        print(f"  {when:<17} {', '.join(incident['categories'])}: {incident['description']}")
        print(f"      from {incident['source']['file']} {incident['source']['row']}")
    return 0


def _review(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        items = review_items(session)
    if args.json:
        _print(items)
        return 0
    for item in items:
        where = item.get("file") or f"incident {item.get('incident_id')}"
        print(f"{item['kind']:<20} {where}: {item['reason']}")
    print(f"{len(items)} item(s) need a person")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        _print(export_resident(session, args.resident))
    return 0


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    retention = settings.retention
    with _session(settings) as session:
        plan = plan_purge(
            session,
            now=dt.datetime.now(dt.UTC),
            raw_messages_days=retention.raw_messages_days,
            closed_cases_days=retention.closed_cases_days,
        )
        if args.apply:
            apply_purge(session, plan, actor="cli:purge")
    print(
        ("purged " if args.apply else "would purge (dry run; --apply to delete) ") + plan.describe()
    )
    return 0


def _person(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        if args.person_action == "merge":
            merge_persons(session, args.keep, args.merge, actor=args.actor)
            print(f"person {args.merge} merged into {args.keep}")
        elif args.person_action == "confirm":
            person_id = confirm_link(session, args.incident, actor=args.actor)
            print(f"incident {args.incident} confirmed as person {person_id}")
        else:
            new_id = split_person(session, args.person, args.alias, actor=args.actor)
            print(f"'{args.alias}' moved from person {args.person} to new person {new_id}")
    return 0


def run(handler: Handler, args: argparse.Namespace, settings: Settings) -> int:
    """Run a store command, turning the store's domain errors into one line and exit 1."""
    try:
        return handler(args, settings)
    except (db.SchemaOutOfDate, NotFound, PersonError, CaseError) as err:
        print(f"diarydesk: {err}", file=sys.stderr)
        return 1
