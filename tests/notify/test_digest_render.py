"""The digest as a browser draws it: headless Chromium renders a realistic morning's digest, the
screenshot must not be blank, and the text on the page must carry the case timeline.

The screenshot is kept at tests/artifacts/digest.png (git-ignored) for the README. Chromium is
Debian's `chromium`; without it the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from notify.digest import Digest, build_digest
from parsers.template import Entry
from store.models import Case
from tests.notify.test_digest import (
    AISHA,
    DEAN,
    GARY,
    NOW,
    SINCE,
    TOM,
    TOM_HEADER,
    Inbox,
    header,
    healthy_worker,
    settings,
)

REPO = Path(__file__).resolve().parents[2]
ARTIFACT = REPO / "tests" / "artifacts" / "digest.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_TIMEOUT_S = 90
# Tall enough for the whole of this morning's digest, timelines included.
WINDOW = "1000,3000"
HEADER_NAVY = (0x1F, 0x3A, 0x5F)
RHYS, KELLY = "Mr Rhys Evans", "Kelly Shaw"


def chromium() -> str:
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI=true (Debian package `chromium`)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def morning(session: Session, samples: Path) -> Digest:
    """A realistic Tuesday: three residents' sheets, one unreadable, one threshold met."""
    inbox = Inbox(session)
    # Three weeks ago: an officer took it on, and nobody has updated it since.
    sandra = inbox.sheet(
        "sandra.bell@example.org",
        [
            Entry(
                "06/11/2026",
                "8.30pm",
                "front garden",
                "He threw eggs at my front window and swore at my daughter.",
                "Lee Cartwright",
                "my daughter Chloe",
                "Upset",
            )
        ],
        at=dt.datetime(2026, 11, 9, 10, tzinfo=dt.UTC),
        sheet_header=header(
            "Mrs Sandra Bell",
            "Lee Cartwright",
            address="22 Station Road, Melton LE13 0DX",
            officer="PC 1187 Mark Hughes",
            reference="43260011874",
        ),
    )
    last_week = SINCE - dt.timedelta(days=6)
    inbox.sheet(
        "aisha@example.org",
        [
            Entry(
                "17/11/2026",
                "10.30pm",
                "outside my front door",
                "He shouted abuse at me through the letterbox and kicked the door.",
                GARY,
                "my son Imran",
                "I could not sleep",
                "5781/17NOV",
            ),
            Entry(
                "20/11/2026",
                "about 4pm",
                "car park",
                "He stood by my car and filmed me on his phone while I unloaded the shopping.",
                GARY,
                "",
                "Frightened to go out",
            ),
        ],
        at=last_week,
    )
    tom = inbox.sheet(
        "tom@example.org",
        [
            Entry(
                "21/11/2026",
                "11pm",
                "my bedroom",
                "Music through the wall until 2am again, bass so loud the window rattled.",
                DEAN,
            )
        ],
        at=last_week + dt.timedelta(hours=3),
        sheet_header=TOM_HEADER,
    )
    aisha = inbox.sheet(
        "aisha@example.org",
        [
            Entry(
                "27/11/2026",
                "7.45am",
                "the stairwell",
                "He blocked the stairs and swore at me until my neighbour came out.",
                GARY,
                "Mrs Lewis at no. 12",
                "Shaking all morning",
            ),
            Entry(
                "29/11/2026",
                "between 9 and 11pm",
                "outside my front door",
                "He threatened to put my windows in and said he would hurt me if I called "
                "the police.",
                GARY,
                "",
                "Terrified",
            ),
        ],
        at=NOW - dt.timedelta(hours=13),
    )
    inbox.sheet(
        "tom@example.org",
        [
            Entry(
                "27/11/2026",
                "10pm",
                "my bedroom",
                "Banging on the shared wall and music until after midnight.",
                DEAN,
            ),
            Entry(
                "28/11/2026",
                "1.30am",
                "landing",
                "Left rubbish bags against my door and scratched the paintwork with a key.",
                DEAN,
            ),
        ],
        at=NOW - dt.timedelta(hours=11),
        sheet_header=TOM_HEADER,
    )
    inbox.sheet(
        "rhys@example.org",
        [
            Entry(
                "30/11/2026",
                "6pm",
                "the shop on Mill Lane",
                "She called me names about my accent in front of the other customers.",
                KELLY,
                "the shopkeeper",
                "Embarrassed and upset",
                "6120/30NOV",
            )
        ],
        at=NOW - dt.timedelta(hours=2),
        sheet_header=header(
            RHYS,
            KELLY,
            address="9 Mill Lane, Melton LE13 1QP",
            officer="PCSO 7702 Amy Cole",
            reference="43260015522",
        ),
    )
    inbox.file(
        "jo.reilly@example.org",
        (samples / "pdf-renamed.docx").read_bytes(),
        at=NOW - dt.timedelta(hours=1),
        filename="diary sheet Nov.docx",
    )
    # Tom's case has its officer; Aisha's, with a threat in it, is waiting for one.
    session.execute(
        update(Case)
        .where(Case.id.in_(tom.case_ids | sandra.case_ids))
        .values(officer_assigned="Priya Shah")
    )
    session.commit()
    healthy_worker(session)
    assert len(aisha.new_incident_ids) == 2
    return build_digest(session, settings(), now=NOW, since=SINCE)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def page_text(dom: str) -> str:
    parser = _Text()
    parser.feed(dom)
    return " ".join(" ".join(parser.parts).split())


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB(A) rows of an 8-bit, non-interlaced PNG (what Chromium writes),
    decoded with zlib and the five PNG row filters."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, bytearray()
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, "only 8-bit, non-interlaced PNGs"
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def colours(data: bytes) -> dict[tuple[int, int, int], int]:
    width, _, rows = png_pixels(data)
    channels = len(rows[0]) // width
    counts: dict[tuple[int, int, int], int] = {}
    for row in rows:
        for x in range(0, len(row), channels):
            pixel = (row[x], row[x + 1], row[x + 2])
            counts[pixel] = counts.get(pixel, 0) + 1
    return counts


@pytest.mark.parametrize("backend", ["sqlite"])
def test_chromium_renders_the_digest_with_its_case_timeline(
    session: Session, samples: Path, tmp_path: Path
) -> None:
    browser = chromium()
    result = morning(session, samples)
    page = tmp_path / "digest.html"
    page.write_text(result.html, encoding="utf-8")
    common = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={WINDOW}",
    ]
    shot = tmp_path / "digest.png"
    subprocess.run(
        [
            *common,
            f"--user-data-dir={tmp_path / 'profile-shot'}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=CHROMIUM_TIMEOUT_S,
    )
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=CHROMIUM_TIMEOUT_S,
    ).stdout

    data = shot.read_bytes()
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_bytes(data)
    counts = colours(data)
    total = sum(counts.values())
    background, most = max(counts.items(), key=lambda item: item[1])
    assert len(counts) > 50, "a blank or single-colour screenshot"
    assert total - most > total // 10, f"almost everything is {background}"
    assert counts.get(HEADER_NAVY, 0) > 10_000, "the header's inline background was not drawn"

    text = page_text(dom)
    assert "Staff digest, Tue 1 Dec" in text
    timelines = text[text.index("Case timelines") :]
    aisha_case = result.timelines[0].case
    assert aisha_case.resident == AISHA
    assert f"#{aisha_case.id} {AISHA} about {GARY}" in timelines
    for day in ("Tue 17 Nov 2026", "Fri 27 Nov 2026", "Sun 29 Nov 2026"):
        assert day in timelines
    assert timelines.index("Tue 17 Nov 2026") < timelines.index("Sun 29 Nov 2026")
    assert f"{TOM} about {DEAN}" in timelines
    assert "diary sheet Nov.docx" in text and "ask the resident for the police reference" in text
    assert result.urgent and result.overdue and result.thresholds
