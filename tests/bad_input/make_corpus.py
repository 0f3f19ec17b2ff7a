#!/usr/bin/env python3
"""Regenerate the corpus of hostile and wrong files in ``tests/bad_input/files/``.

Run from anywhere with the project's virtualenv::

    .venv/bin/python tests/bad_input/make_corpus.py            # rewrite files/ and manifest.json
    .venv/bin/python tests/bad_input/make_corpus.py --check    # rebuild in a temp dir and compare
    .venv/bin/python tests/bad_input/make_corpus.py --refresh-converted   # also re-run soffice

Every file is built here from constants and seeded randomness, with fixed zip timestamps, so a
rerun gives the same bytes (on the same zlib). Two files come from LibreOffice (``soffice``), whose
output carries timestamps: they are committed and only rebuilt when missing or when
``--refresh-converted`` is given. The encrypted file is made with msoffcrypto-tool (a dev-only
tool) with its random salt/key and clock pinned, so it is reproducible too; without the tool the
committed copy is kept.

Each case is "a control document plus one defect": ``control/`` holds the two clean diaries the
defective files are cut from (the tests check that those parse), so a rejection can only come from
the defect. ``manifest.json`` maps each file name in ``files/`` to the status and problem code the
parser must give it. ``stress/`` holds tiny documents whose status is the parser's choice but which
must be read in bounded time and memory (one cell or row claiming 100 million grid columns).

Two cases are too big to commit and are built by the tests from functions here:
:func:`many_members_package` (5,000 members cannot fit in 200 KB: each member costs at least 76
bytes of headers) and :func:`oversized_upload` (21 MB). One committed file is over 200 KB on
purpose: ``bomb-zero-media.docx`` (~290 KB), because deflate cannot squeeze more than ~1030:1, and
200 KB of zeros would declare less than the parser's 200 MiB total cap (see SIZE_EXCEPTIONS).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
CONTROL = HERE / "control"
STRESS_DIR = HERE / "stress"
MANIFEST = HERE / "manifest.json"
SHARED_SAMPLES = Path(os.environ.get("DIARYDESK_SAMPLES") or HERE.parents[2] / "shared" / "samples")

MAX_FILE_SIZE = 200 * 1024
# Deflate tops out near 1030:1, so 200 KB can only honestly hold ~200 MB of zeros, which is under
# a 200 MiB total-size cap. The zero-media bomb is allowed ~300 KB to declare 300 MB.
SIZE_EXCEPTIONS = {"bomb-zero-media.docx": 320 * 1024}


def size_limit(name: str) -> int:
    return SIZE_EXCEPTIONS.get(name, MAX_FILE_SIZE)


ZIP_TIME = (2026, 3, 1, 12, 0, 0)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_OFFICE_DOCUMENT = R_NS + "/officeDocument"
REL_IMAGE = R_NS + "/image"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CT_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CT_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_XLSX_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

HEADER = ["Date", "Time", "What happened", "Who was involved", "Witnesses", "Police reference"]
ROWS = [
    [
        "03/03/2026",
        "22:30",
        "He shouted abuse at me through the letterbox and kicked my front door.",
        "Gary Hollis",
        "My son Imran",
        "43260012345",
    ],
    [
        "05/03/2026",
        "7.15am",
        "Rubbish was tipped over my garden wall again and my bin was kicked over.",
        "Gary Hollis",
        "",
        "",
    ],
    [
        "08/03/2026",
        "about 11pm",
        "Loud music and banging on the party wall until 2am. I could not sleep.",
        "Gary Hollis and a friend",
        "Mrs Clarke at number 12",
        "",
    ],
]

# file name -> (status, code): the contract the tests hold the parser to.
EXPECTED: dict[str, tuple[str, str]] = {}
GENERATED_IN_TESTS: dict[str, tuple[str, str]] = {
    "bomb-many-members.docx": ("rejected", "zip_bomb"),
    "too-large.docx": ("rejected", "too_large"),
}


# --------------------------------------------------------------------------- zip helpers


def zip_bytes(members: Iterable[tuple[str, bytes]], *, stored: Iterable[str] = ()) -> bytes:
    """A zip with fixed timestamps; every member deflated at level 9 except those in `stored`."""
    keep_stored = set(stored)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 0
            info.external_attr = 0
            if name in keep_stored:
                zf.writestr(info, data, compress_type=zipfile.ZIP_STORED)
            else:
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def repack(data: bytes) -> bytes:
    """Rewrite a zip (e.g. python-docx output) with fixed timestamps, same members and order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    return zip_bytes(members)


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def _central_entries(buf: bytes) -> Iterable[tuple[int, str, int]]:
    """Yield (central header offset, name, local header offset) for each central entry."""
    eocd = buf.rfind(b"PK\x05\x06")
    count, _size, offset = struct.unpack_from("<HII", buf, eocd + 10)
    for _ in range(count):
        assert buf[offset : offset + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buf, offset + 28)
        (local,) = struct.unpack_from("<I", buf, offset + 42)
        name = buf[offset + 46 : offset + 46 + name_len].decode("utf-8")
        yield offset, name, local
        offset += 46 + name_len + extra_len + comment_len


def patch_declared_size(data: bytes, member: str, declared: int) -> bytes:
    """Make both the local and the central header of `member` declare `declared` bytes."""
    buf = bytearray(data)
    for central, name, local in list(_central_entries(data)):
        if name == member:
            assert buf[local : local + 4] == b"PK\x03\x04"
            struct.pack_into("<I", buf, local + 22, declared)  # local: uncompressed size
            struct.pack_into("<I", buf, central + 24, declared)  # central: uncompressed size
            return bytes(buf)
    raise KeyError(member)


# Offsets of three 2-byte fields in a (local, central) header.
HEADER_FIELDS = {"version_needed": (4, 6), "flags": (6, 8), "method": (8, 10)}


def patch_header_field(data: bytes, member: str, field: str, value: int) -> bytes:
    """Set a 2-byte field of `member`'s local and central headers (sizes and data untouched)."""
    local_at, central_at = HEADER_FIELDS[field]
    buf = bytearray(data)
    for central, name, local in list(_central_entries(data)):
        if name == member:
            struct.pack_into("<H", buf, local + local_at, value)
            struct.pack_into("<H", buf, central + central_at, value)
            return bytes(buf)
    raise KeyError(member)


def member_data_span(data: bytes, member: str) -> tuple[int, int]:
    """(start, end) of the compressed bytes of `member` inside the archive."""
    for _central, name, local in _central_entries(data):
        if name == member:
            (compressed,) = struct.unpack_from("<I", data, local + 18)
            name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
            start = local + 30 + name_len + extra_len
            return start, start + compressed
    raise KeyError(member)


# --------------------------------------------------------------------------- WordprocessingML


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def table_xml(rows: list[list[str]], *, raw: bool = False) -> str:
    """A diary table; cell text is escaped unless `raw` (for entity references)."""
    out = ['<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>']
    out.extend('<w:gridCol w:w="1500"/>' for _ in rows[0])
    out.append("</w:tblGrid>")
    for row in rows:
        out.append("<w:tr>")
        for cell in row:
            text = cell if raw else escape(cell)
            out.append(f"<w:tc><w:p>{run(text) if text else ''}</w:p></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def document_xml(body: str, *, doctype: str = "") -> bytes:
    return (
        XML_DECL
        + doctype
        + f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>'
        + f"<w:p>{run('Harassment diary sheet')}</w:p>"
        + body
        + '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    ).encode("utf-8")


def diary_body(rows: list[list[str]] | None = None, *, raw: bool = False) -> str:
    return (
        f"<w:p>{run('Name: Mrs Aisha Patel, 14 Elm Road')}</w:p>"
        + table_xml([HEADER, *(ROWS if rows is None else rows)], raw=raw)
        + "<w:p/>"
    )


def content_types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> bytes:
    parts = [XML_DECL, f'<Types xmlns="{CT_NS}">']
    for ext, ctype in {"rels": CT_RELS, "xml": "application/xml", **(defaults or {})}.items():
        parts.append(f'<Default Extension="{ext}" ContentType="{ctype}"/>')
    for name, ctype in overrides.items():
        parts.append(f'<Override PartName="{name}" ContentType="{ctype}"/>')
    parts.append("</Types>")
    return "".join(parts).encode("utf-8")


def relationships(rels: list[tuple[str, str, str]]) -> bytes:
    parts = [XML_DECL, f'<Relationships xmlns="{PKG_REL_NS}">']
    for rid, rtype, target in rels:
        parts.append(f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"/>')
    parts.append("</Relationships>")
    return "".join(parts).encode("utf-8")


def minimal_docx_members(
    document: bytes,
    *,
    main_type: str = CT_DOCX_MAIN,
    doc_rels: list[tuple[str, str, str]] | None = None,
    defaults: dict[str, str] | None = None,
) -> list[tuple[str, bytes]]:
    """The smallest package Word opens: content types, package rels, main part (+ its rels)."""
    members = [
        ("[Content_Types].xml", content_types({"/word/document.xml": main_type}, defaults)),
        ("_rels/.rels", relationships([("rId1", REL_OFFICE_DOCUMENT, "word/document.xml")])),
        ("word/document.xml", document),
    ]
    if doc_rels:
        members.append(("word/_rels/document.xml.rels", relationships(doc_rels)))
    return members


def minimal_diary() -> bytes:
    """Control: a hand-built, valid diary package. The hostile packages below start from it."""
    return zip_bytes(minimal_docx_members(document_xml(diary_body())))


def python_docx_diary() -> bytes:
    """Control: a realistic diary written by python-docx (styles, theme, thumbnail...)."""
    import docx  # python-docx

    document = docx.Document()
    document.add_heading("Harassment diary sheet", level=1)
    document.add_paragraph("Name: Mrs Aisha Patel")
    document.add_paragraph("Address: 14 Elm Road, Melton LE13 0AB")
    document.add_paragraph("Person(s) causing the problem: Gary Hollis, 16 Elm Road")
    table = document.add_table(rows=1, cols=len(HEADER))
    for cell, label in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = label
    for values in ROWS:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Signed: A Patel")
    out = io.BytesIO()
    document.save(out)
    return repack(out.getvalue())


# --------------------------------------------------------------------------- the cases


def committed(name: str, how_to_rebuild: str) -> bytes:
    """The committed copy of a file this machine cannot rebuild."""
    path = FILES / name
    if not path.exists():
        raise RuntimeError(f"cannot build {name}: {how_to_rebuild}")
    return path.read_bytes()


def shared_sample(sample: str, name: str) -> bytes:
    path = SHARED_SAMPLES / sample
    if path.exists():
        return path.read_bytes()
    return committed(name, f"{path} is missing (set DIARYDESK_SAMPLES)")


def case(name: str, status: str, code: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        EXPECTED[name] = (status, code)
        BUILDERS[name] = build
        return build

    return register


BUILDERS: dict[str, Callable[[], bytes]] = {}
CONVERTED: dict[str, Callable[[], bytes]] = {}  # built with soffice; kept unless refreshed


@case("random-bytes.docx", "rejected", "not_a_word_file")
def random_bytes() -> bytes:
    data = random.Random(20260312).randbytes(4096)
    assert data[:2] != b"PK" and data[:4] != b"\xd0\xcf\x11\xe0"
    return data


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@case("png-image.docx", "rejected", "not_a_word_file")
def png_image() -> bytes:
    width, height = 32, 16
    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 8, y * 16, 128)) for x in range(width)) for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )


@case("jpeg-photo.docx", "rejected", "not_a_word_file")
def jpeg_photo() -> bytes:
    # A real JPEG from a real encoder: the thumbnail inside python-docx's default template.
    import docx

    template = Path(docx.__file__).parent / "templates" / "default.docx"
    with zipfile.ZipFile(template) as zf:
        data = zf.read("docProps/thumbnail.jpeg")
    assert data[:3] == b"\xff\xd8\xff"
    return data


@case("pdf-document.docx", "rejected", "not_a_word_file")
def pdf_document() -> bytes:
    content = b"BT /F1 14 Tf 72 760 Td (Harassment diary sheet - 03/03/2026 22:30) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@case("pdf-renamed-sample.docx", "rejected", "not_a_word_file")
def pdf_renamed_sample() -> bytes:
    return shared_sample("pdf-renamed.docx", "pdf-renamed-sample.docx")


@case("empty.docx", "rejected", "empty_file")
def empty() -> bytes:
    return b""


@case("zip-not-word.docx", "rejected", "not_a_word_file")
def zip_not_word() -> bytes:
    return zip_bytes([("a.txt", b"Date: 03/03/2026\nHe shouted at me again.\n")])


@case("xlsx-renamed.docx", "rejected", "not_a_word_file")
def xlsx_renamed() -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    cells = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{label}</t></is></c>'
        for col, label in zip("ABC", HEADER, strict=False)
    )
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                content_types(
                    {"/xl/workbook.xml": CT_XLSX_MAIN, "/xl/worksheets/sheet1.xml": CT_XLSX_SHEET}
                ),
            ),
            ("_rels/.rels", relationships([("rId1", REL_OFFICE_DOCUMENT, "xl/workbook.xml")])),
            (
                "xl/workbook.xml",
                (
                    f'{XML_DECL}<workbook xmlns="{ns}" xmlns:r="{R_NS}"><sheets>'
                    '<sheet name="Diary" sheetId="1" r:id="rId1"/></sheets></workbook>'
                ).encode(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                relationships([("rId1", R_NS + "/worksheet", "worksheets/sheet1.xml")]),
            ),
            (
                "xl/worksheets/sheet1.xml",
                f'{XML_DECL}<worksheet xmlns="{ns}"><sheetData><row r="1">{cells}</row>'
                "</sheetData></worksheet>".encode(),
            ),
        ]
    )


@case("wrong-main-content-type.docx", "rejected", "not_a_word_file")
def wrong_main_content_type() -> bytes:
    # word/document.xml is a diary, but the package declares its main part a spreadsheet.
    return zip_bytes(minimal_docx_members(document_xml(diary_body()), main_type=CT_XLSX_MAIN))


@case("truncated.docx", "rejected", "corrupt_zip")
def truncated() -> bytes:
    data = python_docx_diary()
    return data[: len(data) // 2]


@case("corrupt-deflate.docx", "rejected", "corrupt_zip")
def corrupt_deflate() -> bytes:
    data = bytearray(python_docx_diary())
    start, end = member_data_span(bytes(data), "word/document.xml")
    # Overwrite bytes in the middle of the deflate stream; headers and central directory intact.
    for offset in range((start + end) // 2, (start + end) // 2 + 24):
        data[offset] ^= 0xFF
    broken = bytes(data)
    with zipfile.ZipFile(io.BytesIO(broken)) as zf:
        assert len(zf.infolist()) == len(members_of(python_docx_diary()))  # directory still reads
        try:
            zf.read("word/document.xml")
        except zlib.error:
            return broken
    raise AssertionError("word/document.xml still inflates")


@case("zip-unsupported-version.docx", "rejected", "corrupt_zip")
def zip_unsupported_version() -> bytes:
    # "Version needed to extract" 25.5 on word/document.xml: zipfile refuses the whole archive
    # (NotImplementedError from ZipFile() itself, not from reading a member).
    return patch_header_field(minimal_diary(), "word/document.xml", "version_needed", 255)


@case("zip-encrypted-member.docx", "rejected", "corrupt_zip")
def zip_encrypted_member() -> bytes:
    # The zip "encrypted" flag on _rels/.rels (data not actually encrypted). Word never writes
    # zip encryption (its passwords use an OLE container), so this is a damaged/foreign zip;
    # zipfile raises RuntimeError("... password required") when the member is opened.
    return patch_header_field(minimal_diary(), "_rels/.rels", "flags", 0x0001)


@case("zip-bzip2-claimed.docx", "rejected", "corrupt_zip")
def zip_bzip2_claimed() -> bytes:
    # word/document.xml claims bzip2 (method 12) but holds deflate data: bz2 raises OSError.
    return patch_header_field(minimal_diary(), "word/document.xml", "method", 12)


# ------------------------------------------------- stress: any status, but fast and small

STRESS: dict[str, Callable[[], bytes]] = {}


def stress(name: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """A file whose status is the parser's choice, but which must be read in bounded time and
    memory (tests/test_bad_input.py runs it under a 512 MB limit)."""

    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        STRESS[name] = build
        return build

    return register


def with_cell_property(prop: str, *, row_prop: bool = False) -> bytes:
    """The control diary with `prop` put in the first data row's trPr, or its first cell's tcPr."""
    document = document_xml(diary_body()).decode()
    first_row = document.index("<w:tr>", document.index("<w:tr>") + 1)
    if row_prop:
        at = first_row + len("<w:tr>")
        document = document[:at] + f"<w:trPr>{prop}</w:trPr>" + document[at:]
    else:
        at = document.index("<w:tc>", first_row) + len("<w:tc>")
        document = document[:at] + f"<w:tcPr>{prop}</w:tcPr>" + document[at:]
    return zip_bytes(minimal_docx_members(document.encode()))


@stress("grid-span-bomb.docx")
def grid_span_bomb() -> bytes:
    # 1.4 KB on disk; a parser that materialises one cell per grid column builds 100 million.
    return with_cell_property('<w:gridSpan w:val="100000000"/>')


@stress("grid-before-bomb.docx")
def grid_before_bomb() -> bytes:
    return with_cell_property('<w:gridBefore w:val="100000000"/>', row_prop=True)


@stress("grid-after-bomb.docx")
def grid_after_bomb() -> bytes:
    return with_cell_property('<w:gridAfter w:val="100000000"/>', row_prop=True)


def empty_paragraphs(total: int) -> bytes:
    """About `total` bytes of empty paragraphs in a sea of whitespace (deflates ~1000:1)."""
    unit = b"<w:p/>" + b" " * 4000 + b"\n"
    return unit * (total // len(unit))


def padded_document(padding: int) -> bytes:
    head, tail = document_xml(diary_body()).split(b"<w:sectPr>")
    return head + empty_paragraphs(padding) + b"<w:sectPr>" + tail


@case("bomb-huge-document-xml.docx", "rejected", "zip_bomb")
def bomb_huge_document_xml() -> bytes:
    # A real diary followed by 60 MB of empty paragraphs: honest headers, ~1000:1 ratio.
    return zip_bytes(minimal_docx_members(padded_document(60_000_000)))


@case("bomb-lying-sizes.docx", "rejected", "zip_bomb")
def bomb_lying_sizes() -> bytes:
    # word/document.xml really inflates to 120 MB but both headers say 2,048 bytes, so summing
    # the declared sizes sees nothing: only counting bytes while inflating catches it.
    data = zip_bytes(minimal_docx_members(padded_document(120_000_000)))
    return patch_declared_size(data, "word/document.xml", 2048)


@case("bomb-zero-media.docx", "rejected", "zip_bomb")
def bomb_zero_media() -> bytes:
    # 300 MB of zeros as an image part that document.xml never draws (only the relationship
    # points at it). The diary itself is fine, so only a total-size/ratio cap rejects this.
    members = minimal_docx_members(
        document_xml(diary_body()),
        doc_rels=[("rId1", REL_IMAGE, "media/image1.png")],
        defaults={"png": "image/png"},
    )
    members.append(("word/media/image1.png", bytes(300_000_000)))
    return zip_bytes(members)


def many_members_package(count: int = 5000) -> bytes:
    """A valid diary plus `count` one-byte members (built by the tests: ~500 KB)."""
    members = minimal_docx_members(document_xml(diary_body()))
    members.extend((f"word/m/{i}.xml", b"x") for i in range(count))
    return zip_bytes(members, stored=[f"word/m/{i}.xml" for i in range(count)])


def oversized_upload(size: int = 21 * 1024 * 1024) -> bytes:
    """21 MB: a zip signature followed by random bytes (built by the tests)."""
    return b"PK\x03\x04" + random.Random(21).randbytes(size - 4)


def hostile_document(doctype: str, cell_text: str) -> bytes:
    rows = [list(row) for row in ROWS]
    rows[0][2] = cell_text
    return zip_bytes(
        minimal_docx_members(document_xml(diary_body(rows, raw=True), doctype=doctype))
    )


@case("xxe-external-entity.docx", "rejected", "xml_dtd_forbidden")
def xxe_external_entity() -> bytes:
    return hostile_document(
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
        "He shouted at me. leak:&amp;xxe;=&xxe;",
    )


@case("billion-laughs.docx", "rejected", "xml_dtd_forbidden")
def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    entities.extend(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10))
    return hostile_document(f"<!DOCTYPE w:document [{''.join(entities)}]>\n", "&lol9;")


@case("doctype-no-entities.docx", "rejected", "xml_dtd_forbidden")
def doctype_no_entities() -> bytes:
    return hostile_document("<!DOCTYPE w:document>\n", "He shouted abuse at me.")


@case("malformed-xml.docx", "rejected", "xml_malformed")
def malformed_xml() -> bytes:
    # Row 2's "What happened" cell loses its </w:t></w:r>: a mismatched-tag error mid-table.
    document = document_xml(diary_body())
    text = escape(ROWS[1][2]).encode()
    broken = document.replace(text + b"</w:t></w:r>", text, 1)
    assert broken != document
    return zip_bytes(minimal_docx_members(broken))


@case("deeply-nested-tables.docx", "rejected", "xml_malformed")
def deeply_nested_tables() -> bytes:
    # 300 tables, each nested in the previous one's only cell: element depth > 900 (libxml2's
    # default cap is 256; a recursive walker would hit Python's recursion limit).
    depth = 300
    opening = "<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc>"
    closing = "<w:p/></w:tc></w:tr></w:tbl>"
    body = opening * depth + f"<w:p>{run('03/03/2026 He shouted at me.')}</w:p>" + closing * depth
    return zip_bytes(minimal_docx_members(document_xml(body)))


@case("rtf-renamed.docx", "rejected", "rtf_not_supported")
def rtf_renamed() -> bytes:
    cells = "".join(f"\\cellx{1500 * (i + 1)}" for i in range(len(HEADER)))
    rows = "".join(
        "\\trowd"
        + cells
        + " "
        + "".join(f"\\pard\\intbl {value}\\cell " for value in row)
        + "\\row\n"
        for row in [HEADER, *ROWS]
    )
    return (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Calibri;}}\n"
        "\\pard\\b Harassment diary sheet\\b0\\par\n" + rows + "}\n"
    ).encode("cp1252")


def html_table() -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td><p class=MsoNormal>{escape(v)}</p></td>" for v in row) + "</tr>\n"
        for row in [HEADER, *ROWS]
    )
    return f"<table class=MsoTableGrid border=1>\n{rows}</table>\n"


@case("html-word-web-page.docx", "rejected", "html_not_supported")
def html_word_web_page() -> bytes:
    # Word's "Save as Web Page" output: no DOCTYPE, Office namespaces on <html>.
    return (
        '<html xmlns:v="urn:schemas-microsoft-com:vml"\n'
        'xmlns:o="urn:schemas-microsoft-com:office:office"\n'
        'xmlns:w="urn:schemas-microsoft-com:office:word"\n'
        'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
        '<meta http-equiv=Content-Type content="text/html; charset=windows-1252">\n'
        '<meta name=Generator content="Microsoft Word 15">\n<title>Diary</title>\n</head>\n'
        f"<body lang=EN-GB>\n<p>Harassment diary sheet</p>\n{html_table()}</body>\n</html>\n"
    ).encode("cp1252")


@case("html-doctype-bom.docx", "rejected", "html_not_supported")
def html_doctype_bom() -> bytes:
    # A UTF-8 BOM and blank lines before <!DOCTYPE html>.
    return (
        "\ufeff\r\n\r\n  <!DOCTYPE html>\n<html lang=en-GB><head><meta charset=utf-8>"
        f"<title>Diary</title></head><body>{html_table()}</body></html>\n"
    ).encode()


@case("mhtml-web-archive.docx", "rejected", "html_not_supported")
def mhtml_web_archive() -> bytes:
    boundary = "----=_NextPart_01DC8A2B.5E3F1C40"
    html = html_word_web_page().decode("cp1252").replace("=", "=3D")
    return (
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/related; boundary="{boundary}"\r\n\r\n'
        "This document is a Single File Web Page, also known as a Web Archive file.  If you are"
        " seeing this message, your browser or editor doesn't support Web Archive files.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Location: file:///C:/Users/resident/Documents/diary.htm\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        'Content-Type: text/html; charset="windows-1252"\r\n\r\n'
        f"{html}\r\n--{boundary}--\r\n"
    ).encode("cp1252")


@case("word-2003-xml.docx", "needs_review", "word_2003_xml")
def word_2003_xml() -> bytes:
    ns = "http://schemas.microsoft.com/office/word/2003/wordml"
    rows = "".join(
        "<w:tr>"
        + "".join(f"<w:tc><w:p><w:r><w:t>{escape(v)}</w:t></w:r></w:p></w:tc>" for v in row)
        + "</w:tr>"
        for row in [HEADER, *ROWS]
    )
    return (
        XML_DECL + '<?mso-application progid="Word.Document"?>\n'
        f'<w:wordDocument xmlns:w="{ns}" w:macrosPresent="no" w:embeddedObjPresent="no">'
        "<w:body><w:p><w:r><w:t>Harassment diary sheet</w:t></w:r></w:p>"
        f"<w:tbl>{rows}</w:tbl><w:sectPr/></w:body></w:wordDocument>\n"
    ).encode("utf-8")


@case("odt-handmade-renamed.docx", "needs_review", "odt_not_supported")
def odt_handmade() -> bytes:
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    table_ns = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    manifest_ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    rows = "".join(
        "<table:table-row>"
        + "".join(f"<table:table-cell><text:p>{escape(v)}</text:p></table:table-cell>" for v in row)
        + "</table:table-row>"
        for row in [HEADER, *ROWS]
    )
    content = (
        f'{XML_DECL}<office:document-content xmlns:office="{office}" xmlns:text="{text_ns}"'
        f' xmlns:table="{table_ns}" office:version="1.3"><office:body><office:text>'
        "<text:p>Harassment diary sheet</text:p>"
        f'<table:table table:name="Diary"><table:table-column table:number-columns-repeated='
        f'"{len(HEADER)}"/>{rows}</table:table></office:text></office:body>'
        "</office:document-content>"
    )
    manifest = (
        f'{XML_DECL}<manifest:manifest xmlns:manifest="{manifest_ns}" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.3"'
        ' manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return zip_bytes(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("META-INF/manifest.xml", manifest.encode()),
            ("content.xml", content.encode()),
        ],
        stored=["mimetype"],
    )


@case("password-protected-sample.docx", "needs_review", "password_protected")
def password_protected_sample() -> bytes:
    return shared_sample("password-protected.docx", "password-protected-sample.docx")


@case("password-protected-msoffcrypto.docx", "needs_review", "password_protected")
def password_protected_msoffcrypto() -> bytes:
    """The python-docx diary, agile-encrypted (password "diary123") by msoffcrypto-tool.

    Its salts, key and OLE timestamps normally come from `secrets` and the clock; they are pinned
    here so the file is reproducible.
    """
    import datetime as dt

    try:
        import msoffcrypto.method.container.ecma376_encrypted as container
        import msoffcrypto.method.ecma376_agile as agile
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:  # a dev-only tool: keep the committed file
        return committed("password-protected-msoffcrypto.docx", "pip install msoffcrypto-tool")

    rng = random.Random(8)

    class FixedClock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> FixedClock:
            return cls(2026, 3, 1, 12, 0, 0)

    saved = agile._random_buffer, container.datetime
    agile._random_buffer = rng.randbytes
    container.datetime = FixedClock
    try:
        out = io.BytesIO()
        OOXMLFile(io.BytesIO(python_docx_diary())).encrypt("diary123", out)
    finally:
        agile._random_buffer, container.datetime = saved
    data = out.getvalue()
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    return data


@case("letter-no-table.docx", "needs_review", "no_incidents")
def letter_no_table() -> bytes:
    import docx

    document = docx.Document()
    for text in [
        "Dear Sir or Madam,",
        "I am writing to ask for someone from the housing team to contact me about the problems I"
        " have been having with the people next door. I have spoken to your office before and I"
        " was told to put everything in writing.",
        "I would prefer a phone call rather than a visit, as I work shifts and I am not always at"
        " home. Please do not leave messages with my neighbours.",
        "I would also like to know whether I can be considered for a move to another property,"
        " and what information you need from me to support that.",
        "Thank you for your help.",
        "Yours faithfully,",
        "Mrs Jean Mortimer",
    ]:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return repack(out.getvalue())


@case("template-example-row-only.docx", "needs_review", "no_incidents")
def template_example_row_only() -> bytes:
    """A blank diary template: header row, the printed example row, then empty rows."""
    import docx

    document = docx.Document()
    document.add_heading("Incident diary sheet", level=1)
    document.add_paragraph("Name: ")
    document.add_paragraph("Address: ")
    document.add_paragraph(
        "Please write down each incident as soon as you can after it happens. An example is shown"
        " in the first row."
    )
    table = document.add_table(rows=1, cols=len(HEADER))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = label
    example = [
        "Example",
        "10.30pm",
        "Loud music from next door and banging on the wall for over an hour.",
        "Neighbour at number 16",
        "My daughter",
        "",
    ]
    for cell, value in zip(table.add_row().cells, example, strict=True):
        cell.text = value
    for _ in range(8):
        table.add_row()
    document.add_paragraph("Signed: ")
    out = io.BytesIO()
    document.save(out)
    return repack(out.getvalue())


# ----------------------------------------------------------------- LibreOffice conversions


def soffice_convert(source: bytes, target: str) -> bytes:
    """Convert a .docx with `soffice --headless --convert-to <target>`."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("soffice not found: apt-get install -y libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "diary.docx"
        src.write_bytes(source)
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                tmp,
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        (out,) = (p for p in Path(tmp).iterdir() if p.suffix == "." + target.split(":")[0])
        return out.read_bytes()


def converted(name: str, status: str, code: str) -> Callable[[Callable[[], bytes]], None]:
    def register(build: Callable[[], bytes]) -> None:
        EXPECTED[name] = (status, code)
        CONVERTED[name] = build

    return register


@converted("legacy-word-97.doc", "needs_review", "legacy_doc")
def legacy_doc() -> bytes:
    data = soffice_convert(python_docx_diary(), "doc")
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    return data


@converted("odt-libreoffice.odt", "needs_review", "odt_not_supported")
def odt_libreoffice() -> bytes:
    data = soffice_convert(python_docx_diary(), "odt")
    assert data[30:38] == b"mimetype"
    return data


# --------------------------------------------------------------------------- driver


def build_all(
    files: Path, control: Path, stress_dir: Path, *, refresh_converted: bool, quiet: bool
) -> None:
    for directory in (files, control, stress_dir):
        directory.mkdir(parents=True, exist_ok=True)
    (control / "minimal-diary.docx").write_bytes(minimal_diary())
    (control / "python-docx-diary.docx").write_bytes(python_docx_diary())
    for name, build in STRESS.items():
        (stress_dir / name).write_bytes(build())
    for name, build in BUILDERS.items():
        (files / name).write_bytes(build())
    for name, build in CONVERTED.items():
        path = files / name
        committed = FILES / name
        if refresh_converted or not committed.exists():
            path.write_bytes(build())
        elif path != committed:
            shutil.copyfile(committed, path)
    for stale in set(p.name for p in files.iterdir()) - set(EXPECTED):
        (files / stale).unlink()
    for path in sorted([*files.iterdir(), *control.iterdir(), *stress_dir.iterdir()]):
        size = path.stat().st_size
        limit = size_limit(path.name)
        assert size <= limit, f"{path.name} is {size} bytes (limit {limit})"
        if not quiet:
            print(f"{size:>9,}  {path.relative_to(path.parents[1])}")


def manifest_text() -> str:
    manifest = {
        name: {"status": status, "code": code} for name, (status, code) in sorted(EXPECTED.items())
    }
    return json.dumps(manifest, indent=2) + "\n"


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare")
    parser.add_argument(
        "--refresh-converted", action="store_true", help="re-run soffice for the .doc and .odt"
    )
    args = parser.parse_args(argv)
    if not args.check:
        build_all(FILES, CONTROL, STRESS_DIR, refresh_converted=args.refresh_converted, quiet=False)
        MANIFEST.write_text(manifest_text())
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        files, control, stress_dir = (Path(tmp) / d for d in ("files", "control", "stress"))
        build_all(files, control, stress_dir, refresh_converted=False, quiet=True)
        differ = []
        for old, new in ((FILES, files), (CONTROL, control), (STRESS_DIR, stress_dir)):
            before, after = digest(old), digest(new)
            differ += [
                f"{old.name}/{name}"
                for name in sorted(set(before) | set(after))
                if before.get(name) != after.get(name)
            ]
        if MANIFEST.read_text() != manifest_text():
            differ.append("manifest.json")
    for name in differ:
        print(f"differs: {name}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
