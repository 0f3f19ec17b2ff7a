"""`diarydesk` command line: the staff and administrator entry point."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ingest import alert_commands, digest_commands, store_commands, worker_commands
from ingest import config as config_module
from ingest.argtypes import iso_datetime
from ingest.sheets import read_sheet
from parsers import SheetResult
from parsers.model import Incident, to_json
from parsers.template import build_template


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diarydesk", description=__doc__)
    parser.add_argument("--config", type=Path, help="path to config.toml (default: built-in)")
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="read diary sheets and print what they say")
    parse.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parse.add_argument(
        "--received",
        type=iso_datetime,
        help="when the email arrived (ISO 8601); default: each file's modification time",
    )
    parse.add_argument("--json", action="store_true", help="one JSON object per file per line")

    template = commands.add_parser("template", help="write the blank diary sheet")
    template.add_argument("out", type=Path, metavar="OUT.docx")
    template.add_argument("--organisation", default="Diary sheet")
    handlers = store_commands.add_commands(commands)
    handlers.update(worker_commands.add_commands(commands))
    handlers.update(alert_commands.add_commands(commands))
    handlers.update(digest_commands.add_commands(commands))
    parser.set_defaults(store_handlers=handlers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = config_module.load(args.config)
    except config_module.ConfigError as err:
        print(f"diarydesk: {err}", file=sys.stderr)
        return 2
    if args.command == "parse":
        return _parse(args, settings, parser)
    if args.command == "template":
        args.out.write_bytes(build_template(organisation=args.organisation))
        print(f"wrote {args.out}")
        return 0
    return store_commands.run(args.store_handlers[args.command], args, settings)


def _parse(
    args: argparse.Namespace, settings: config_module.Settings, parser: argparse.ArgumentParser
) -> int:
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    for path in args.files:
        received = args.received or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        result = read_sheet(path.read_bytes(), received=received, settings=settings.parser)
        if args.json:
            print(json.dumps(to_json(result, str(path)), ensure_ascii=False))
        else:
            print(render_text(result, str(path)))
    return 0


def render_text(result: SheetResult, file: str) -> str:
    """A readable summary for a person at a terminal."""
    lines = [f"{file}: {result.status}"]
    if result.problem is not None:
        lines.append(f"  problem: {result.problem.code}: {result.problem.message}")
    if result.complainant is not None:
        c = result.complainant
        lines.append(f"  resident: {_join(c.name, c.address, c.phone, c.email, c.reference)}")
    if result.subject is not None:
        lines.append(f"  alleged perpetrator: {_join(result.subject.name, result.subject.address)}")
    if result.officer is not None:
        lines.append(f"  officer: {result.officer.display()}")
    if result.police_references:
        lines.append(f"  police references: {', '.join(result.police_references)}")
    if result.incidents:
        lines.append(f"  {len(result.incidents)} incident(s):")
        lines.append(f"    {'date':<10}  {'time':<11}  {'!':1}  {'categories':<28}  what happened")
        lines.extend(_incident_line(incident) for incident in result.incidents)
    return "\n".join(lines)


def _incident_line(incident: Incident) -> str:
    day = incident.date.isoformat() if incident.date else (incident.date_text or "?")[:10]
    time = incident.time.strftime("%H:%M") if incident.time else ""
    if incident.end_time:
        time += "-" + incident.end_time.strftime("%H:%M")
    what = (incident.description or "").replace("\n", " ")
    what = what if len(what) <= 60 else what[:57] + "..."
    line = (
        f"    {day:<10}  {time:<11}  {'!' if incident.urgent else ' '}  "
        f"{','.join(incident.categories):<28}  {what}"
    )
    for warning in incident.warnings:
        line += f"\n      warning: {warning}"
    return line


def _join(*parts: str | None) -> str:
    return "; ".join(part for part in parts if part) or "-"


if __name__ == "__main__":
    raise SystemExit(main())
