"""Tell what a file really is from its first bytes, whatever its name or Content-Type says.

Residents rename files, phones save PDFs as .docx and Outlook sends everything as
application/octet-stream, so the extension is never trusted. The checks are ordered cheapest
first and look at no more than the first few kilobytes.
"""

from __future__ import annotations

import enum

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD = 4096


class Kind(enum.StrEnum):
    ZIP = "zip"
    OLE = "ole"
    RTF = "rtf"
    HTML = "html"
    MHTML = "mhtml"
    WORD_2003_XML = "word_2003_xml"
    XML = "xml"
    PDF = "pdf"
    IMAGE = "image"
    EMPTY = "empty"
    UNKNOWN = "unknown"


_IMAGE_MAGICS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def _strip_bom(head: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def sniff(data: bytes) -> Kind:
    """The container kind of `data`."""
    if not data:
        return Kind.EMPTY
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return Kind.ZIP
    if data.startswith(_OLE_MAGIC):
        return Kind.OLE
    if data.startswith(b"%PDF-"):
        return Kind.PDF
    if data.startswith(_IMAGE_MAGICS) or data[8:12] == b"WEBP":
        return Kind.IMAGE
    return _sniff_text(_strip_bom(data[:_HEAD]).lstrip())


def _sniff_text(head: bytes) -> Kind:
    lower = head.lower()
    if lower.startswith(b"{\\rtf"):
        return Kind.RTF
    if lower.startswith(b"mime-version:") or b"\nmime-version:" in lower[:1024]:
        return Kind.MHTML
    if lower.startswith((b"<!doctype html", b"<html")) or b"<html" in lower[:1024]:
        return Kind.HTML
    if lower.startswith(b"<?xml"):
        if b'progid="word.document"' in lower or b"wordml" in lower:
            return Kind.WORD_2003_XML
        return Kind.XML
    return Kind.UNKNOWN


def ole_streams(data: bytes) -> set[str]:
    """Names of the streams in an OLE compound file (lower case), or an empty set if unreadable.

    olefile reads the directory without loading stream contents, which is all we need to tell
    an encrypted OOXML package (EncryptionInfo + EncryptedPackage) from a legacy .doc.
    """
    import io

    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return {"/".join(entry).lower() for entry in ole.listdir(streams=True)}
    except (OSError, ValueError, IndexError, TypeError):
        # olefile raises a zoo of errors on corrupt containers; any of them means "unreadable".
        return set()
