"""Unwrap an Outlook winmail.dat (TNEF) into the files and body text it carries.

Outlook sends "Rich Text" mail as one application/ms-tnef part that hides every real attachment,
so a resident's diary sheet can sit inside it. tnefparse does the decoding; this module only
turns its untyped objects into plain values and its many failure modes into one `TnefError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tnefparse import TNEF

TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
# An attachment that is itself an Outlook message carries its own TNEF stream; a sender cannot
# nest them deeper than this by accident.
MAX_EMBEDDED_DEPTH = 5

_PR_ATTACH_LONG_FILENAME = 0x3707
_PR_ATTACH_MIME_TAG = 0x370E


class TnefError(Exception):
    """A winmail.dat could not be decoded; the message says what was wrong with it."""


@dataclass(frozen=True)
class TnefFile:
    filename: str | None
    data: bytes
    # PR_ATTACH_MIME_TAG when Outlook recorded one, lower case.
    content_type: str | None


@dataclass(frozen=True)
class TnefContent:
    files: tuple[TnefFile, ...]
    # The message body Outlook moved into the TNEF stream (plain text and HTML), if any.
    bodies: tuple[str, ...]
    html_bodies: tuple[str, ...]
    # Some attribute failed its checksum: the stream was damaged (often cut short) in transit,
    # so an attachment may be incomplete.
    damaged: bool = False


def read_tnef(data: bytes) -> TnefContent:
    """The attachments and bodies inside a TNEF stream, embedded Outlook messages flattened."""
    if not data.startswith(TNEF_SIGNATURE):
        raise TnefError("it does not start with the TNEF signature (the file is not TNEF)")
    try:
        tnef = TNEF(data)
        files: list[TnefFile] = []
        bodies: list[str] = []
        html: list[str] = []
        _collect(tnef, files, bodies, html, depth=0)
        damaged = not all(obj.good_checksum for obj in tnef.objects)
    except TnefError:
        raise
    except Exception as err:
        # tnefparse indexes raw bytes with struct and slices, so a truncated or hostile stream
        # surfaces as struct.error, IndexError, UnicodeDecodeError, UnboundLocalError, ...: any
        # of them means this stream is unreadable, and the caller keeps the raw file instead.
        raise TnefError(f"{type(err).__name__}: {err}") from err
    return TnefContent(tuple(files), tuple(bodies), tuple(html), damaged)


def _collect(
    tnef: Any, files: list[TnefFile], bodies: list[str], html: list[str], depth: int
) -> None:
    if depth > MAX_EMBEDDED_DEPTH:
        raise TnefError(f"Outlook messages are embedded more than {MAX_EMBEDDED_DEPTH} deep")
    for body, out in ((tnef.body, bodies), (tnef.htmlbody, html)):
        text = _text(body)
        if text.strip():
            out.append(text)
    for attachment in tnef.attachments:
        embedded = getattr(attachment, "embed", None)
        if embedded is not None:
            _collect(embedded, files, bodies, html, depth + 1)
            continue
        data = attachment.data
        if not isinstance(data, bytes) or not data:
            continue
        files.append(TnefFile(_filename(attachment), data, _mime_tag(attachment)))


def _filename(attachment: Any) -> str | None:
    for attr in attachment.mapi_attrs:
        if attr.name == _PR_ATTACH_LONG_FILENAME:
            name = _text(attr.data).strip("\x00").strip()
            if name:
                return name
    # `name`/`long_filename()` decode the 8.3 title as strict UTF-8, which fails on the
    # Windows code page Outlook writes it in, so read the raw title instead.
    title = _text(getattr(attachment, "_name", b"")).strip("\x00").strip()
    return title or None


def _mime_tag(attachment: Any) -> str | None:
    for attr in attachment.mapi_attrs:
        if attr.name == _PR_ATTACH_MIME_TAG:
            tag = _text(attr.data).strip("\x00").strip().lower()
            return tag or None
    return None


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("cp1252", "replace")
    return ""
