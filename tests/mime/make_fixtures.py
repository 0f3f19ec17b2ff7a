"""Build TNEF (winmail.dat) streams by hand, following [MS-OXTNEF], and write the committed one.

No real Outlook-made winmail.dat can be fetched here, so this writes the stream the way Outlook
lays it out: the signature and legacy key; message attributes (attTnefVersion, attOemCodepage,
attMessageClass, then attMsgProps holding the body); then per attachment attAttachRendData first,
attAttachTitle (the 8.3 name, in the OEM code page), attAttachData, and attAttachment last with
the MAPI properties (long file name, MIME tag, attach method). Every attribute is
level, id, type, length, data and a 16-bit checksum of the data.

    .venv/bin/python tests/mime/make_fixtures.py    # rewrites tests/mime/winmail.dat

The tests use `build_tnef` directly for variants (damaged, embedded) so each shows its input.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

SIGNATURE = b"\x78\x9f\x3e\x22"
LEGACY_KEY = 0x5A3C
LVL_MESSAGE = 0x01
LVL_ATTACHMENT = 0x02

# Attribute ids and types ([MS-OXTNEF] 2.1.3.3 and 2.1.3.1).
ATT_TNEF_VERSION = (0x9006, 0x0008)  # atpDword
ATT_OEM_CODEPAGE = (0x9007, 0x0006)  # atpByte
ATT_MESSAGE_CLASS = (0x8008, 0x0007)  # atpWord
ATT_MSG_PROPS = (0x9003, 0x0006)
ATT_ATTACH_REND_DATA = (0x9002, 0x0006)
ATT_ATTACH_TITLE = (0x8010, 0x0001)  # atpString
ATT_ATTACH_DATA = (0x800F, 0x0006)
ATT_ATTACHMENT = (0x9005, 0x0006)

# MAPI property types and tags ([MS-OXCDATA], [MS-OXPROPS]).
PT_LONG = 0x0003
PT_STRING8 = 0x001E
PT_UNICODE = 0x001F
PT_BINARY = 0x0102
PR_BODY = 0x1000
PR_ATTACH_METHOD = 0x3705
PR_ATTACH_LONG_FILENAME = 0x3707
PR_ATTACH_MIME_TAG = 0x370E
ATTACH_BY_VALUE = 1

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@dataclass(frozen=True)
class TnefFile:
    title: bytes  # 8.3 name in the OEM code page, without the terminating NUL
    data: bytes
    long_filename: str | None = None
    mime_tag: str | None = None


def attribute(level: int, attr: tuple[int, int], data: bytes) -> bytes:
    attr_id, attr_type = attr
    header = struct.pack("<BHHI", level, attr_id, attr_type, len(data))
    return header + data + struct.pack("<H", sum(data) & 0xFFFF)


def mapi_props(props: list[tuple[int, int, bytes | int]]) -> bytes:
    """A counted MAPI property list; variable-length values padded to four bytes."""
    out = struct.pack("<I", len(props))
    for prop_type, prop_id, value in props:
        out += struct.pack("<HH", prop_type, prop_id)
        if isinstance(value, int):
            out += struct.pack("<I", value)
        else:
            out += struct.pack("<II", 1, len(value)) + value + b"\0" * (-len(value) % 4)
    return out


def _attachment(file: TnefFile) -> bytes:
    # AttachType 1 (file), AttachPosition -1 (not rendered in the body), no size, no flags.
    rend = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0)
    props: list[tuple[int, int, bytes | int]] = [(PT_LONG, PR_ATTACH_METHOD, ATTACH_BY_VALUE)]
    if file.long_filename is not None:
        name = (file.long_filename + "\0").encode("utf-16-le")
        props.append((PT_UNICODE, PR_ATTACH_LONG_FILENAME, name))
    if file.mime_tag is not None:
        props.append((PT_STRING8, PR_ATTACH_MIME_TAG, file.mime_tag.encode("ascii") + b"\0"))
    return (
        attribute(LVL_ATTACHMENT, ATT_ATTACH_REND_DATA, rend)
        + attribute(LVL_ATTACHMENT, ATT_ATTACH_TITLE, file.title + b"\0")
        + attribute(LVL_ATTACHMENT, ATT_ATTACH_DATA, file.data)
        + attribute(LVL_ATTACHMENT, ATT_ATTACHMENT, mapi_props(props))
    )


def build_tnef(files: list[TnefFile], body: str | None = None) -> bytes:
    """A TNEF stream as Outlook writes it for a Rich Text message with attachments."""
    message = (
        attribute(LVL_MESSAGE, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000))
        + attribute(LVL_MESSAGE, ATT_OEM_CODEPAGE, struct.pack("<II", 1252, 0))
        + attribute(LVL_MESSAGE, ATT_MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\0")
    )
    if body is not None:
        props: list[tuple[int, int, bytes | int]] = [
            (PT_STRING8, PR_BODY, body.encode("cp1252") + b"\0")
        ]
        message += attribute(LVL_MESSAGE, ATT_MSG_PROPS, mapi_props(props))
    return (
        SIGNATURE
        + struct.pack("<H", LEGACY_KEY)
        + message
        + b"".join(_attachment(file) for file in files)
    )


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# The PNG signature and an IHDR chunk: enough for any sniffer to call it an image.
SIGNATURE_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\x00IEND\xaeB`\x82"
)
DOCX_SOURCE = REPO / "examples" / "content-controls.docx"
DOCX_LONG_NAME = "Diary sheet – March.docx"
PDF_TITLE = "Vorfälle.pdf"
BODY = "Please find my diary attached. The officer was PC 4567 Jones, ref CAD 2211/04MAR24."


def committed_winmail() -> bytes:
    """winmail.dat as committed: a diary .docx with its long name and MIME tag, a PDF known
    only by its cp1252 8.3 title, and a signature image, under a plain-text body."""
    return build_tnef(
        [
            TnefFile(
                b"DIARYS~1.DOC",
                DOCX_SOURCE.read_bytes(),
                long_filename=DOCX_LONG_NAME,
                mime_tag="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            TnefFile(PDF_TITLE.encode("cp1252"), MINIMAL_PDF),
            TnefFile(b"image001.png", SIGNATURE_PNG, long_filename="image001.png"),
        ],
        body=BODY,
    )


if __name__ == "__main__":
    target = HERE / "winmail.dat"
    target.write_bytes(committed_winmail())
    print(f"wrote {target} ({target.stat().st_size} bytes)")
