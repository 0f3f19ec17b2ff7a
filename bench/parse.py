"""Parse benchmark: documents per second against the floor measured in the same run.

The floor is the least any reader must do: open the zip, lxml-parse word/document.xml and walk
every w:t. Targets (issue 2): a typical sheet within 3x the floor, a 2,000-row sheet within 5x,
and peak memory under 100 MB for a 20 MB document. Run: `.venv/bin/python bench/parse.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from parsers import dates, parse_sheet
from parsers.template import Entry, build_template

ROOT = Path(__file__).resolve().parents[1]

RECEIVED = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"


def floor(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    return sum(len(t.text or "") for t in root.iter(W_T))


def parse(data: bytes) -> int:
    return len(parse_sheet(data, received=RECEIVED).incidents)


def best_of(fn: Callable[[bytes], int], data: bytes, repeat: int) -> float:
    """Median seconds per call: the median resists the odd scheduling hiccup on 2 cores."""
    fn(data)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(data)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def diary_rows(count: int, seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    words = (
        "he shouted abuse at me outside the flat and kicked my door then followed me to the "
        "bus stop loud music until late banging on the wall sent texts calling me names"
    ).split()
    day = RECEIVED.date() - dt.timedelta(days=count // 3 + 1)
    rows = []
    for index in range(count):
        day += dt.timedelta(days=index % 2)
        hour = rng.randrange(0, 24)
        rows.append(
            Entry(
                date=f"{day:%d/%m/%Y}",
                time=f"{hour:02d}:{rng.randrange(60):02d}" if hour > 12 else f"{hour or 12}pm",
                where="outside my front door",
                what=" ".join(rng.choices(words, k=rng.randrange(8, 45))),
                who="Gary Hollis",
                witnesses="my son Imran" if index % 3 else "",
                effect="I could not sleep",
                police_ref=f"{rng.randrange(1, 9999)}/{day:%d%b}".upper() if index % 5 == 0 else "",
            )
        )
    return rows


def samples_dir() -> Path:
    configured = os.environ.get("DIARYDESK_SAMPLES")
    return Path(configured) if configured else ROOT.parent / "shared" / "samples"


def bench_documents(repeat: int) -> list[tuple[str, float, float]]:
    cases: list[tuple[str, bytes]] = []
    for path in sorted(samples_dir().glob("*.docx")):
        data = path.read_bytes()
        if data.startswith(b"PK"):
            cases.append((path.name, data))
    cases.append(("generated 2,000-row sheet", build_template(entries=diary_rows(2000))))
    results = []
    for name, data in cases:
        runs = max(3, repeat // 20) if "2,000" in name else repeat
        results.append((name, best_of(floor, data, runs), best_of(parse, data, runs)))
    return results


def bench_dates(count: int) -> tuple[float, float]:
    base = RECEIVED.date()
    fast = [f"{d % 28 + 1:02d}/{d % 12 + 1:02d}/2026" for d in range(count)]
    # Forms only dateparser reads (the fast paths hand them on): relative phrases.
    slow = [f"{d % 20 + 2} days ago" for d in range(max(20, count // 50))]
    start = time.perf_counter()
    for text in fast:
        dates.parse_date(text, base=base)
    fast_rate = len(fast) / (time.perf_counter() - start)
    dates.parse_date(slow[0], base=base)  # warm the dateparser singleton
    start = time.perf_counter()
    for text in slow:
        dates.parse_date(text, base=base)
    slow_rate = len(slow) / (time.perf_counter() - start)
    return fast_rate, slow_rate


_MEMORY_CHILD = """
import resource, sys, datetime as dt
sys.path.insert(0, {root!r})
from parsers import parse_sheet
data = open({path!r}, 'rb').read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = parse_sheet(data, received=dt.datetime(2026, 11, 30))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(data), before, after, result.status, len(result.incidents))
"""


def big_documents(workdir: Path) -> list[tuple[str, Path]]:
    """A 20 MB .docx of photos plus a diary, and one whose document XML alone is ~20 MB."""
    workdir.mkdir(parents=True, exist_ok=True)
    photos = workdir / "photos-20mb.docx"
    base = build_template(entries=diary_rows(30))
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(photos, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        rng = random.Random(3)
        for index in range(19):
            target.writestr(f"word/media/photo{index}.jpeg", rng.randbytes(1024 * 1024))
    text_heavy = workdir / "xml-20mb.docx"
    text_heavy.write_bytes(build_template(entries=diary_rows(12000)))
    return [("20 MB .docx (photos + 30 rows)", photos), ("~20 MB document XML", text_heavy)]


def bench_memory(workdir: Path) -> list[tuple[str, int, int, str]]:
    results = []
    for name, path in big_documents(workdir):
        with zipfile.ZipFile(path) as archive:
            xml_size = archive.getinfo("word/document.xml").file_size
        code = _MEMORY_CHILD.format(root=str(ROOT), path=str(path))
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        size, before, after = int(out[0]), int(out[1]), int(out[2])
        label = f"{name}: file {size / 1e6:.1f} MB, document.xml {xml_size / 1e6:.1f} MB"
        results.append((label, before, after, f"{out[3]}, {out[4]} incidents"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/diarydesk-bench"))
    args = parser.parse_args()

    print("documents: median time per document, parse_sheet vs floor (zip + lxml + every w:t)")
    print(f"{'document':<36} {'floor ms':>9} {'parse ms':>9} {'docs/s':>8} {'ratio':>7}")
    for name, floor_s, parse_s in bench_documents(args.repeat):
        print(
            f"{name:<36} {floor_s * 1e3:9.2f} {parse_s * 1e3:9.2f} {1 / parse_s:8.1f} "
            f"{parse_s / floor_s:6.2f}x"
        )
    fast_rate, slow_rate = bench_dates(20000)
    print(
        f"\ndates: fast path {fast_rate:,.0f}/s; dateparser path {slow_rate:,.0f}/s "
        f"({fast_rate / slow_rate:,.0f}x)"
    )
    print("\nmemory: peak RSS of a fresh process parsing one document")
    for label, before, after, outcome in bench_memory(args.workdir):
        print(
            f"{label}: {before / 1024:.0f} MB after imports, {after / 1024:.0f} MB peak "
            f"(+{(after - before) / 1024:.0f} MB; {outcome})"
        )


if __name__ == "__main__":
    main()
