"""Store benchmark: recording one sheet of 10 incidents must not slow down as the store grows.

For each backend a fresh database is migrated and bulk-loaded with background data (residents,
persons, open cases, messages, attachments, incidents over three years, their sources, police
references, threshold crossings and audit entries) straight through SQLAlchemy Core (SQLite) or
COPY (PostgreSQL), without the parser. At each size the median wall time of `record_message`
plus commit for one pre-parsed sheet of 10 incidents is measured, for a new resident and for an
existing resident who already has 20 incidents (dedupe looks those up). The same database grows
from one size to the next. Target (issue 3): the largest size within 1.5x of the smallest.

The query plan check is the evidence behind the ratio: the statements of one recording are
captured and every SELECT/UPDATE/DELETE is EXPLAINed; a full scan of incidents (or of any other
table that grows) is listed with its statement, so that an index can be added.

Run: `.venv/bin/python bench/store.py [--sizes 10000 1000000] [--backends sqlite postgresql]
[--repeat N]`. Databases are temporary: a SQLite file in a temporary directory, and a
PostgreSQL database `diarydesk_bench_<random>` dropped at the end, on error too.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory heads sys.path and `import store` would import this
# file (bench/store.py) instead of the package: take the directory off first.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
import operator
import os
import random
import re
import signal
import statistics
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Protocol

import psycopg
from psycopg import sql
from sqlalchemy import JSON, Connection, Engine, Enum, Table, event, func, insert, select, text
from sqlalchemy.orm import Session

from parsers import PARSER_VERSION, Status, parse_sheet
from parsers.template import HEADER_LABELS, Entry, build_template
from store.db import make_engine, session_factory, set_sqlite_foreign_keys, upgrade
from store.enums import (
    AttachmentStatus,
    CaseStatus,
    MessageState,
    ReferenceKind,
    ReferenceSource,
    ThresholdRule,
)
from store.models import (
    Case,
    Incident,
    Person,
    PoliceReference,
    ReferenceLink,
    Resident,
    metadata,
)
from store.names import name_key, street_key
from store.recording import SheetInput, SourceMessage, record_message

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
HISTORY_DAYS = 3 * 365
DIARY_DAYS = 90  # one resident's incidents fall within this many days
INCIDENTS_PER_RESIDENT = 20
INCIDENTS_PER_SHEET = 5  # so 4 background messages per resident
SHEET_INCIDENTS = 10  # the sheet being timed
WARMUP = 3  # untimed recordings per scenario and size: statement caches, page caches
CHUNK_RESIDENTS = 500  # rows generated at a time: 10,000 incidents
BATCH_ROWS = 10_000  # rows per executemany
CHUNKS_PER_TRANSACTION = 10
TARGET_RATIO = 1.5
MAILBOX = "asb@example.org"
DEFAULT_POSTGRES = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://postgres@127.0.0.1:5432/test",
)

FIRST_NAMES = (
    "Gary Dean Wayne Lee Craig Darren Jason Kevin Shane Ryan Tony Paul Mark Steve Carl Liam "
    "Jordan Kyle Nathan Scott Tracey Donna Kerry Leanne Shelley Michelle Sharon Karen Nicola "
    "Stacey Jade Chantelle Kirsty Gemma Becky Dawn Julie Tina Mandy Lisa"
).split()
SURNAMES = (
    "Hollis Cope Baxter Pearce Tranter Shaw Walsh Doyle Fenton Marsh Hickman Rudd Platt Sykes "
    "Gill Booth Coates Dixon Nolan Riley Heath Lowe Mellor Slater Kemp Haynes Lamb Royle Finch "
    "Beck Horton Cross Parry Mills Rowe Grant Boyle Brady Healey Wade"
).split()
# Names on the timed sheets come from other lists, so a new resident's person is never
# mistaken for a background one and both sizes resolve the same way.
BENCH_FIRST = (
    "Ambrose Bartholomew Cornelius Desmond Ebenezer Fitzgerald Gideon Horatio Ignatius Jasper "
    "Leopold Montgomery Octavius Percival Quentin Rupert Sebastian Thaddeus Ulysses Valentine"
).split()
BENCH_SURNAMES = (
    "Quarrington Fotheringay Wetherspoon Blenkinsop Cholmondeley Farquharson Pennyfeather "
    "Ravenscroft Thistlewood Uttersley Vavasour Winterbottom Yarborough Zouche Abernethy "
    "Bellingham Carrington Drummond Ellesmere Fairweather"
).split()
STREET_STEMS = (
    "Elm Oak Ash Beech Birch Cedar Hazel Holly Maple Rowan Willow Alder Larch Poplar Laurel Yew "
    "Thorn Heather Bramble Fern Clover Daisy Primrose Violet Tulip Lily Orchid Iris Juniper Aspen "
    "Linden Sycamore Chestnut Walnut Cherry Apple Plum Pear Damson Quince"
).split()
STREET_ENDINGS = ("", "field", "wood", "dale", "mead", "ford", "bank", "brook", "croft", "hurst")
STREET_TYPES = (
    "Road Street Avenue Close Court Lane Drive Way Crescent Grove Gardens Terrace Mews Row Walk "
    "Place Square Rise View Green"
).split()
# Three reported persons (six complaining households) per street, at every size: person
# matching compares the persons of the resident's street, so that work must not grow either.
PERSONS_PER_STREET = 3
WORDS = (
    "he shouted abuse at me outside the flat and kicked my door then followed me to the bus "
    "stop loud music until late banging on the wall sent texts calling me names threw rubbish "
    "into my garden blocked the drive with his van stared through the window at my children"
).split()
LOCATIONS = ("outside my front door", "the car park", "my garden", "the stairwell", "bus stop")
EFFECTS = ("I could not sleep", "Frightened", "My son is scared to go out", None)
CATEGORIES: tuple[list[str], ...] = (
    ["verbal_abuse"],
    ["noise"],
    ["property_damage"],
    ["stalking"],
    ["threats"],
    [],
)


# --- databases ------------------------------------------------------------------------------


def _install_sigterm_handler() -> None:
    """Turn SIGTERM into SystemExit so that the `finally` blocks drop the databases."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="diarydesk-bench-") as workdir:
        yield f"sqlite:///{Path(workdir) / 'bench.sqlite'}"


def _admin_connect(candidates: Sequence[str]) -> psycopg.Connection[Any]:
    errors = []
    for dsn in candidates:
        try:
            return psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as err:
            errors.append(f"{dsn}: {str(err).strip().splitlines()[0] if str(err) else err!r}")
    raise SystemExit("PostgreSQL is unreachable:\n  " + "\n  ".join(errors))


@contextmanager
def postgres_database(admin_dsns: Sequence[str]) -> Iterator[str]:
    """A new database on the server, dropped (forcibly) when the block ends, however it ends."""
    name = f"diarydesk_bench_{uuid.uuid4().hex[:12]}"
    with _admin_connect(admin_dsns) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        info = admin.info
        url = f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{name}"
    try:
        yield url
    finally:
        with _admin_connect(admin_dsns) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- background data ------------------------------------------------------------------------

Rows = dict[str, list[dict[str, Any]]]
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


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def person_name(person: int) -> str:
    first = FIRST_NAMES[person % len(FIRST_NAMES)]
    initial = chr(ord("A") + (person // len(FIRST_NAMES)) % 26)
    surname = SURNAMES[(person // (len(FIRST_NAMES) * 26)) % len(SURNAMES)]
    return f"{first} {initial} {surname}"


def street_name(street: int) -> str:
    stem = STREET_STEMS[street % len(STREET_STEMS)]
    ending = STREET_ENDINGS[(street // len(STREET_STEMS)) % len(STREET_ENDINGS)]
    kind = STREET_TYPES[(street // (len(STREET_STEMS) * len(STREET_ENDINGS))) % len(STREET_TYPES)]
    return f"{stem}{ending} {kind}"


def resident_email(resident: int) -> str:
    return f"resident{resident}@example.org"


def incident_bodies(size: int = 997, seed: int = 11) -> list[dict[str, Any]]:
    """What background incidents say, drawn once: rows cycle through these (cheap to load)."""
    rng = random.Random(seed)
    bodies = []
    for _ in range(size):
        at = dt.time(rng.randrange(24), rng.randrange(60)) if rng.random() < 0.8 else None
        bodies.append(
            {
                "time": at,
                "time_text": f"{at:%H:%M}" if at else None,
                "location": rng.choice(LOCATIONS),
                "description": " ".join(rng.choices(WORDS, k=rng.randrange(8, 40))),
                "effect": rng.choice(EFFECTS),
                "categories": rng.choice(CATEGORIES),
                "urgent": rng.random() < 0.03,
            }
        )
    return bodies


@dataclass
class Background:
    """Generates background residents, in chunks, with every row's id assigned here.

    Resident number n (1, 2, ...) reports person (n + 1) // 2, so each person is reported by
    two neighbouring households; three persons live on each street. Every resident has an open
    case about that person, every fifth one also an open case about an unknown person, and 20
    incidents within 90 days somewhere in the last three years, sent on four sheets of a
    growing diary. Ids continue from the largest in the database (`sync`), so growing the
    database after the timed recordings added rows of their own is safe.
    """

    generated: int = 0  # residents generated so far
    next_id: dict[str, int] = field(default_factory=dict)
    resident_ids: list[int] = field(default_factory=list)
    person_id: int = 0  # the person of the last odd-numbered resident
    bodies: list[dict[str, Any]] = field(default_factory=incident_bodies)

    def sync(self, connection: Connection) -> None:
        for name, table in metadata.tables.items():
            if "id" in table.c:
                largest = connection.execute(select(func.max(table.c.id))).scalar()
                self.next_id[name] = largest or 0

    def new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]

    def chunk(self, residents: int) -> Rows:
        rows: Rows = {table: [] for table in LOAD_ORDER}
        for _ in range(residents):
            self.generated += 1
            self._resident(rows, self.generated)
        return rows

    def _audit(self, rows: Rows, at: dt.datetime, action: str, entity: str, entity_id: int) -> None:
        rows["audit_log"].append(
            {
                "id": self.new_id("audit_log"),
                "at": at,
                "actor": "worker",
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "detail": {},
            }
        )

    def _resident(self, rows: Rows, n: int) -> None:
        rng = random.Random(n)
        street = street_name((n + 1) // 2 // PERSONS_PER_STREET)
        first_day = HISTORY_DAYS - rng.randrange(HISTORY_DAYS - DIARY_DAYS)
        start = NOW.date() - dt.timedelta(days=first_day)
        days = sorted(
            start + dt.timedelta(days=rng.randrange(DIARY_DAYS))
            for _ in range(INCIDENTS_PER_RESIDENT)
        )
        sheets = INCIDENTS_PER_RESIDENT // INCIDENTS_PER_SHEET
        received = [
            _at(days[(k + 1) * INCIDENTS_PER_SHEET - 1] + dt.timedelta(days=1))
            for k in range(sheets)
        ]
        first_seen = received[0]
        resident = self.new_id("residents")
        self.resident_ids.append(resident)
        address = f"{2 * (n % 60) + 1} {street}, Melton LE13 0AB"
        rows["residents"].append(
            {
                "id": resident,
                "email": resident_email(n),
                "name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[n % len(SURNAMES)]}",
                "address": address,
                "phone": f"07700 {n % 1_000_000:06d}",
                "reference": f"T/{n:07d}",
                "street_key": street_key(address),
                "created_at": first_seen,
                "updated_at": first_seen,
            }
        )
        self._audit(rows, first_seen, "resident.create", "resident", resident)
        if n % 2 == 1:
            self._person(rows, n, street, first_seen)
        attachments = [self._sheet(rows, n, at) for at in received]
        cases = [self.new_id("cases")]
        if n % 5 == 0:
            cases.append(self.new_id("cases"))  # incidents with no person written
        header_ref = self._reference(rows, first_seen)
        incidents: dict[int, list[tuple[int, dt.date]]] = {case: [] for case in cases}
        for j, day in enumerate(days):
            case = cases[-1] if j % 4 == 3 else cases[0]
            facts = _IncidentFacts(resident, n, j, day, case, case == cases[0])
            incident = self._incident(rows, facts, attachments, received)
            incidents[case].append((incident, day))
            if j % 10 == 0:
                ref = self._reference(rows, received[j // INCIDENTS_PER_SHEET])
                self._link(rows, ref, None, incident, ReferenceSource.INCIDENT_ROW, first_seen)
        for case, case_incidents in incidents.items():
            self._case(rows, resident, case, case == cases[0], case_incidents, first_seen)
            self._link(rows, header_ref, case, None, ReferenceSource.SHEET_HEADER, first_seen)

    def _person(self, rows: Rows, n: int, street: str, at: dt.datetime) -> None:
        self.person_id = self.new_id("persons")
        name = person_name((n + 1) // 2)
        address = f"{2 * (n % 60) + 3} {street}"
        rows["persons"].append(
            {
                "id": self.person_id,
                "display_name": name,
                "address": address,
                "street_key": street_key(address),
                "created_at": at,
                "merged_into": None,
            }
        )
        rows["person_aliases"].append(
            {
                "id": self.new_id("person_aliases"),
                "person_id": self.person_id,
                "alias": name,
                "alias_key": name_key(name),
            }
        )

    def _sheet(self, rows: Rows, n: int, at: dt.datetime) -> int:
        """One background email with one attachment (same id); tiny blobs for both."""
        message = self.new_id("messages")
        raw, sheet = f"background message {message}".encode(), f"sheet {message}".encode()
        for data in (raw, sheet):
            rows["blobs"].append({"sha256": _sha(data), "size": len(data), "data": data})
        rows["messages"].append(
            {
                "id": message,
                "mailbox": MAILBOX,
                "folder": "INBOX",
                "uidvalidity": 1,
                "uid": message,
                "message_id_header": f"<bg{message}@example.org>",
                "sender": resident_email(n),
                "subject": "my diary",
                "received_at": at,
                "sha256": _sha(raw),
                "state": MessageState.RECORDED,
                "attempts": 1,
                "last_error": None,
                "created_at": at,
            }
        )
        rows["attachments"].append(
            {
                "id": message,
                "message_pk": message,
                "filename": "diary.docx",
                "sha256": _sha(sheet),
                "status": AttachmentStatus.PARSED,
                "problem_code": None,
                "problem_message": None,
                "parser_version": PARSER_VERSION,
                "layout": "table",
                "warnings": [],
                "created_at": at,
            }
        )
        self._audit(rows, at, "message.record", "message", message)
        return message

    def _case(
        self,
        rows: Rows,
        resident: int,
        case: int,
        known: bool,
        incidents: list[tuple[int, dt.date]],
        opened: dt.datetime,
    ) -> None:
        rows["cases"].append(
            {
                "id": case,
                "resident_id": resident,
                "person_id": self.person_id if known else None,
                "status": CaseStatus.OPEN,
                "officer_assigned": "Jo Bennett" if resident % 3 else None,
                "opened_at": opened,
                "closed_at": None,
                "first_incident_on": incidents[0][1],
                "last_incident_on": incidents[-1][1],
                "course_of_conduct_met_at": opened if known else None,
                "community_trigger_met_at": None,
                "urgent": False,
                "needs_review": False,
            }
        )
        self._audit(rows, opened, "case.open", "case", case)
        if known:  # 20 incidents by one person: the course of conduct was met long ago
            rows["threshold_crossings"].append(
                {
                    "id": self.new_id("threshold_crossings"),
                    "rule": ThresholdRule.COURSE_OF_CONDUCT,
                    "case_id": case,
                    "person_id": self.person_id,
                    "met_at": opened,
                    "incident_ids": [incidents[0][0], incidents[1][0]],
                    "gap_days": (incidents[1][1] - incidents[0][1]).days,
                    "reasons": ["minimum course-of-conduct count met"],
                }
            )

    def _incident(
        self, rows: Rows, facts: _IncidentFacts, attachments: list[int], received: list[dt.datetime]
    ) -> int:
        incident = self.new_id("incidents")
        sheet = facts.row // INCIDENTS_PER_SHEET
        body = self.bodies[(facts.n * INCIDENTS_PER_RESIDENT + facts.row) * 7919 % len(self.bodies)]
        source_row = f"table 2 row {facts.row + 2}"
        created = received[sheet]
        # A key as unique as store.incidents.fingerprint's (resident, day, time, words).
        key = f"{facts.resident}|{facts.day}|{body['time']}|{body['description']}"
        rows["incidents"].append(
            {
                **body,
                "id": incident,
                "case_id": facts.case,
                "resident_id": facts.resident,
                "person_id": self.person_id if facts.known else None,
                "person_confirmed": facts.known,
                "attachment_id": attachments[sheet],
                "source_row": source_row,
                "occurred_on": facts.day,
                "end_date": None,
                "end_time": None,
                "date_text": f"{facts.day:%d/%m/%Y}",
                "duration_text": None,
                "persons": [person_name((facts.n + 1) // 2)] if facts.known else [],
                "witnesses": ["my son Imran"] if facts.row % 3 == 0 else [],
                "warnings": [],
                "reported_on": created.date(),
                "fingerprint": _sha(key.encode()),
                "created_at": created,
                "updated_at": created,
            }
        )
        # A growing diary: each row is sent again on the next sheet.
        for copy in sorted({sheet, min(sheet + 1, len(attachments) - 1)}):
            rows["incident_sources"].append(
                {
                    "id": self.new_id("incident_sources"),
                    "incident_id": incident,
                    "attachment_id": attachments[copy],
                    "source_row": source_row,
                }
            )
        self._audit(rows, created, "incident.record", "incident", incident)
        return incident

    def _reference(self, rows: Rows, at: dt.datetime) -> int:
        ref = self.new_id("police_references")
        rows["police_references"].append(
            {
                "id": ref,
                "text": f"{43_000_000_000 + ref}",
                "kind": ReferenceKind.INCIDENT,
                "force": None,
                "ref_date_text": None,
                "officer_rank": "PC",
                "officer_name": "Dan Whitlock",
                "officer_number": "2231",
                "created_at": at,
            }
        )
        return ref

    def _link(
        self,
        rows: Rows,
        ref: int,
        case: int | None,
        incident: int | None,
        source: ReferenceSource,
        at: dt.datetime,
    ) -> None:
        rows["reference_links"].append(
            {
                "id": self.new_id("reference_links"),
                "reference_id": ref,
                "case_id": case,
                "incident_id": incident,
                "source": source,
                "created_at": at,
            }
        )


@dataclass(frozen=True)
class _IncidentFacts:
    resident: int  # id
    n: int  # the resident's number
    row: int  # 0..19 in the resident's diary
    day: dt.date
    case: int
    known: bool  # on the case about a known person


class Writer(Protocol):
    def write(self, table: Table, rows: list[dict[str, Any]]) -> None: ...


def _memoised(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process`, remembering its answers: dates, times, enums and JSON lists repeat a lot."""
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        key = tuple(value) if isinstance(value, list) else value
        try:
            return memo[key]
        except KeyError:
            memo[key] = process(value)
        except TypeError:  # unhashable (a dict): not worth remembering
            return process(value)
        return memo[key]

    return convert


@dataclass
class SqliteWriter:
    """Core `insert(table)` compiled once, executemany'd by the driver `BATCH_ROWS` at a time.

    Values go through SQLAlchemy's own bind processors for each column, so they are stored
    exactly as the ORM would store them; running the processors once per distinct value is
    what makes this several times faster than a plain Core executemany.
    """

    connection: Connection
    converters: dict[tuple[str, str], Callable[[Any], Any] | None] = field(default_factory=dict)

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        dialect = self.connection.dialect
        # The compiled INSERT lists the columns in the table's order, whatever the dicts' order.
        columns = [column.key for column in table.c if column.key in rows[0]]
        statement = str(insert(table).compile(dialect=dialect, column_keys=columns))
        getter = operator.itemgetter(*columns)
        processed = [
            (index, convert)
            for index, column in enumerate(columns)
            if (convert := self._converter(table, column)) is not None
        ]
        driver = self.connection.connection.driver_connection
        assert driver is not None
        if not self.connection.in_transaction():
            self.connection.begin()  # store.db's begin event sends the BEGIN
        for start in range(0, len(rows), BATCH_ROWS):
            batch = []
            for row in rows[start : start + BATCH_ROWS]:
                values = list(getter(row))
                for index, convert in processed:
                    values[index] = convert(values[index])
                batch.append(values)
            driver.executemany(statement, batch)

    def _converter(self, table: Table, column: str) -> Callable[[Any], Any] | None:
        key = (table.name, column)
        if key not in self.converters:
            process = table.c[column].type._cached_bind_processor(self.connection.dialect)
            self.converters[key] = None if process is None else _memoised(process)
        return self.converters[key]


@dataclass
class CopyWriter:
    """PostgreSQL COPY through psycopg, inside the SQLAlchemy connection's transaction.

    psycopg adapts dates, times, datetimes, booleans and bytes itself; JSON columns are sent
    as their JSON text and enums by value, as SQLAlchemy would send them.
    """

    connection: Connection

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        getter = operator.itemgetter(*columns)
        processed = [
            (index, _memoised(json.dumps) if isinstance(table.c[column].type, JSON) else _value)
            for index, column in enumerate(columns)
            if isinstance(table.c[column].type, JSON | Enum)
        ]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        driver = self.connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                values = list(getter(row))
                for index, convert in processed:
                    values[index] = convert(values[index])
                copy.write_row(values)


def _value(member: enum.Enum) -> Any:
    return member.value


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Set a PRAGMA outside any transaction (some, like `synchronous`, refuse to inside one)."""
    driver = connection.connection.driver_connection
    assert driver is not None and not connection.in_transaction()
    driver.execute(f"PRAGMA {pragma}")


def load(engine: Engine, background: Background, incidents: int) -> int:
    """Add residents until the database holds `incidents` background incidents; rows written."""
    target = -(-incidents // INCIDENTS_PER_RESIDENT)
    written = 0
    is_sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if is_sqlite:
            # Bulk-load settings for this connection only; the timed engine keeps the defaults.
            set_sqlite_foreign_keys(connection, enabled=False)
            _sqlite_pragma(connection, "cache_size=-262144")
            _sqlite_pragma(connection, "synchronous=OFF")
        else:
            # Skip the foreign-key triggers (the rows are consistent by construction); needs a
            # superuser, as the local trust-auth `postgres` is. Reset when the load ends.
            connection.exec_driver_sql("SET session_replication_role = replica")
        background.sync(connection)
        writer: Writer = SqliteWriter(connection) if is_sqlite else CopyWriter(connection)
        chunks = 0
        while background.generated < target:
            rows = background.chunk(min(CHUNK_RESIDENTS, target - background.generated))
            for name in LOAD_ORDER:
                writer.write(metadata.tables[name], rows[name])
                written += len(rows[name])
            chunks += 1
            if chunks % CHUNKS_PER_TRANSACTION == 0:
                connection.commit()
        connection.commit()
        if is_sqlite:
            _sqlite_pragma(connection, "synchronous=NORMAL")
            set_sqlite_foreign_keys(connection, enabled=True)
        else:
            connection.exec_driver_sql("SET session_replication_role = origin")
            connection.commit()
    return written


def analyze(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
            _sqlite_pragma(connection, "wal_checkpoint(TRUNCATE)")
        return
    with engine.connect() as connection:
        # Ids were given explicitly: move each sequence past them before anything inserts.
        for table in metadata.tables.values():
            if "id" in table.c:
                connection.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                    ),
                    {"t": table.name},
                )
        connection.commit()
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.exec_driver_sql("VACUUM ANALYZE")


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in metadata.tables
        }


# --- the timed sheets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    message: SourceMessage
    sheet: SheetInput
    case_id: int | None = None  # the open case the sheet should join (an existing resident)


@dataclass
class SheetMaker:
    """Pre-parsed sheets of `SHEET_INCIDENTS` rows, each from a different resident."""

    rng: random.Random
    serial: int = 0  # for unique uids and police references
    new_residents: int = 0
    used: set[int] = field(default_factory=set)  # background residents already sent a sheet

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _reference(self) -> str:
        return f"{44_000_000_000 + self._next()}"

    def new_resident(self) -> Prepared:
        """A first sheet from someone unknown, about someone unknown, on a street of their own."""
        self.new_residents += 1
        n = self.new_residents
        first, surname = BENCH_FIRST[n % 20], BENCH_SURNAMES[(n // 20) % 20]
        subject = f"{BENCH_FIRST[(n * 7 + 3) % 20]} {BENCH_SURNAMES[(n * 11 + 5) % 20]}"
        kind = STREET_TYPES[(n // 400) % len(STREET_TYPES)]
        street = f"{BENCH_SURNAMES[n % 20]} {BENCH_FIRST[(n // 20) % 20]} {kind}"
        header = self._header(
            name=f"Mrs {first} {surname}",
            address=f"{n % 90 + 1} {street}, Melton LE13 0AB",
            email=f"bench-new-{n}@example.org",
            reference=f"B/{n:07d}",
            subject=subject,
            subject_address=f"{n % 90 + 3} {street}",
            police_ref=self._reference(),
        )
        days = self._recent_days(SHEET_INCIDENTS)
        return self._prepare(header, days, subject, f"bench-new-{n}@example.org")

    def existing_resident(self, session: Session, resident_id: int) -> Prepared:
        """A new sheet from a background resident, naming the person of their open case."""
        resident = session.get_one(Resident, resident_id)
        case = session.scalars(
            select(Case).where(Case.resident_id == resident_id, Case.person_id.is_not(None))
        ).one()
        person = session.get_one(Person, case.person_id)
        old_days = sorted(
            {
                day
                for day in session.scalars(
                    select(Incident.occurred_on).where(Incident.resident_id == resident_id)
                )
                if day is not None
            }
        )
        header_ref = session.scalars(
            select(PoliceReference.text)
            .join(ReferenceLink, ReferenceLink.reference_id == PoliceReference.id)
            .where(
                ReferenceLink.case_id == case.id,
                ReferenceLink.source == ReferenceSource.SHEET_HEADER,
            )
        ).first()
        header = self._header(
            name=resident.name or "",
            address=resident.address or "",
            email=resident.email or "",
            reference=resident.reference or "",
            subject=person.display_name or "",
            subject_address=person.address or "",
            police_ref=header_ref or self._reference(),
        )
        # Half the rows on days that already hold one of their incidents, so that dedupe has
        # candidates to compare; the rest recent.
        days = self.rng.sample(old_days, min(SHEET_INCIDENTS // 2, len(old_days)))
        days = sorted(days) + self._recent_days(SHEET_INCIDENTS - len(days))
        prepared = self._prepare(header, days, person.display_name or "", resident.email or "")
        return dataclasses.replace(prepared, case_id=case.id)

    def _header(self, **values: str) -> dict[str, str]:
        ordered = (
            values["name"],
            values["address"],
            "07700 900123",
            values["email"],
            values["reference"],
            values["subject"],
            values["subject_address"],
            "PC 2231 Dan Whitlock",
            values["police_ref"],
        )
        return dict(zip(HEADER_LABELS, ordered, strict=True))

    def _recent_days(self, count: int) -> list[dt.date]:
        return sorted(
            NOW.date() - dt.timedelta(days=self.rng.randrange(1, 60)) for _ in range(count)
        )

    def _prepare(
        self, header: dict[str, str], days: list[dt.date], who: str, sender: str
    ) -> Prepared:
        entries = [
            Entry(
                date=f"{day:%d/%m/%Y}",
                time=f"{self.rng.randrange(24):02d}:{self.rng.randrange(60):02d}",
                where=self.rng.choice(LOCATIONS),
                what=" ".join(self.rng.choices(WORDS, k=self.rng.randrange(8, 40))),
                who=who,
                witnesses="my son Imran" if index % 3 else "",
                effect="I could not sleep",
                police_ref=self._reference() if index % 5 == 0 else "",
            )
            for index, day in enumerate(days)
        ]
        data = build_template(header=header, entries=entries, blank_rows=2)
        result = parse_sheet(data, received=NOW)
        if result.status is not Status.PARSED or len(result.incidents) != SHEET_INCIDENTS:
            raise RuntimeError(f"the bench sheet did not parse: {result.status} {result.problem}")
        uid = 1_000_000_000 + self.serial
        raw = f"From: {sender}\r\nSubject: diary {uid}\r\n\r\n".encode() + data
        message = SourceMessage(
            raw=raw,
            received_at=NOW,
            mailbox=MAILBOX,
            uidvalidity=1,
            uid=uid,
            message_id=f"<bench{uid}@example.org>",
            sender=sender,
            subject=f"diary {uid}",
        )
        return Prepared(message, SheetInput("diary.docx", data, result))


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds
    cpu: float  # seconds of this process (the ORM and the driver; not PostgreSQL's own work)
    new: int
    repeated: int
    joined: bool | None  # joined the existing case it should (None: a new resident)


def record(engine: Engine, prepared: Prepared) -> Timing:
    """Record and commit one pre-parsed sheet in a session of its own, timed."""
    with session_factory(engine)() as session:
        start, cpu = time.perf_counter(), time.process_time()
        outcome = record_message(session, prepared.message, [prepared.sheet], now=NOW)
        session.commit()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if outcome.already_recorded or not outcome.new_incident_ids:
        raise RuntimeError(f"the bench sheet recorded nothing new: {outcome}")
    joined = None if prepared.case_id is None else prepared.case_id in outcome.case_ids
    new, repeated = len(outcome.new_incident_ids), len(outcome.repeated_incident_ids)
    return Timing(wall, cpu, new, repeated, joined)


# --- query plans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    table: str
    kind: str  # "full table scan" or "full index scan"
    detail: str
    statement: str


@dataclass
class PlanReport:
    statements: int = 0
    by_verb: dict[str, int] = field(default_factory=dict)
    scans: list[Scan] = field(default_factory=list)
    new: int = 0
    repeated: int = 0
    joined: bool | None = None

    def on(self, table: str) -> list[Scan]:
        return [scan for scan in self.scans if scan.table == table]


@contextmanager
def captured_statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement sent while the block runs, with its parameters (None for executemany)."""
    captured: list[tuple[str, Any]] = []

    def before(
        _conn: Connection, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        captured.append((statement, None if many else parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", before)


_SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?(?P<index> USING (?:COVERING )?INDEX \w+)?")


def _sqlite_scans(connection: Connection, statement: str, parameters: Any) -> list[Scan]:
    """EXPLAIN QUERY PLAN: "SCAN t" reads all of t, "SCAN t USING INDEX i" all of i."""
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    scans = []
    for row in rows:
        detail = str(row[-1])
        match = _SQLITE_SCAN.match(detail)
        if match and match.group(1) != "CONSTANT":  # "SCAN CONSTANT ROW": no table at all
            kind = "full index scan" if match.group("index") else "full table scan"
            scans.append(Scan(match.group(1), kind, detail, statement))
    return scans


def _postgres_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _postgres_nodes(child)


def _leading_columns(connection: Connection) -> dict[str, str]:
    """Each index's first column: a condition on later columns only still reads it all."""
    rows = connection.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text, a.attname FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
    )
    return {index: column for index, column in rows}


def _postgres_scans(
    connection: Connection, statement: str, parameters: Any, leading: dict[str, str]
) -> list[Scan]:
    """EXPLAIN (FORMAT JSON): a Seq Scan reads the table; an index scan whose condition does
    not name the index's first column reads the whole index."""
    [[plan]] = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).all()
    if isinstance(plan, str):
        plan = json.loads(plan)
    scans = []
    for node in _postgres_nodes(plan[0]["Plan"]):
        kind, table = node["Node Type"], node.get("Relation Name", "?")
        index, condition = node.get("Index Name"), node.get("Index Cond", "")
        if kind == "Seq Scan":
            scans.append(Scan(table, "full table scan", f"Seq Scan on {table}", statement))
        elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan") and index:
            first = leading.get(index, "")
            if not re.search(rf"\b{re.escape(first)}\b", condition):
                table = table if table != "?" else index
                detail = f"{kind} using {index} on {table}, Index Cond: {condition or 'none'}"
                scans.append(Scan(table, "full index scan", detail, statement))
    return scans


def plan_check(engine: Engine, prepared: Prepared) -> PlanReport:
    """Record one sheet with its statements captured, then EXPLAIN every one that reads.

    On PostgreSQL sequential scans are disabled for the EXPLAIN, so that the planner's taste
    for scanning small tables does not hide anything: a Seq Scan left means no index can
    serve the statement, at any size.
    """
    with captured_statements(engine) as captured:
        timing = record(engine, prepared)
    report = PlanReport(
        len(captured), new=timing.new, repeated=timing.repeated, joined=timing.joined
    )
    is_sqlite = engine.dialect.name == "sqlite"
    seen: set[str] = set()
    with engine.connect() as connection:
        explain: Callable[[Connection, str, Any], list[Scan]] = _sqlite_scans
        if not is_sqlite:
            leading = _leading_columns(connection)
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = functools.partial(_postgres_scans, leading=leading)
        for statement, parameters in captured:
            verb = statement.lstrip().split(None, 1)[0].upper()
            report.by_verb[verb] = report.by_verb.get(verb, 0) + 1
            if verb not in ("SELECT", "UPDATE", "DELETE", "WITH") or statement in seen:
                continue
            seen.add(statement)
            if parameters is not None:
                report.scans.extend(explain(connection, statement, parameters))
        connection.rollback()
    return report


# --- the run --------------------------------------------------------------------------------

SCENARIOS = ("new resident", "existing resident")


@dataclass
class Measured:
    """One scenario at one size: the timed recordings (warm-up excluded) and the plan check."""

    timings: list[Timing]
    plan: PlanReport

    @property
    def wall(self) -> float:
        return statistics.median(t.wall for t in self.timings)

    @property
    def cpu(self) -> float:
        return statistics.median(t.cpu for t in self.timings)


@dataclass
class SizeResult:
    incidents: int
    scenarios: dict[str, Measured]
    counts: dict[str, int]


def measure(
    engine: Engine, maker: SheetMaker, background: Background, repeat: int
) -> dict[str, Measured]:
    """Each scenario `repeat` times (after `WARMUP` untimed), interleaved, then planned.

    Every recording is a different resident's sheet; existing residents are background ones
    that no earlier recording touched, so each has exactly its 20 incidents.
    """
    count = WARMUP + repeat + 1  # the warm-up, the timed ones, the plan check
    fresh = sorted(set(background.resident_ids) - maker.used)
    residents = maker.rng.sample(fresh, count)
    maker.used.update(residents)
    with session_factory(engine)() as session:
        sheets = {
            "new resident": [maker.new_resident() for _ in range(count)],
            "existing resident": [maker.existing_resident(session, r) for r in residents],
        }
    timings: dict[str, list[Timing]] = {name: [] for name in SCENARIOS}
    for index in range(WARMUP + repeat):
        for name in SCENARIOS:
            timing = record(engine, sheets[name][index])
            if index >= WARMUP:
                timings[name].append(timing)
    return {
        name: Measured(timings[name], plan_check(engine, sheets[name][-1])) for name in SCENARIOS
    }


def _bulk_load_settings(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return "Core insert, executemany, foreign keys off"
    return "COPY, foreign-key triggers off"


def run_backend(
    backend: str, url: str, sizes: Sequence[int], repeat: int, seed: int
) -> list[SizeResult]:
    print(f"\n== {backend}: {url}", flush=True)
    start = time.perf_counter()
    upgrade(url)
    print(f"   migrated in {time.perf_counter() - start:.1f} s", flush=True)
    engine = make_engine(url)
    loader = make_engine(url)
    background = Background()
    maker = SheetMaker(random.Random(seed))
    results = []
    try:
        for size in sizes:
            start = time.perf_counter()
            written = load(loader, background, size)
            loaded = time.perf_counter() - start
            start = time.perf_counter()
            analyze(loader)
            analyzed = time.perf_counter() - start
            counts = table_counts(engine)
            print(
                f"\n   {size:,}: loaded {written:,} rows ({_bulk_load_settings(loader)}) in "
                f"{loaded:.1f} s, {written / max(loaded, 1e-9):,.0f} rows/s; ANALYZE "
                f"{analyzed:.1f} s; the database holds {counts['incidents']:,} incidents, "
                f"{counts['residents']:,} residents, {counts['persons']:,} persons",
                flush=True,
            )
            results.append(SizeResult(size, measure(engine, maker, background, repeat), counts))
            print_size(results[-1])
    finally:
        engine.dispose()
        loader.dispose()
    return results


def _shorten(statement: str) -> str:
    flat = " ".join(statement.split())
    # The column list says nothing about the plan: keep FROM onwards.
    return re.sub(r"^SELECT (?:(?!\bFROM\b).){80,}? FROM ", "SELECT ... FROM ", flat)


def print_size(result: SizeResult) -> None:
    for name, measured in result.scenarios.items():
        walls = [t.wall for t in measured.timings]
        plan = measured.plan
        verbs = ", ".join(f"{count} {verb}" for verb, count in sorted(plan.by_verb.items()))
        print(
            f"   {name}: median {measured.wall * 1e3:.1f} ms wall (min {min(walls) * 1e3:.1f}, "
            f"max {max(walls) * 1e3:.1f}), {measured.cpu * 1e3:.1f} ms CPU here; "
            f"{plan.statements} statements ({verbs}); {plan.new} new, {plan.repeated} repeated"
            + ("" if plan.joined is None else f"; joined their open case: {plan.joined}")
        )
        on_incidents = plan.on("incidents")
        print(f"     full scans of incidents: {len(on_incidents) or 'none'}")
        for scan in plan.scans:
            rows = result.counts.get(scan.table)
            size = "" if rows is None else f" ({rows:,} rows)"
            print(f"     - {scan.kind} of {scan.table}{size}: {scan.detail}")
            print(textwrap.indent(textwrap.fill(_shorten(scan.statement), 92), "         "))


def print_summary(results: dict[str, list[SizeResult]]) -> bool:
    sizes = [r.incidents for r in next(iter(results.values()))]
    print(
        f"\nsummary: median wall time to record + commit one sheet of {SHEET_INCIDENTS} incidents"
        f"; ratio = {sizes[-1]:,} / {sizes[0]:,} (target <= {TARGET_RATIO}x)"
    )
    heading = "".join(f"{size:>12,}" for size in sizes)
    print(f"{'backend':<12}{'scenario':<19}{heading}{'ratio':>8}{'CPU ratio':>11}  result")
    passed = True
    for backend, rows in results.items():
        for name in SCENARIOS:
            first, last = rows[0].scenarios[name], rows[-1].scenarios[name]
            ratio, cpu_ratio = last.wall / first.wall, last.cpu / first.cpu
            scans = last.plan.on("incidents")
            ok = ratio <= TARGET_RATIO and not scans
            passed = passed and ok
            cells = "".join(f"{r.scenarios[name].wall * 1e3:>9.1f} ms" for r in rows)
            verdict = "PASS" if ok else "FAIL"
            if scans:
                verdict += f" ({len(scans)} full scans of incidents)"
            print(f"{backend:<12}{name:<19}{cells}{ratio:>7.2f}x{cpu_ratio:>10.2f}x  {verdict}")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument(
        "--backends", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("DIARYDESK_BENCH_POSTGRES"),
        help="admin DSN with CREATEDB (default: the local `postgres`, then `test` database)",
    )
    args = parser.parse_args()
    sizes = sorted(set(args.sizes))
    per_size = WARMUP + args.repeat + 1  # existing residents used at each size
    if len(sizes) < 2 or sizes[0] < INCIDENTS_PER_RESIDENT * per_size * 2 or args.repeat < 1:
        parser.error(
            f"give two or more sizes, the smallest at least {INCIDENTS_PER_RESIDENT * per_size * 2}"
            ", and --repeat >= 1"
        )
    admin = [args.postgres] if args.postgres else list(DEFAULT_POSTGRES)
    if "postgresql" in args.backends:
        _admin_connect(admin).close()  # unreachable: say so now, not after the SQLite run
    _install_sigterm_handler()
    started = time.perf_counter()
    grows = ", ".join(f"{size:,}" for size in sizes)
    print(
        f"store benchmark: record one pre-parsed sheet of {SHEET_INCIDENTS} incidents, median "
        f"of {args.repeat}, as the store grows to {grows} incidents "
        f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})"
    )
    databases: dict[str, Callable[[], Any]] = {
        "sqlite": sqlite_database,
        "postgresql": lambda: postgres_database(admin),
    }
    results: dict[str, list[SizeResult]] = {}
    for backend in args.backends:
        with databases[backend]() as url:
            results[backend] = run_backend(backend, url, sizes, args.repeat, args.seed)
    passed = print_summary(results)
    print(
        f"\ntotal {time.perf_counter() - started:.0f} s; load average now "
        f"{os.getloadavg()[0]:.1f} (other work on the machine makes wall times noisy: compare "
        "the CPU ratio and the plan check)"
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
