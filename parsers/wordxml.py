"""Word XML extraction: .docx bytes -> an ordered model of paragraphs and tables.

Why lxml and not python-docx for reading: python-docx's `Paragraph.text` joins only direct `w:r`
and `w:hyperlink` children, so text inside content controls, tracked insertions, smart tags,
customXml, simple fields and text boxes is silently lost; `row.cells` repeats merged cells, hides
cells wrapped in `w:sdt` (later columns shift left) and raises on irregular vertical merges; and it
costs about 50x the parse floor on a 2,000-row sheet. This walker treats every wrapper as
transparent, picks exactly one branch of `mc:AlternateContent`, maps cells to grid columns, and
loops over children with `==` tag tests (no XPath in the hot path). python-docx is still used
where it serves: writing the blank template (`parsers.template`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from parsers.errors import ParseError
from parsers.package import DEFAULT_LIMITS, Limits, Package, not_a_word_file, parse_xml

W_TRANSITIONAL = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"

TRACKED_CHANGES = (
    "The document has tracked changes: insertions were read as written and deletions left out; "
    "check the original if the wording matters."
)
CHECKED = "☒"
UNCHECKED = "☐"

WordError = ParseError


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str | None = None
    date_hint: dt.date | None = None


@dataclass(frozen=True)
class Cell:
    text: str
    spanned: bool = False
    merged_up: bool = False
    date_hint: dt.date | None = None


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    is_header: bool = False


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]


Block = Paragraph | Table


@dataclass(frozen=True)
class WordDocument:
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...] = ()


# Word's symbol fonts put glyphs in the private-use area; map the few that mean something on a
# form (ticks and boxes) so a ticked Wingdings box does not read as U+F0FC.
_SYMBOLS = {
    0xF0FC: "✓",
    0xF0FB: "✗",
    0xF0FE: CHECKED,
    0xF078: CHECKED,
    0xF0A8: UNCHECKED,
    0xF06F: UNCHECKED,
}
# Word's stock prompts for empty content controls. LibreOffice drops `w:showingPlcHdr` when it
# re-saves a form, leaving the prompt as if it were typed; no resident types these sentences.
PLACEHOLDER_PROMPTS = frozenset(
    {
        "click or tap here to enter text.",
        "click here to enter text.",
        "click or tap to enter a date.",
        "click here to enter a date.",
        "choose an item.",
        "enter any content that you want to repeat, including other content controls.",
    }
)
_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")


def normalise_text(raw: str) -> str:
    """NBSP and typographic spaces become one space; space runs collapse; ends are stripped."""
    text = _SPACES.sub(" ", raw)
    if "\n" in text:
        text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return text.strip()


class _Tags:
    """Clark-notation tag names for one namespace (Transitional or Strict)."""

    def __init__(self, ns: str) -> None:
        w = "{" + ns + "}"
        self.w = w
        for name in (
            "body p r t tab ptab br cr noBreakHyphen softHyphen sym tbl tr tc trPr tcPr "
            "gridSpan vMerge gridBefore gridAfter tblHeader del ins moveFrom moveTo delText "
            "instrText fldChar fldSimple hyperlink smartTag customXml dir bdo sdt sdtPr "
            "sdtContent showingPlcHdr date txbxContent drawing pict object ffData checkBox "
            "checked default altChunk pPr pStyle"
        ).split():
            setattr(self, name.replace("del", "del_") if name == "del" else name, w + name)
        self.val = w + "val"
        self.type = w + "type"
        self.char = w + "char"
        self.full_date = w + "fullDate"
        self.fld_char_type = w + "fldCharType"
        self.inline_wrappers = frozenset(
            {
                self.hyperlink,
                self.smartTag,
                self.customXml,
                self.dir,
                self.bdo,
                self.ins,
                self.moveTo,
                self.fldSimple,
            }
        )
        self.skipped = frozenset({self.del_, self.moveFrom})
        self.run_marks = {
            self.tab: "\t",
            self.ptab: "\t",
            self.cr: "\n",
            self.noBreakHyphen: "-",
        }

    # Attributes are set dynamically above; declared here for the type checker.
    body: str
    p: str
    r: str
    t: str
    tab: str
    ptab: str
    br: str
    cr: str
    noBreakHyphen: str
    softHyphen: str
    sym: str
    tbl: str
    tr: str
    tc: str
    trPr: str
    tcPr: str
    gridSpan: str
    vMerge: str
    gridBefore: str
    gridAfter: str
    tblHeader: str
    del_: str
    ins: str
    moveFrom: str
    moveTo: str
    delText: str
    instrText: str
    fldChar: str
    fldSimple: str
    hyperlink: str
    smartTag: str
    customXml: str
    dir: str
    bdo: str
    sdt: str
    sdtPr: str
    sdtContent: str
    showingPlcHdr: str
    date: str
    txbxContent: str
    drawing: str
    pict: str
    object: str
    ffData: str
    checkBox: str
    checked: str
    default: str
    altChunk: str
    pPr: str
    pStyle: str


_TAGS = {ns: _Tags(ns) for ns in (W_TRANSITIONAL, W_STRICT)}


@dataclass
class _Field:
    """One open complex field (`w:fldChar begin ... separate ... end`)."""

    in_result: bool = False


@dataclass
class _Text:
    """Accumulates the text of one paragraph and anything found inside it."""

    parts: list[str] = field(default_factory=list)
    date_hint: dt.date | None = None
    # Paragraphs and tables from text boxes anchored in this paragraph, read after it.
    extra: list[Block] = field(default_factory=list)


def _choose_branch(alternate: etree._Element) -> etree._Element | None:
    """The one branch of mc:AlternateContent to read: first Choice, else Fallback.

    Reading both would give every text box twice (docx2python's bug); both carry the same text.
    """
    for child in alternate:
        if child.tag == _MC + "Choice":
            return child
    for child in alternate:
        if child.tag == _MC + "Fallback":
            return child
    return None


def _on(element: etree._Element | None, tags: _Tags, default: bool = True) -> bool:
    """The value of an OOXML on/off property element (absent val means on)."""
    if element is None:
        return False
    value = element.get(tags.val)
    if value is None:
        value = element.get(_W14 + "val")
    if value is None:
        return default
    return value.lower() not in ("0", "false", "off")


class _Walker:
    def __init__(self, tags: _Tags) -> None:
        self.t = tags
        self.fields: list[_Field] = []
        self.suppress = 0
        self.warnings: set[str] = set()

    # ----- blocks -------------------------------------------------------------------------
    def blocks(self, container: etree._Element) -> Iterator[Block]:
        for child in container:
            yield from self._block(child)

    def _block(self, child: etree._Element) -> Iterator[Block]:
        t = self.t
        tag = child.tag
        if tag == t.p:
            yield from self.paragraph(child)
        elif tag == t.tbl:
            yield self.table(child)
        elif tag == t.sdt:
            yield from self._sdt_blocks(child)
        elif tag in (t.customXml, t.ins, t.moveTo, t.smartTag):
            yield from self.blocks(child)
        elif tag == _MC + "AlternateContent":
            branch = _choose_branch(child)
            if branch is not None:
                yield from self.blocks(branch)
        elif tag == t.altChunk:
            self.warnings.add(
                "Part of the document is an embedded chunk (altChunk) that was not read; "
                "check the original file."
            )
        elif tag in t.skipped:
            self.warnings.add(TRACKED_CHANGES)

    def _sdt_blocks(self, sdt: etree._Element) -> Iterator[Block]:
        content, placeholder, _ = self._sdt_parts(sdt)
        if content is None:
            return
        self.suppress += placeholder
        try:
            for block in self.blocks(content):
                if isinstance(block, Paragraph) and _is_prompt(block.text):
                    block = Paragraph("", block.style, block.date_hint)
                yield block
        finally:
            self.suppress -= placeholder

    def _sdt_parts(self, sdt: etree._Element) -> tuple[etree._Element | None, int, dt.date | None]:
        """(sdtContent, 1 if it shows placeholder text else 0, date-picker value)."""
        t = self.t
        content = None
        placeholder = 0
        date_hint = None
        for child in sdt:
            if child.tag == t.sdtContent:
                content = child
            elif child.tag == t.sdtPr:
                for prop in child:
                    if prop.tag == t.showingPlcHdr and _on(prop, t):
                        placeholder = 1
                    elif prop.tag == t.date:
                        date_hint = _full_date(prop.get(t.full_date))
        return content, placeholder, date_hint

    # ----- tables -------------------------------------------------------------------------
    def table(self, tbl: etree._Element) -> Table:
        return Table(rows=tuple(self._rows(tbl)))

    def _rows(self, container: etree._Element) -> Iterator[Row]:
        t = self.t
        for child in container:
            tag = child.tag
            if tag == t.tr:
                row = self._row(child)
                if row is not None:
                    yield row
            elif tag in (t.sdt, t.customXml):
                content = self._transparent_content(child)
                if content is not None:
                    yield from self._rows(content)
            elif tag == _MC + "AlternateContent":
                branch = _choose_branch(child)
                if branch is not None:
                    yield from self._rows(branch)

    def _transparent_content(self, wrapper: etree._Element) -> etree._Element | None:
        if wrapper.tag == self.t.customXml:
            return wrapper
        content, _, _ = self._sdt_parts(wrapper)
        return content

    def _row(self, tr: etree._Element) -> Row | None:
        t = self.t
        before = after = 0
        is_header = False
        for child in tr:
            if child.tag != t.trPr:
                continue
            for prop in child:
                if prop.tag == t.del_:
                    # A row deleted with track changes is still in the XML; it is not content.
                    self.warnings.add(TRACKED_CHANGES)
                    return None
                if prop.tag == t.tblHeader:
                    is_header = _on(prop, t)
                elif prop.tag == t.gridBefore:
                    before = _int(prop.get(t.val))
                elif prop.tag == t.gridAfter:
                    after = _int(prop.get(t.val))
        cells: list[Cell] = [Cell("") for _ in range(before)]
        for tc, placeholder in self._cells(tr, 0):
            self.suppress += placeholder
            try:
                cells.extend(self._cell(tc))
            finally:
                self.suppress -= placeholder
        cells.extend(Cell("") for _ in range(after))
        return Row(cells=tuple(cells), is_header=is_header)

    def _cells(
        self, container: etree._Element, placeholder: int
    ) -> Iterator[tuple[etree._Element, int]]:
        t = self.t
        for child in container:
            tag = child.tag
            if tag == t.tc:
                yield child, placeholder
            elif tag == t.sdt:
                content, shows_placeholder, _ = self._sdt_parts(child)
                if content is not None:
                    yield from self._cells(content, placeholder or shows_placeholder)
            elif tag == t.customXml:
                yield from self._cells(child, placeholder)
            elif tag == _MC + "AlternateContent":
                branch = _choose_branch(child)
                if branch is not None:
                    yield from self._cells(branch, placeholder)

    def _cell(self, tc: etree._Element) -> list[Cell]:
        t = self.t
        span = 1
        merged_up = False
        for child in tc:
            if child.tag == t.tcPr:
                for prop in child:
                    if prop.tag == t.gridSpan:
                        span = max(1, _int(prop.get(t.val)))
                    elif prop.tag == t.vMerge:
                        merged_up = prop.get(t.val, "continue") != "restart"
                break
        first = Cell("", merged_up=True) if merged_up else self._cell_content(tc)
        return [first, *(Cell("", spanned=True) for _ in range(span - 1))]

    def _cell_content(self, tc: etree._Element) -> Cell:
        lines: list[str] = []
        date_hint = None
        t = self.t
        for child in tc:
            tag = child.tag
            if tag == t.tcPr:
                continue
            # Cells are nearly all plain paragraphs: read those without the block generators.
            if tag == t.p:
                paragraph, extra = self._paragraph(child)
                items: list[Block] = [paragraph, *extra]
            else:
                items = list(self._block(child))
            for item in items:
                if isinstance(item, Paragraph):
                    if item.text:
                        lines.append(item.text)
                    date_hint = date_hint or item.date_hint
                else:
                    lines.extend(_flatten(item))
        return Cell("\n".join(lines), date_hint=date_hint)

    # ----- paragraphs ---------------------------------------------------------------------
    def paragraph(self, p: etree._Element) -> Iterator[Block]:
        paragraph, extra = self._paragraph(p)
        yield paragraph
        yield from extra

    def _paragraph(self, p: etree._Element) -> tuple[Paragraph, list[Block]]:
        acc = _Text()
        style = None
        ppr = self.t.pPr
        for child in p:
            if child.tag == ppr:
                style = self._style(child)
            else:
                self._inline(child, acc)
        if self.fields:
            # Field instructions never span paragraphs; a field still in its instruction phase
            # here was never closed, and leaving it open would hide the rest of the document.
            self.fields = [f for f in self.fields if f.in_result]
        text = normalise_text("".join(acc.parts)) if acc.parts else ""
        return Paragraph(text, style, acc.date_hint), acc.extra

    def _style(self, ppr: etree._Element) -> str | None:
        for prop in ppr:
            if prop.tag == self.t.pStyle:
                return prop.get(self.t.val)
        return None

    def _inline(self, element: etree._Element, acc: _Text) -> None:
        t = self.t
        tag = element.tag
        if tag == t.r:
            self._run(element, acc)
        elif tag in t.inline_wrappers:
            if tag in (t.ins, t.moveTo):
                self.warnings.add(TRACKED_CHANGES)
            for child in element:
                self._inline(child, acc)
        elif tag == t.sdt:
            self._inline_sdt(element, acc)
        elif tag == _MC + "AlternateContent":
            branch = _choose_branch(element)
            if branch is not None:
                for child in branch:
                    self._inline(child, acc)
        elif tag in t.skipped:
            self.warnings.add(TRACKED_CHANGES)

    def _inline_sdt(self, sdt: etree._Element, acc: _Text) -> None:
        checkbox = _checkbox_state(sdt, self.t)
        if checkbox is not None:
            if not self.suppress:
                acc.parts.append(CHECKED if checkbox else UNCHECKED)
            return
        content, placeholder, date_hint = self._sdt_parts(sdt)
        if content is None:
            return
        if date_hint is not None and not placeholder:
            acc.date_hint = date_hint
        start = len(acc.parts)
        self.suppress += placeholder
        try:
            for child in content:
                self._inline(child, acc)
        finally:
            self.suppress -= placeholder
        if _is_prompt("".join(acc.parts[start:])):
            del acc.parts[start:]

    def _emitting(self) -> bool:
        if self.suppress:
            return False
        return not self.fields or all(f.in_result for f in self.fields)

    def _run(self, r: etree._Element, acc: _Text) -> None:
        t = self.t
        for child in r:
            tag = child.tag
            if tag == t.t:
                text = child.text
                if text and (not (self.suppress or self.fields) or self._emitting()):
                    acc.parts.append(text)
            elif tag in t.run_marks:
                self._emit(acc, t.run_marks[tag])
            elif tag == t.fldChar:
                self._field_char(child, acc)
            elif tag == t.br:
                # Page and column breaks are layout, not text; a plain break is a new line.
                if child.get(t.type) not in ("page", "column"):
                    self._emit(acc, "\n")
            elif tag == t.sym:
                self._emit(acc, _symbol(child.get(t.char)))
            elif tag in (t.drawing, t.pict, t.object):
                self._text_boxes(child, acc)
            elif tag == _MC + "AlternateContent":
                branch = _choose_branch(child)
                if branch is not None:
                    self._run(branch, acc)

    def _emit(self, acc: _Text, text: str) -> None:
        if self._emitting():
            acc.parts.append(text)

    def _field_char(self, fld: etree._Element, acc: _Text) -> None:
        kind = fld.get(self.t.fld_char_type)
        if kind == "begin":
            checkbox = _form_checkbox(fld, self.t)
            if checkbox is not None:
                self._emit(acc, CHECKED if checkbox else UNCHECKED)
            self.fields.append(_Field())
        elif kind == "separate" and self.fields:
            self.fields[-1].in_result = True
        elif kind == "end" and self.fields:
            self.fields.pop()

    def _text_boxes(self, holder: etree._Element, acc: _Text) -> None:
        if not self._emitting():
            return
        for box in _outermost(holder, self.t.txbxContent):
            acc.extra.extend(self.blocks(box))


def _outermost(root: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Descendants with `tag` that are not inside another one (text boxes inside text boxes)."""
    for element in root.iter(tag):
        parent = element.getparent()
        nested = False
        while parent is not None and parent is not root:
            if parent.tag == tag:
                nested = True
                break
            parent = parent.getparent()
        if not nested:
            yield element


def _is_prompt(text: str) -> bool:
    return len(text) < 90 and normalise_text(text).lower() in PLACEHOLDER_PROMPTS


def _checkbox_state(sdt: etree._Element, tags: _Tags) -> bool | None:
    for child in sdt:
        if child.tag == tags.sdtPr:
            for prop in child:
                if prop.tag == _W14 + "checkbox":
                    for state in prop:
                        if state.tag == _W14 + "checked":
                            return _on(state, tags)
                    return False
    return None


def _form_checkbox(fld: etree._Element, tags: _Tags) -> bool | None:
    """State of a legacy FORMCHECKBOX: `w:checked` if present, else its `w:default`."""
    for ff in fld:
        if ff.tag != tags.ffData:
            continue
        for prop in ff:
            if prop.tag == tags.checkBox:
                state = None
                for item in prop:
                    if item.tag == tags.checked:
                        return _on(item, tags)
                    if item.tag == tags.default:
                        state = _on(item, tags)
                return bool(state)
    return None


def _symbol(char: str | None) -> str:
    if not char:
        return ""
    try:
        code = int(char, 16)
    except ValueError:
        return ""
    if code in _SYMBOLS:
        return _SYMBOLS[code]
    return chr(code - 0xF000) if 0xF020 <= code <= 0xF0FF else chr(code)


def _full_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# Word allows at most 63 grid columns; a larger span or offset is hostile or corrupt, and
# honouring it would build millions of empty cells.
_MAX_GRID = 64


def _int(value: str | None) -> int:
    try:
        return min(max(int(value or 0), 0), _MAX_GRID)
    except ValueError:
        return 0


def _flatten(table: Table) -> Iterable[str]:
    """A nested table as lines of " | "-joined cells, so its text stays in its outer cell."""
    for row in table.rows:
        line = " | ".join(cell.text for cell in row.cells if cell.text)
        if line:
            yield line


def document_root(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    """The parsed main document part of a .docx/.docm/.dotx (Transitional or Strict)."""
    package = Package(data, limits)
    return parse_xml(package.read(package.main_document_name()))


def read_document(data: bytes, limits: Limits = DEFAULT_LIMITS) -> WordDocument:
    """Read a WordprocessingML package into paragraphs and tables; raises `WordError`."""
    root = document_root(data, limits)
    ns = etree.QName(root).namespace
    tags = _TAGS.get(ns or "")
    if tags is None:
        raise not_a_word_file()
    body = next((child for child in root if child.tag == tags.body), None)
    if body is None:
        return WordDocument(blocks=())
    walker = _Walker(tags)
    blocks = tuple(walker.blocks(body))
    return WordDocument(blocks=blocks, warnings=tuple(sorted(walker.warnings)))
