"""Recording benchmark: milliseconds and statements per sheet, beside a floor from the same run.

The example sheets (`examples/*.docx`) are parsed once. Each of N emails then carries one of
them, in turn, from its own sender: the complainant's name and tenancy reference are made
unique, so every email is a new resident, while the street and the person named stay those of
the sheet (neighbours reporting the same person, as in bench/ingest.py). Each email is recorded
with `record_message` and committed in a transaction of its own, as the worker does.

The floor inserts exactly the rows that recording wrote, email by email (read back afterwards),
into a fresh database of the same backend: one `session.execute(insert(table), rows)` per table
per email, then a commit. Nothing can record a sheet with less work than writing its rows.

Run: `.venv/bin/python bench/record.py [--sheets 300] [--backends sqlite postgresql]
[--profile FILE]`. Databases are temporary: a SQLite file (WAL, as `make_engine` sets up) and a
PostgreSQL database `diarydesk_bench_<random>` on 127.0.0.1:5432, dropped at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory heads sys.path and `import store` would import
# bench/store.py instead of the package: take the directory off first.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import cProfile
import dataclasses
import datetime as dt
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, Engine, event, func, insert, select
from sqlalchemy.orm import Session

from parsers import SheetResult, Status, parse_sheet
from store.db import make_engine, session_factory, upgrade
from store.models import metadata
from store.recording import SheetInput, SourceMessage, record_message

ROOT = Path(__file__).resolve().parents[1]
RECEIVED = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
WARMUP = 10  # the first emails of each run fill statement caches: not counted
MAILBOX = "asb@example.org"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Parents before children, so that every foreign key finds its row.
LOAD_ORDER = (
    "blobs",
    "messages",
    "attachments",
    "residents",
    "persons",
    "person_aliases",
    "cases",
    "incidents",
    "incident_sources",
    "police_references",
    "reference_links",
    "threshold_crossings",
    "audit_log",
)
ID_TABLES = tuple(name for name in LOAD_ORDER if name != "blobs")


@dataclass(frozen=True)
class Email:
    message: SourceMessage
    sheet: SheetInput


def example_sheets() -> list[tuple[str, bytes, SheetResult]]:
    sheets = []
    for path in sorted((ROOT / "examples").glob("*.docx")):
        data = path.read_bytes()
        result = parse_sheet(data, received=RECEIVED)
        if result.status is Status.PARSED:
            sheets.append((path.name, data, result))
    if not sheets:
        raise SystemExit("no parseable sheet in examples/")
    return sheets


def emails(count: int) -> list[Email]:
    """`count` emails, each a new resident sending one of the example sheets."""
    sheets = example_sheets()
    out = []
    for n in range(count):
        filename, data, result = sheets[n % len(sheets)]
        complainant = result.complainant
        if complainant is not None:
            complainant = dataclasses.replace(
                complainant,
                name=f"Resident {n:05d}",
                reference=f"T/{n:06d}",
                email=None,
            )
        sheet = SheetInput(
            filename=filename,
            # Distinct bytes per email: the same bytes again would be recorded as a copy only.
            data=data + f"\nbench {n}".encode(),
            result=dataclasses.replace(result, complainant=complainant),
        )
        sender = f"resident{n:05d}@example.net"
        raw = (
            f"From: {sender}\r\nTo: {MAILBOX}\r\nSubject: My diary\r\n"
            f"Message-ID: <bench{n}@example.net>\r\n\r\nPlease find my diary attached.\r\n"
        ).encode() + data
        message = SourceMessage(
            raw=raw,
            received_at=RECEIVED + dt.timedelta(minutes=n),
            mailbox=MAILBOX,
            uidvalidity=1_700_000_000,
            uid=n + 1,
            message_id=f"<bench{n}@example.net>",
            sender=sender,
            subject="My diary",
            source_key=str(n + 1),
        )
        out.append(Email(message, sheet))
    return out


class StatementCounter:
    """Counts statements sent to the database while `active`."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.active = False
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, _conn: Connection, *_args: Any) -> None:
        if self.active:
            self.count += 1


@dataclass
class RunResult:
    seconds: list[float]
    statements: list[int]
    # Per email, per table: the rows it wrote (read back after the run, for the floor).
    rows: list[dict[str, list[dict[str, Any]]]]


def _watermarks(session: Session) -> dict[str, int]:
    tables = metadata.tables
    columns = [
        select(func.coalesce(func.max(tables[name].c.id), 0)).scalar_subquery().label(name)
        for name in ID_TABLES
    ]
    row = session.execute(select(*columns)).one()
    return {name: int(row._mapping[name]) for name in ID_TABLES}


def run_recording(
    engine: Engine, batch: Sequence[Email], profile: cProfile.Profile | None
) -> RunResult:
    counter = StatementCounter(engine)
    factory = session_factory(engine)
    seconds, statements, marks = [], [], []
    with factory() as session:
        marks.append(_watermarks(session))
        session.commit()
    for email in batch:
        with factory() as session:
            counter.count, counter.active = 0, True
            if profile is not None:
                profile.enable()
            start = time.perf_counter()
            outcome = record_message(session, email.message, [email.sheet], now=RECEIVED)
            session.commit()
            elapsed = time.perf_counter() - start
            if profile is not None:
                profile.disable()
            counter.active = False
            if outcome.already_recorded or not outcome.new_incident_ids:
                raise RuntimeError(f"an email recorded nothing new: {outcome}")
            seconds.append(elapsed)
            statements.append(counter.count)
            marks.append(_watermarks(session))
            session.commit()
    return RunResult(seconds, statements, _rows_by_email(engine, batch, marks))


def _rows_by_email(
    engine: Engine, batch: Sequence[Email], marks: list[dict[str, int]]
) -> list[dict[str, list[dict[str, Any]]]]:
    tables = metadata.tables
    with engine.connect() as connection:
        everything = {
            name: [dict(row._mapping) for row in connection.execute(select(tables[name]))]
            for name in LOAD_ORDER
        }
    blobs = {row["sha256"]: row for row in everything["blobs"]}
    per_email: list[dict[str, list[dict[str, Any]]]] = []
    for n, _email in enumerate(batch):
        low, high = marks[n], marks[n + 1]
        rows = {
            name: [r for r in everything[name] if low[name] < r["id"] <= high[name]]
            for name in ID_TABLES
        }
        digests = [r["sha256"] for r in rows["messages"] + rows["attachments"]]
        rows["blobs"] = [blobs[d] for d in dict.fromkeys(digests)]
        per_email.append(rows)
    return per_email


def run_floor(engine: Engine, rows: list[dict[str, list[dict[str, Any]]]]) -> list[float]:
    tables = metadata.tables
    factory = session_factory(engine)
    seconds = []
    for email_rows in rows:
        with factory() as session:
            start = time.perf_counter()
            for name in LOAD_ORDER:
                if email_rows[name]:
                    session.execute(insert(tables[name]), email_rows[name])
            session.commit()
            seconds.append(time.perf_counter() - start)
    return seconds


@dataclass(frozen=True)
class Report:
    backend: str
    sheets: int
    ms_per_sheet: float
    median_ms: float
    statements: float
    floor_ms: float
    rows_per_sheet: float

    @property
    def ratio(self) -> float:
        return self.ms_per_sheet / self.floor_ms


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in a temporary directory, or a PostgreSQL
    database dropped (forcibly) when the block ends, however it ends."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="diarydesk-bench-") as workdir:
            yield f"sqlite:///{Path(workdir) / 'bench.sqlite'}"
        return
    name = f"diarydesk_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        info = admin.info
        url = f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run_backend(backend: str, count: int, profile: cProfile.Profile | None) -> Report:
    batch = emails(count)
    with database(backend) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            result = run_recording(engine, batch, profile)
        finally:
            engine.dispose()
    with database(backend) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            floor = run_floor(engine, result.rows)
        finally:
            engine.dispose()
    timed = slice(WARMUP, None) if count > 2 * WARMUP else slice(None)
    rows = sum(len(v) for r in result.rows[timed] for v in r.values())
    sheets = len(result.seconds[timed])
    return Report(
        backend=backend,
        sheets=sheets,
        ms_per_sheet=1000 * statistics.fmean(result.seconds[timed]),
        median_ms=1000 * statistics.median(result.seconds[timed]),
        statements=statistics.fmean(result.statements[timed]),
        floor_ms=1000 * statistics.fmean(floor[timed]),
        rows_per_sheet=rows / sheets,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sheets", type=int, default=300, help="emails to record per backend")
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--profile", help="write cProfile stats of the recording to this file")
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None
    print(
        f"{'backend':<11} {'sheets':>6} {'ms/sheet':>9} {'median':>8} {'stmts':>6} "
        f"{'rows':>5} {'floor ms':>9} {'ratio':>6}"
    )
    for backend in args.backends:
        report = run_backend(backend, args.sheets, profile)
        print(
            f"{report.backend:<11} {report.sheets:>6} {report.ms_per_sheet:>9.2f} "
            f"{report.median_ms:>8.2f} {report.statements:>6.1f} {report.rows_per_sheet:>5.1f} "
            f"{report.floor_ms:>9.2f} {report.ratio:>5.1f}x",
            flush=True,
        )
    if profile is not None:
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
