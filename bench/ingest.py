"""End-to-end ingest against a loopback Dovecot, beside the floor measured in the same run.

    .venv/bin/python bench/ingest.py [--messages 10000] [--small 1000]

For each backlog size, a fresh mailbox gets that many emails (a fifth with a diary sheet, the
rest ordinary enquiries and forwarded enquiries). Then, each in its own process so peak RSS is
its own:
- floor: imapclient fetching every message's body (BODY.PEEK[], same batch size), nothing else;
- worker: one `Poller.poll()` of the production worker (MIME, parser, store on a fresh SQLite
  file, moves), until the backlog is empty.
Printed: messages per second, the worker's time as a ratio of the floor's, and peak RSS of the
small and the large backlog (the target: within 3x of the floor, RSS ratio <= 1.2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers.template import Entry, build_template  # noqa: E402

DOCX = "vnd.openxmlformats-officedocument.wordprocessingml.document"
BATCH = 50
MARK = "RESIDENT-MARK"
ADDRESS_MARK = "ADDRESS-MARK"
FIRST = ("Gary", "Kyle", "Wayne", "Darren", "Tyler", "Dean", "Kelly", "Shane", "Lee", "Jade")
SURNAMES = ("Hollis", "Dunmore", "Tolley", "Cope", "Nash", "Marsh", "Shaw", "Bell", "Reed")
STREETS = ("Elm Road", "Oak Street", "Mill Lane", "Park Avenue", "Church Close", "Kings Way")


def _base_sheets(count: int, rng: random.Random) -> list[bytes]:
    sheets = []
    for n in range(count):
        who = f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}"
        entries = [
            Entry(
                date=f"{rng.randint(1, 28)}/{rng.randint(1, 11)}/2026",
                time=f"{rng.randint(0, 23):02d}:{rng.choice(['00', '15', '30', '45'])}",
                where="outside my front door",
                what=rng.choice(
                    [
                        "He shouted abuse at me and kicked the door.",
                        "Loud music until 3am, banging on the wall.",
                        "She threatened to smash my windows.",
                        "Rubbish thrown into my garden again.",
                    ]
                ),
                who=who,
                police_ref=rng.choice(["", f"CAD {rng.randint(1000, 9999)}/0{n % 9 + 1}NOV26"]),
            )
            for _ in range(rng.randint(2, 6))
        ]
        header = {"Your name": MARK, "Address": ADDRESS_MARK}
        sheets.append(build_template(header=header, entries=entries, blank_rows=2))
    return sheets


def _unique(sheet: bytes, n: int) -> bytes:
    """The same sheet with the resident's name made unique: distinct bytes, distinct resident,
    without paying python-docx's 20 ms per sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sheet)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                # Residents live on many streets: a real backlog is not one street's.
                street = f"{n % 97 + 1} {STREETS[n % len(STREETS)]} {n // 97 % 40 + 1}"
                data = data.replace(MARK.encode(), f"Resident {n:05d}".encode())
                data = data.replace(ADDRESS_MARK.encode(), street.encode())
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _email(n: int, rng: random.Random, sheets: list[bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = f"Resident {n:05d} <resident{n:05d}@example.net>"
    message["To"] = "asb@example-housing.org.uk"
    message["Date"] = format_datetime(
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    )
    message["Message-ID"] = f"<bench{n}@example.net>"
    kind = n % 5
    if kind == 0:
        message["Subject"] = "My diary sheet"
        message.set_content("Please find my diary attached.\n")
        message.add_attachment(
            _unique(rng.choice(sheets), n),
            maintype="application",
            subtype=DOCX,
            filename="diary.docx",
        )
    elif kind == 1:
        inner = EmailMessage()
        inner["From"] = "someone@example.org"
        inner["Subject"] = "Repairs"
        inner.set_content("The gutter is leaking again. " * 40)
        message["Subject"] = "Fwd: Repairs"
        message.set_content("Forwarding this one.\n")
        message.add_attachment(inner)
    else:
        message["Subject"] = rng.choice(["Rent statement", "Boiler", "Parking permit", "Bins"])
        body = "Hello, could you help with this please? " * rng.randint(5, 80)
        message.set_content(body)
        message.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    return message.as_bytes()


def _deliver(maildir: Path, count: int, seed: int) -> int:
    rng = random.Random(seed)
    sheets = _base_sheets(12, rng)
    owner = maildir.stat()
    new = maildir / "new"
    total = 0
    for n in range(count):
        raw = _email(n, rng, sheets)
        path = new / f"{1764000000 + n}.M{n}P1.bench"
        path.write_bytes(raw)
        os.chown(path, owner.st_uid, owner.st_gid)
        total += len(raw)
    return total


# --- child processes ------------------------------------------------------------------------


def _floor(args: dict[str, object]) -> dict[str, object]:
    from imapclient import IMAPClient

    started = time.perf_counter()
    client = IMAPClient(str(args["host"]), int(str(args["port"])), ssl=False, timeout=60)
    client._imap.debug = 0  # same setting the worker's ImapSource uses
    client.login(str(args["user"]), str(args["password"]))
    if args.get("move") and not client.folder_exists("Moved"):
        client.create_folder("Moved")
    client.select_folder("INBOX", readonly=not args.get("move"))
    uids = sorted(client.search("ALL"))
    size = 0
    for start in range(0, len(uids), BATCH):
        fetched = client.fetch(uids[start : start + BATCH], ["BODY.PEEK[]", "INTERNALDATE"])
        size += sum(len(item[b"BODY[]"]) for item in fetched.values())
        if args.get("move"):
            client.move(uids[start : start + BATCH], "Moved")
    client.logout()
    return {"seconds": time.perf_counter() - started, "messages": len(uids), "bytes": size}


def _worker(args: dict[str, object]) -> dict[str, object]:
    from ingest.config import MailboxSettings, Settings
    from ingest.cycle import Poller
    from ingest.sources.imap import ImapSource
    from store.db import make_engine, session_factory, upgrade

    url = f"sqlite:///{args['db']}"
    upgrade(url)
    mailbox = MailboxSettings(
        kind="imap",
        host=str(args["host"]),
        port=int(str(args["port"])),
        security="none",
        username=str(args["user"]),
        password_file=str(args["password_file"]),
        batch_size=BATCH,
    )
    engine = make_engine(url)
    poller = Poller(
        Settings(mailbox=mailbox), session_factory(engine), ImapSource(mailbox), holder="bench"
    )
    started = time.perf_counter()
    counts = poller.poll()
    elapsed = time.perf_counter() - started
    assert counts is not None
    return {"seconds": elapsed, "messages": counts.seen, "recorded": counts.recorded}


def _child(mode: str, args: dict[str, object]) -> None:
    result = _worker(args) if mode == "worker" else _floor(args)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _run_child(mode: str, args: dict[str, object]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "ARGS"))
    options = parser.parse_args()
    if options.child:
        _child(options.child[0], json.loads(options.child[1]))
        return

    from tests.dovecot_fixture import DovecotServer, dovecot_binary

    binary = dovecot_binary()
    if binary is None:
        sys.exit("dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="bench-dovecot-"))
    server = DovecotServer(binary, root, certificates=None)
    server.start()
    results = {}
    try:
        for count in (options.small, options.messages):
            mailbox = server.add_user()
            with mailbox.client() as client:
                client.select_folder("INBOX")  # makes the maildir
            built = time.perf_counter()
            size = _deliver(mailbox.maildir, count, seed=count)
            took = time.perf_counter() - built
            print(f"{count} messages, {size / 1e6:.0f} MB, built in {took:.1f}s", flush=True)
            args: dict[str, object] = {
                "host": mailbox.host,
                "port": mailbox.port,
                "user": mailbox.user,
                "password": mailbox.password,
                "password_file": str(mailbox.password_file),
                "db": str(root / f"bench-{count}.sqlite3"),
            }
            floor = _run_child("floor", args)
            worker = _run_child("worker", args)
            results[count] = (floor, worker)
            # What any worker must also do: move every message out of the inbox, here in the
            # same batches, on a second mailbox with the same emails.
            moving = server.add_user()
            with moving.client() as client:
                client.select_folder("INBOX")
            _deliver(moving.maildir, count, seed=count)
            moved = _run_child(
                "floor",
                {**args, "user": moving.user, "password": moving.password, "move": True},
            )
            print(
                f"  floor  {floor['seconds']:7.2f}s  {count / floor['seconds']:8.0f} msg/s  "
                f"peak RSS {floor['rss_mb']:6.1f} MB",
                flush=True,
            )
            print(
                f"  floor with MOVE of every batch {moved['seconds']:7.2f}s  "
                f"{count / moved['seconds']:8.0f} msg/s",
                flush=True,
            )
            print(
                f"  worker {worker['seconds']:7.2f}s  {count / worker['seconds']:8.0f} msg/s  "
                f"peak RSS {worker['rss_mb']:6.1f} MB  ratio to floor "
                f"{worker['seconds'] / floor['seconds']:.1f}x, to the moving floor "
                f"{worker['seconds'] / moved['seconds']:.1f}x  (recorded {worker['recorded']})",
                flush=True,
            )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    small, large = results[options.small][1], results[options.messages][1]
    print(
        f"peak RSS {options.small} vs {options.messages} messages: "
        f"{large['rss_mb'] / small['rss_mb']:.2f}x (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
