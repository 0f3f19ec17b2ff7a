"""Open a WordprocessingML package safely and return its main document XML.

Why not python-docx here: `docx.Document()` reads every part reachable through relationships
into memory (a 1 GiB image part costs 2 GB of RSS), parses styles, numbering and headers we never
use, and refuses Strict OOXML, .docm and .dotx. We read exactly three small parts
(`[Content_Types].xml`, `_rels/.rels`, the main document) and stream-inflate them with byte
counters, so a zip bomb or a lying header is stopped after at most `Limits.max_part_bytes`.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from lxml import etree

from parsers.errors import NeedsReview, RejectedFile

REL_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
)
WORD_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    }
)
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile attachment from costing more than a real diary sheet would.

    A 2,000-row LibreOffice diary is about 8 MB of document XML and compresses about 20:1, so these
    leave a wide margin for real sheets while stopping bombs long before they hurt.
    """

    max_input_bytes: int = 20 * 1024 * 1024
    max_members: int = 1000
    max_total_declared_bytes: int = 200 * 1024 * 1024
    max_part_bytes: int = 50 * 1024 * 1024
    # Compression ratio allowed for a part once it is over 1 MB inflated.
    max_ratio: int = 200


DEFAULT_LIMITS = Limits()

# Word never writes a DOCTYPE, so one is refused outright instead of being parsed around;
# the parser settings are a second line of defence (no entity expansion, no network, no DTD).
_XML_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def _bomb(detail: str) -> RejectedFile:
    return RejectedFile(
        "zip_bomb",
        f"The attachment was refused because {detail}; this is how malicious files look, "
        "so ask the resident to send the diary sheet again as a normal .docx file.",
    )


def _corrupt() -> RejectedFile:
    return RejectedFile(
        "corrupt_zip",
        "The Word file is damaged and cannot be opened; ask the resident to save it again "
        "and resend it.",
    )


def not_a_word_file() -> RejectedFile:
    return RejectedFile(
        "not_a_word_file",
        "The attachment is not a Word document; ask the resident to send the diary sheet as "
        "a .docx file.",
    )


def parse_xml(data: bytes) -> etree._Element:
    """Parse one package part, refusing DTDs and anything that is not well-formed XML."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise _dtd_forbidden()
    try:
        root = etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as err:
        if "entity" in str(err).lower():
            raise _dtd_forbidden() from err
        raise RejectedFile(
            "xml_malformed",
            "The Word file's contents are damaged (the document text is not readable); ask the "
            "resident to save it again and resend it.",
        ) from err
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lacks DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _dtd_forbidden()
    return root


def _dtd_forbidden() -> RejectedFile:
    return RejectedFile(
        "xml_dtd_forbidden",
        "The Word file contains document-type declarations, which Word never writes and which "
        "are used in attacks; it was not opened. Ask the resident to resend the diary sheet.",
    )


class Package:
    """A size-checked view of a .docx/.docm/.dotx zip that reads parts on demand."""

    def __init__(self, data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
        self._limits = limits
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            ValueError,
            EOFError,
            NotImplementedError,  # "zip file version 25.5" from a hand-crafted directory
            OSError,
        ) as err:
            raise _corrupt() from err
        if len(infos) > limits.max_members:
            raise _bomb(f"it holds {len(infos)} files (a Word document holds a few dozen)")
        declared = sum(info.file_size for info in infos)
        if declared > limits.max_total_declared_bytes:
            raise _bomb(f"it would unpack to {declared // (1024 * 1024)} MB")
        self._infos = {info.filename: info for info in infos}
        self._first = infos[0].filename if infos else None

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._infos)

    @property
    def first_member(self) -> str | None:
        return self._first

    def read(self, name: str) -> bytes:
        """Inflate one member with a running byte count; never trusts the declared sizes alone."""
        info = self._infos.get(name)
        if info is None:
            raise KeyError(name)
        # Deflate cannot make data much smaller than its compressed form, so a member that
        # claims to inflate to less than it occupies is lying about its size.
        if info.compress_type != zipfile.ZIP_STORED and info.compress_size > info.file_size + (
            info.file_size // 100 + 1024
        ):
            raise _bomb(f"the sizes recorded for {name!r} do not add up")
        out = bytearray()
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    out += chunk
                    self._check_size(name, len(out), info.compress_size)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            ValueError,
            NotImplementedError,
            # bz2/lzma members raise OSError on bad streams; encrypted members RuntimeError.
            OSError,
            RuntimeError,
        ) as err:
            raise _corrupt() from err
        return bytes(out)

    def _check_size(self, name: str, inflated: int, compressed: int) -> None:
        if inflated > self._limits.max_part_bytes:
            raise _bomb(f"{name!r} unpacks to more than {self._limits.max_part_bytes >> 20} MB")
        if inflated > 1024 * 1024 and inflated > self._limits.max_ratio * max(compressed, 1):
            raise _bomb(f"{name!r} is compressed more than {self._limits.max_ratio} to 1")

    def main_document_name(self) -> str:
        """The main WordprocessingML part, found through the package relationships."""
        if self._first == "mimetype" or (
            "content.xml" in self._infos and "mimetype" in self._infos
        ):
            raise NeedsReview(
                "odt_not_supported",
                "The attachment is an OpenDocument (.odt) file; ask the resident to save it as "
                "a Word .docx file and send it again.",
            )
        if "[Content_Types].xml" not in self._infos:
            raise not_a_word_file()
        target = self._main_from_rels()
        if target is None or target not in self._infos:
            raise not_a_word_file()
        if self._content_type(target) not in WORD_MAIN_TYPES:
            raise not_a_word_file()
        return target

    def _main_from_rels(self) -> str | None:
        if "_rels/.rels" not in self._infos:
            return "word/document.xml" if "word/document.xml" in self._infos else None
        rels = parse_xml(self.read("_rels/.rels"))
        for rel in rels.iter(f"{_REL_NS}Relationship"):
            if rel.get("Type") in REL_OFFICE_DOCUMENT and rel.get("TargetMode") != "External":
                return posixpath.normpath(rel.get("Target", "").lstrip("/"))
        return None

    def _content_type(self, part: str) -> str | None:
        types = parse_xml(self.read("[Content_Types].xml"))
        for override in types.iter(f"{_CT_NS}Override"):
            if override.get("PartName", "").lstrip("/") == part:
                return override.get("ContentType")
        extension = posixpath.splitext(part)[1].lstrip(".").lower()
        for default in types.iter(f"{_CT_NS}Default"):
            if default.get("Extension", "").lower() == extension:
                return default.get("ContentType")
        return None
