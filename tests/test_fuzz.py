"""Property tests: whatever bytes arrive, parse_sheet returns a SheetResult and never raises.

Seeds are the valid sample sheets in /work/shared/samples (or $DIARYDESK_SAMPLES): their bytes
are mutated (a), their word/document.xml is mutated and re-zipped (b), their package structure is
bent (d); plain and magic-prefixed random bytes are fed in (c); and unmutated samples are read
against arbitrary received dates (e). Every result must keep the output contract: problem set
exactly when not parsed, no incidents when rejected, JSON-serialisable with no empty strings, and
no incident dated after the day the email was received.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import resource
import signal
import traceback
import warnings
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import parse_sheet
from parsers.model import Incident, SheetResult, Status, to_json

DEFAULT_RECEIVED = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
HARD_LIMIT_SECONDS = 5.0
MEMORY_CAP = 4 << 30  # address space for the whole pytest process while this module runs


def fuzz(examples: int) -> Any:
    """Hypothesis settings: a 2 s deadline per parse, fresh random examples each run, and no
    example database (nothing is written into the repository)."""
    return settings(
        max_examples=examples, deadline=timedelta(seconds=2), database=None, derandomize=False
    )


def samples_dir() -> Path:
    env = os.environ.get("DIARYDESK_SAMPLES")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "samples"


def valid_samples() -> list[Path]:
    """Sample .docx files expected to parse (their .expected.json says so, or they are zips)."""
    directory = samples_dir()
    found = []
    for path in sorted(directory.glob("*.docx")) if directory.is_dir() else []:
        expected = path.with_suffix(".expected.json")
        if expected.exists():
            if json.loads(expected.read_text()).get("status") == "parsed":
                found.append(path)
        elif zipfile.is_zipfile(path):
            found.append(path)
    return found


def sample_received_dates() -> dict[str, datetime]:
    """The `--received` column of the samples README: `| `name.docx` | ... | `ISO` |`."""
    readme = samples_dir() / "README.md"
    if not readme.exists():
        return {}
    pattern = re.compile(r"^\|\s*`([^`]+)`\s*\|.*\|\s*`([^`]+)`\s*\|\s*$")
    found = {}
    for line in readme.read_text().splitlines():
        match = pattern.match(line)
        if match:
            try:
                found[match.group(1)] = datetime.fromisoformat(match.group(2))
            except ValueError:
                continue
    return found


SAMPLES = valid_samples()
RECEIVED_FOR = sample_received_dates()
SAMPLE_PARAMS = [pytest.param(path, id=path.name) for path in SAMPLES] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"no valid samples in {samples_dir()}"))
]


def received_for(sample: Path) -> datetime:
    return RECEIVED_FOR.get(sample.name, DEFAULT_RECEIVED)


@pytest.fixture(scope="module", autouse=True)
def _bounded_memory() -> Iterator[None]:
    """Cap this process's address space while fuzzing, so a runaway parse fails with
    MemoryError instead of taking the machine's memory. Restored afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = MEMORY_CAP if hard == resource.RLIM_INFINITY else min(MEMORY_CAP, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module", autouse=True)
def _warm_up(_bounded_memory: None) -> None:
    """One untimed parse per sample so that lazy imports do not count against the deadline."""
    for path in SAMPLES:
        parse_sheet(path.read_bytes(), received=received_for(path))
    parse_sheet(b"", received=DEFAULT_RECEIVED)


# --------------------------------------------------------------------------- the contract


def _strings(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def check_result(result: object, received: datetime) -> None:
    assert isinstance(result, SheetResult), f"returned {type(result).__name__}"
    assert isinstance(result.status, Status)
    if result.status == Status.PARSED:
        assert result.problem is None, f"parsed but problem {result.problem}"
    else:
        assert result.problem is not None, f"{result.status} without a problem"
        assert isinstance(result.problem.code, str) and result.problem.code
        assert isinstance(result.problem.message, str) and result.problem.message
    if result.status == Status.REJECTED:
        assert result.incidents == ()
    today: date = received.date()
    for incident in result.incidents:
        assert isinstance(incident, Incident)
        assert incident.date is None or incident.date <= today, (
            f"incident dated {incident.date} after received {today}: {incident.date_text!r}"
        )
    as_json = to_json(result, "fuzz.docx")
    json.dumps(as_json)
    assert "" not in _strings(as_json), f"empty string in output: {as_json}"


class ParseTooSlow(Exception):
    pass


def _too_slow(signum: int, frame: object) -> None:
    raise ParseTooSlow


def parse_and_check(data: bytes, received: datetime) -> None:
    """Parse under a hard wall-clock limit (and the module's memory cap), then check the contract.

    Hypothesis' deadline is only checked after an example returns, so a parse that runs away
    (e.g. a tiny document that makes the parser build a huge grid) would otherwise stall the run;
    the alarm turns it into a failure that Hypothesis can shrink and report. The runaway's frames
    are cleared before failing, so the examples Hypothesis keeps do not pin gigabytes.
    """
    failure = None
    previous = signal.signal(signal.SIGALRM, _too_slow)
    signal.setitimer(signal.ITIMER_REAL, HARD_LIMIT_SECONDS)
    try:
        result = parse_sheet(data, received=received)
    except ParseTooSlow as err:
        failure = f"parse_sheet did not return within {HARD_LIMIT_SECONDS} s"
        traceback.clear_frames(err.__traceback__)
    except MemoryError as err:
        failure = f"parse_sheet needed more than {MEMORY_CAP >> 30} GB"
        traceback.clear_frames(err.__traceback__)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if failure is not None:
        raise AssertionError(failure)  # outside the handler: no chained exception to keep alive
    check_result(result, received)


# --------------------------------------------------------------------------- (a) raw bytes

byte_ops = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "truncate"]),
        st.integers(min_value=0, max_value=2**31),
        st.booleans(),  # aim at the last 4 KB: central directory and end record
        st.binary(min_size=1, max_size=32),
    ),
    min_size=1,
    max_size=6,
)


def mutate_bytes(data: bytes, ops: list[tuple[str, int, bool, bytes]]) -> bytes:
    buf = bytearray(data)
    for kind, position, near_end, payload in ops:
        size = len(buf)
        if size == 0:
            buf[:] = payload
            continue
        offset = size - 1 - position % min(size, 4096) if near_end else position % size
        if kind == "flip":
            for k, mask in enumerate(payload[: size - offset]):
                buf[offset + k] ^= mask or 0x01
        elif kind == "insert":
            buf[offset:offset] = payload
        elif kind == "delete":
            del buf[offset : offset + len(payload)]
        else:
            del buf[offset:]
    return bytes(buf)


@pytest.mark.parametrize("sample", SAMPLE_PARAMS)
@fuzz(150)
@given(ops=byte_ops)
def test_mutated_bytes_never_raise(sample: Path, ops: list[tuple[str, int, bool, bytes]]) -> None:
    parse_and_check(mutate_bytes(sample.read_bytes(), ops), received_for(sample))


# --------------------------------------------------------------------------- (b) document.xml

# Inserted anywhere (usually breaks well-formedness).
TOKENS = [
    "<w:sdt>",
    "</w:sdt>",
    "<w:sdtContent>",
    "</w:tc>",
    "<w:tc>",
    "</w:tr>",
    "<w:tr>",
    "<w:tbl>",
    "</w:tbl>",
    "</w:p>",
    "<w:t>",
    "</w:t>",
    "<!DOCTYPE x>",
    '<!DOCTYPE x [<!ENTITY e "eeeeeeee">]>',
    "&amp;",
    "&lt;",
    "&e;",
    "&#0;",
    "&#x1F600;",
    "&#xD800;",
    "<![CDATA[",
    "]]>",
    "<?pi data?>",
    "<!-- comment -->",
    '"',
    "'",
    ">",
    "<",
    "\x00",
    "\ufeff",
    "xmlns:w=''",
]
# Balanced, so inserted before a tag inside the body they keep the document well-formed and reach
# the table / paragraph / field / grid logic.
FRAGMENTS = [
    "<w:sdt><w:sdtContent></w:sdtContent></w:sdt>",
    "<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:p/></w:sdtContent></w:sdt>",
    "<w:tc><w:p/></w:tc>",
    "<w:tc/>",
    "<w:tr/>",
    "<w:tr><w:tc><w:p><w:r><w:t>Example</w:t></w:r></w:p></w:tc></w:tr>",
    "<w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>",
    "<w:tbl/>",
    "<w:p/>",
    "<w:p><w:r><w:t>Date</w:t></w:r></w:p>",
    "<w:r><w:t>03/03/2026 10pm</w:t></w:r>",
    "<w:r><w:br/><w:tab/><w:cr/><w:noBreakHyphen/><w:softHyphen/></w:r>",
    '<w:r><w:sym w:font="Wingdings" w:char="F0FC"/></w:r>',
    '<w:r><w:sym w:font="Symbol" w:char="ZZZZ"/></w:r>',
    '<w:tcPr><w:gridSpan w:val="100000000"/></w:tcPr>',
    '<w:tcPr><w:gridSpan w:val="-3"/></w:tcPr>',
    '<w:tcPr><w:gridSpan w:val="two"/></w:tcPr>',
    '<w:tcPr><w:vMerge w:val="restart"/></w:tcPr>',
    "<w:tcPr><w:vMerge/></w:tcPr>",
    '<w:trPr><w:gridBefore w:val="100000000"/></w:trPr>',
    '<w:trPr><w:gridAfter w:val="99999999"/></w:trPr>',
    '<w:trPr><w:del w:id="1" w:author="x" w:date="2026-01-01T00:00:00Z"/></w:trPr>',
    "<w:trPr><w:tblHeader/></w:trPr>",
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
    '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
    "<w:r><w:instrText> FORMTEXT </w:instrText></w:r>",
    '<w:fldSimple w:instr="DATE"><w:r><w:t>31/02/2026</w:t></w:r></w:fldSimple>',
    "<w:del><w:r><w:delText>gone</w:delText></w:r></w:del>",
    "<w:ins><w:r><w:t>added</w:t></w:r></w:ins>",
    '<w:altChunk r:id="rId999"/>',
    '<w:altChunk r:id=""/>',
    '<w:sdt><w:sdtPr><w:date w:fullDate="9999-99-99T00:00:00Z"/></w:sdtPr>'
    "<w:sdtContent><w:p/></w:sdtContent></w:sdt>",
    '<w:sdt><w:sdtPr><w:date w:fullDate="2099-01-01T00:00:00Z"/></w:sdtPr>'
    "<w:sdtContent><w:r><w:t>1 Jan 2099</w:t></w:r></w:sdtContent></w:sdt>",
    '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    "<mc:Choice Requires='wps'><w:p/></mc:Choice><mc:Fallback><w:p/></mc:Fallback>"
    "</mc:AlternateContent>",
    '<w:customXml w:element="x"><w:p/></w:customXml>',
    '<w:p xmlns:w="http://purl.oclc.org/ooxml/wordprocessingml/main"><w:r><w:t>strict</w:t>'
    "</w:r></w:p>",
    '<x:unknown xmlns:x="urn:x"><x:deeper/></x:unknown>',
]
# Written into a w:t, escaped: informal or impossible dates and times, and hostile references.
CELL_TEXT = [
    "31/02/2026",
    "29/02/2025",
    "12/13/2026",
    "00/00/0000",
    "01/01/9999",
    "1/1/1",
    "3/3/26 25:61",
    "99:99",
    "Tues 30th February",
    "yesterday",
    "last night about half ten",
    "tomorrow",
    "next week",
    "between 11pm and",
    "from 23:00 until 01:00 the next day",
    "in 3 days",
    "Example",
    "N/A",
    "-",
    "CAD 1234/03MAR",
    "43260012345" * 40,
    " " * 50,
    "\u00a0\u2002\u200b",
]
cell_text = st.one_of(
    st.sampled_from(CELL_TEXT),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=40),
)
POSITION = st.integers(min_value=0, max_value=2**31)
WELL_FORMED_EDITS = [
    st.tuples(st.just("fragment"), POSITION, st.sampled_from(FRAGMENTS)),
    st.tuples(st.just("cell_text"), POSITION, cell_text),
]
BREAKING_EDITS = [
    st.tuples(st.just("token"), POSITION, st.sampled_from(TOKENS)),
    st.tuples(st.just("raw_text"), POSITION, st.text(max_size=20)),
    st.tuples(st.just("delete"), POSITION, st.integers(min_value=1, max_value=4000)),
    st.tuples(st.just("duplicate"), POSITION, st.integers(min_value=1, max_value=4000)),
]
# Any edit: most results are not well-formed, which exercises the XML error paths.
xml_ops = st.lists(st.one_of(*WELL_FORMED_EDITS, *BREAKING_EDITS), min_size=1, max_size=8)
# Only balanced fragments and escaped text: the XML stays well-formed, so the edits reach the
# table, paragraph, field, content-control, grid and date logic.
well_formed_ops = st.lists(st.one_of(*WELL_FORMED_EDITS), min_size=1, max_size=8)
TEXT_OPENING = re.compile(r"<w:t(?:\s[^>]*)?>")
TAG_START = re.compile("<")


def _pick(choices: list[int], position: int, fallback: int) -> int:
    return choices[position % len(choices)] if choices else position % (fallback + 1)


def mutate_xml(xml: str, ops: list[tuple[str, int, Any]]) -> str:
    for kind, position, arg in ops:
        if kind == "token":
            at = position % (len(xml) + 1)
            xml = xml[:at] + arg + xml[at:]
        elif kind == "fragment":
            start, end = xml.find("<w:body"), xml.rfind("</w:body>")
            tags = (
                [m.start() for m in TAG_START.finditer(xml, start + 1, end + 1)]
                if start >= 0
                else []
            )
            at = _pick(tags, position, len(xml))
            xml = xml[:at] + arg + xml[at:]
        elif kind == "cell_text":
            at = _pick([m.end() for m in TEXT_OPENING.finditer(xml)], position, len(xml))
            xml = xml[:at] + escape(arg) + xml[at:]
        elif kind == "raw_text":
            at = position % (len(xml) + 1)
            xml = xml[:at] + arg + xml[at:]
        elif kind == "delete":
            at = position % (len(xml) + 1)
            xml = xml[:at] + xml[at + arg :]
        else:
            at = position % (len(xml) + 1)
            xml = xml[:at] + xml[at : at + arg] + xml[at:]
    return xml


@functools.cache
def sample_members(sample: Path) -> tuple[tuple[zipfile.ZipInfo, bytes], ...]:
    with zipfile.ZipFile(sample) as zf:
        return tuple((info, zf.read(info)) for info in zf.infolist())


def rezip(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 1, 12, 0, 0)), data)
    return out.getvalue()


def with_document(sample: Path, document: bytes) -> bytes:
    return rezip(
        [
            (info.filename, document if info.filename == "word/document.xml" else data)
            for info, data in sample_members(sample)
        ]
    )


def document_of(sample: Path) -> str:
    return dict((i.filename, d) for i, d in sample_members(sample))["word/document.xml"].decode()


@pytest.mark.parametrize("sample", SAMPLE_PARAMS)
@fuzz(150)
@given(ops=xml_ops)
def test_mutated_document_xml_never_raises(sample: Path, ops: list[tuple[str, int, Any]]) -> None:
    mutated = mutate_xml(document_of(sample), ops).encode("utf-8", "surrogatepass")
    parse_and_check(with_document(sample, mutated), received_for(sample))


@pytest.mark.parametrize("sample", SAMPLE_PARAMS)
@fuzz(150)
@given(ops=well_formed_ops)
def test_well_formed_document_edits_never_raise(
    sample: Path, ops: list[tuple[str, int, Any]]
) -> None:
    mutated = mutate_xml(document_of(sample), ops).encode("utf-8", "surrogatepass")
    parse_and_check(with_document(sample, mutated), received_for(sample))


# --------------------------------------------------------------------------- (c) any bytes

MAGIC = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"{\\rtf1",
    b"\xef\xbb\xbf{\\rtf1",
    b"<html>",
    b"\xef\xbb\xbf<!DOCTYPE html>",
    b"MIME-Version: 1.0\r\n",
    b'<?xml version="1.0"?><?mso-application progid="Word.Document"?>',
    b'<?xml version="1.0"?><pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage">',
    b"<?xml version='1.0' encoding='UTF-16'?>",
    b"%PDF-1.7\n",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00" * 8,
]


@fuzz(300)
@given(data=st.binary(max_size=4096))
def test_any_bytes_never_raise(data: bytes) -> None:
    parse_and_check(data, DEFAULT_RECEIVED)


@fuzz(300)
@given(magic=st.sampled_from(MAGIC), tail=st.binary(max_size=4096))
def test_magic_prefixed_bytes_never_raise(magic: bytes, tail: bytes) -> None:
    parse_and_check(magic + tail, DEFAULT_RECEIVED)


# --------------------------------------------------------------------------- (d) package shape

REL_TARGETS = [
    "word/document.xml",
    "/word/document.xml",
    "word/missing.xml",
    "../../../../etc/passwd",
    "/etc/passwd",
    "file:///etc/passwd",
    "http://127.0.0.1:9/document.xml",
    "",
    "word/",
    "WORD/DOCUMENT.XML",
    "word/document.xml#frag",
    "[Content_Types].xml",
    "_rels/.rels",
]
RENAMES = {
    "upper": str.upper,
    "trailing-slash": lambda name: name + "/",
    "parent": lambda name: "../" + name,
    "backslash": lambda name: name.replace("/", "\\"),
    "long": lambda name: name + "x" * 300,
}
CONTENT_TYPES = [
    "",
    "text/plain",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
]
package_ops = st.lists(
    st.one_of(
        st.tuples(st.just("drop"), POSITION, st.none()),
        st.tuples(st.just("rename"), POSITION, st.sampled_from(sorted(RENAMES))),
        st.tuples(st.just("duplicate"), POSITION, st.none()),
        st.tuples(st.just("target"), POSITION, st.sampled_from(REL_TARGETS)),
        st.tuples(st.just("external"), POSITION, st.none()),
        st.tuples(st.just("content_type"), POSITION, st.sampled_from(CONTENT_TYPES)),
    ),
    min_size=1,
    max_size=5,
)


def bend_package(members: list[tuple[str, bytes]], ops: list[tuple[str, int, Any]]) -> bytes:
    """Drop, rename or duplicate members; point relationships and content types elsewhere."""
    for kind, position, arg in ops:
        if kind in {"target", "external"}:
            candidates = [i for i, (name, _) in enumerate(members) if name.endswith(".rels")]
        elif kind == "content_type":
            candidates = [i for i, (name, _) in enumerate(members) if name == "[Content_Types].xml"]
        else:
            candidates = list(range(len(members)))
        if not candidates:
            continue
        index = candidates[position % len(candidates)]
        name, data = members[index]
        text = data.decode("utf-8", "replace")
        if kind == "drop":
            del members[index]
        elif kind == "rename":
            members[index] = (RENAMES[arg](name), data)
        elif kind == "duplicate":
            members.insert(index, (name, data[: len(data) // 2]))
        elif kind == "target":
            text = re.sub(r'Target="[^"]*"', f'Target="{escape(arg)}"', text, count=1)
            members[index] = (name, text.encode())
        elif kind == "external":
            text = text.replace("<Relationship ", '<Relationship TargetMode="External" ', 1)
            members[index] = (name, text.encode())
        else:
            text = re.sub(r'ContentType="[^"]*main\+xml"', f'ContentType="{arg}"', text)
            members[index] = (name, text.encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name: ..."
        return rezip(members)


@pytest.mark.parametrize("sample", SAMPLE_PARAMS)
@fuzz(100)
@given(ops=package_ops)
def test_bent_package_never_raises(sample: Path, ops: list[tuple[str, int, Any]]) -> None:
    members = [(info.filename, data) for info, data in sample_members(sample)]
    parse_and_check(bend_package(members, ops), received_for(sample))


# --------------------------------------------------------------------------- (e) received date

received_dates = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]),
)


@pytest.mark.parametrize("sample", SAMPLE_PARAMS)
@fuzz(20)
@given(received=received_dates)
def test_no_incident_after_received(sample: Path, received: datetime) -> None:
    """Whenever the email arrived, no incident is dated after that day."""
    parse_and_check(sample.read_bytes(), received)
