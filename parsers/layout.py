"""Diary-sheet layout recognition: which text on the page is a header field, which is an incident.

Three layouts are read, in any mix, in document order:
- an incident *table* found by its heading row (columns mapped by `labels.column_field`),
  continued across tables split by page breaks and past repeated heading rows;
- one *form* per incident: "Date: ...", "What happened? ..." label lines (in paragraphs or in
  two-column tables), one form per "Date" label, closed by the signature line;
- *free text*: paragraphs that start with a date ("Monday 3rd March about 10pm – he ...").
Header fields are found by their labels wherever the value sits: in the next cell, in the cell
below, after a colon in the same cell or paragraph, or in the paragraph after the label.
The result is still raw text; `parsers.sheet` turns it into dates, references and categories.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from parsers import dates
from parsers.labels import HEADER_FIELDS, INCIDENT_FIELDS, Field, column_field, field_for_label
from parsers.wordxml import Cell, Paragraph, Row, Table, WordDocument

_LABEL_LINE = re.compile(r"^\s*([^:?\n]{1,80}?)\s*([:?])\s*(.*)$", re.DOTALL)
_EXAMPLE = re.compile(r"^\s*(?:e\.?\s?g\.?\b|example\b|\(example\))", re.IGNORECASE)
_INCIDENT_DATE_FIELDS = frozenset({Field.DATE, Field.DATETIME})
# A heading row must name a date and something about what happened; two matching cells could
# be a header table ("Date | Time") rather than a diary.
_CONTENT_FIELDS = frozenset({Field.DESCRIPTION, Field.PERSONS, Field.LOCATION, Field.EFFECT})
_MIN_HEADING_COLUMNS = 3


@dataclass
class RawIncident:
    """One incident as the sheet wrote it: field -> text, plus where it came from."""

    layout: str
    source: str
    fields: dict[Field, str] = field(default_factory=dict)
    date_hint: dt.date | None = None

    def add(self, field_: Field, value: str) -> None:
        value = value.strip()
        if not value:
            return
        previous = self.fields.get(field_)
        self.fields[field_] = f"{previous}\n{value}" if previous else value

    def has_content(self) -> bool:
        """A date alone (a report date, a signature) is not an incident; a description is."""
        return any(
            f not in (Field.DATE, Field.TIME, Field.DATETIME, Field.POLICE) for f in self.fields
        )


@dataclass
class RawSheet:
    header: dict[Field, str] = field(default_factory=dict)
    header_police: list[str] = field(default_factory=list)
    incidents: list[RawIncident] = field(default_factory=list)


def label_value(text: str) -> tuple[Field, str] | None:
    """ "Name: Mrs A Patel" -> (NAME, "Mrs A Patel"); None when the text is not a known label."""
    match = _LABEL_LINE.match(text)
    if match is None:
        return None
    field_ = field_for_label(match.group(1))
    if field_ is None:
        return None
    return field_, match.group(3).strip()


def heading_map(row: Row) -> dict[int, Field] | None:
    """Column index -> field when `row` is an incident table's heading row, else None."""
    mapping: dict[int, Field] = {}
    for index, cell in enumerate(row.cells):
        if cell.spanned or not cell.text:
            continue
        field_ = column_field(cell.text)
        if field_ is not None and field_ not in mapping.values():
            mapping[index] = field_
    fields = set(mapping.values())
    is_heading = (
        len(fields) >= _MIN_HEADING_COLUMNS
        and bool(fields & (_INCIDENT_DATE_FIELDS | {Field.START}))
        and bool(fields & _CONTENT_FIELDS)
    )
    return mapping if is_heading else None


class _Recogniser:
    def __init__(self) -> None:
        self.sheet = RawSheet()
        self.form: RawIncident | None = None
        self.form_count = 0
        self.form_last_field: Field | None = None
        self.pending: Field | None = None
        self.columns: dict[int, Field] | None = None
        self.column_count = 0
        self.heading_texts: tuple[str, ...] = ()
        self.free_text: RawIncident | None = None
        self.tables = 0

    # ----- paragraphs ---------------------------------------------------------------------
    def paragraph(self, paragraph: Paragraph, index: int) -> None:
        text = paragraph.text
        if not text:
            self.free_text = None
            return
        labelled = label_value(text)
        if labelled is not None:
            self.free_text = None
            self.labelled(labelled[0], labelled[1], f"paragraph {index + 1}", paragraph.date_hint)
            return
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.labelled(pending, text, f"paragraph {index + 1}", paragraph.date_hint)
            return
        if self.form is not None and self.form_last_field is not None:
            self.form.add(self.form_last_field, text)
            return
        self.free_text_paragraph(text, index)

    def free_text_paragraph(self, text: str, index: int) -> None:
        date_text, time_text, rest = dates.leading_date_time(text)
        if date_text is None:
            if self.free_text is not None:
                self.free_text.add(Field.DESCRIPTION, text)
            return
        incident = RawIncident(layout="free_text", source=f"paragraph {index + 1}")
        incident.add(Field.DATE, date_text)
        if time_text:
            incident.add(Field.TIME, time_text)
        incident.add(Field.DESCRIPTION, rest)
        self.sheet.incidents.append(incident)
        self.free_text = incident

    def labelled(self, field_: Field, value: str, source: str, hint: dt.date | None) -> None:
        if not value:
            # The label stands alone; its value is the next paragraph or the cell below.
            self.pending = field_
            return
        self.pending = None
        if field_ is Field.SIGNATURE:
            self.close_form()
        elif field_ is Field.POLICE and self.form is None:
            self.sheet.header_police.append(value)
        elif field_ in HEADER_FIELDS:
            self.sheet.header.setdefault(field_, value)
        elif field_ in INCIDENT_FIELDS:
            self.form_field(field_, value, source, hint)

    def form_field(self, field_: Field, value: str, source: str, hint: dt.date | None) -> None:
        starts_new = field_ in _INCIDENT_DATE_FIELDS and (
            self.form is None or bool(set(self.form.fields) & _INCIDENT_DATE_FIELDS)
        )
        if starts_new or self.form is None:
            self.close_form()
            self.form_count += 1
            self.form = RawIncident(layout="forms", source=f"form {self.form_count} ({source})")
        self.form.add(field_, value)
        if hint is not None and field_ in _INCIDENT_DATE_FIELDS:
            self.form.date_hint = hint
        self.form_last_field = field_

    def close_form(self) -> None:
        if self.form is not None and self.form.has_content():
            self.sheet.incidents.append(self.form)
        self.form = None
        self.form_last_field = None

    # ----- tables -------------------------------------------------------------------------
    def table(self, table: Table, follows_table: bool) -> None:
        self.tables += 1
        self.pending = None
        self.free_text = None
        rows = table.rows
        start = 0
        for position, row in enumerate(rows[:3]):
            mapping = heading_map(row)
            if mapping is not None:
                self.columns, self.column_count, start = mapping, len(row.cells), position + 1
                self.heading_texts = tuple(cell.text.casefold() for cell in row.cells)
                break
        else:
            width = len(rows[0].cells) if rows else 0
            # A table straight after an incident table with the same columns is that table
            # continued on the next page (the heading was not typed again).
            if not (follows_table and self.columns is not None and width == self.column_count):
                self.columns = None
                self.label_table(table)
                return
        self.incident_rows(rows, start)

    def incident_rows(self, rows: tuple[Row, ...], start: int) -> None:
        assert self.columns is not None
        above: dict[int, str] = {}
        for number, row in enumerate(rows[start:], start=start + 1):
            if self._repeats_heading(row):
                continue  # the heading typed again on a later page
            values: dict[Field, str] = {}
            hint = None
            for index, field_ in self.columns.items():
                cell = row.cells[index] if index < len(row.cells) else Cell("")
                text = cell.text
                # A date merged down over several rows means the same day for each of them.
                if cell.merged_up and field_ in _INCIDENT_DATE_FIELDS:
                    text = above.get(index, "")
                above[index] = text
                if text:
                    values[field_] = text
                hint = hint or (cell.date_hint if field_ in _INCIDENT_DATE_FIELDS else None)
            if not values or any(_EXAMPLE.match(v) for v in values.values()):
                continue
            incident = RawIncident("table", f"table {self.tables} row {number}", date_hint=hint)
            for field_, text in values.items():
                incident.add(field_, text)
            self.sheet.incidents.append(incident)

    def _repeats_heading(self, row: Row) -> bool:
        """The heading row again, as repeated on each page of a split or pasted table.

        Comparing with the heading's own texts is exact and cheap; classifying every row's
        cells as headings again cost more than reading them.
        """
        same = sum(
            1
            for cell, heading in zip(row.cells, self.heading_texts, strict=False)
            if heading and cell.text.casefold() == heading
        )
        return same >= min(_MIN_HEADING_COLUMNS, len(self.columns or ()))

    def label_table(self, table: Table) -> None:
        rows = table.rows
        for r, row in enumerate(rows):
            used: set[int] = set()
            for c, cell in enumerate(row.cells):
                if c in used or not cell.text:
                    continue
                source = f"table {self.tables} row {r + 1}"
                field_ = field_for_label(cell.text)
                if field_ is None:
                    for line in cell.text.split("\n"):
                        labelled = label_value(line)
                        if labelled is not None:
                            self.labelled(labelled[0], labelled[1], source, cell.date_hint)
                    continue
                value, at = _value_beside(rows, r, c)
                used.add(at)
                self.labelled(field_, value, source, None)
                self.pending = None
        self.close_form()


def _value_beside(rows: tuple[Row, ...], r: int, c: int) -> tuple[str, int]:
    """The value for the label in cell (r, c): the next cell to the right, else the one below."""
    cells = rows[r].cells
    for at in range(c + 1, len(cells)):
        if cells[at].spanned:
            continue
        if cells[at].text and field_for_label(cells[at].text) is None:
            return cells[at].text, at
        break
    if r + 1 < len(rows) and c < len(rows[r + 1].cells):
        below = rows[r + 1].cells[c].text
        if (
            below
            and field_for_label(below) is None
            and all(not cell.text for cell in rows[r].cells[c + 1 :])
        ):
            return below, -1
    return "", -1


def recognise(document: WordDocument) -> RawSheet:
    """Header fields and raw incidents, in document order."""
    recogniser = _Recogniser()
    previous_was_table = False
    for index, block in enumerate(document.blocks):
        if isinstance(block, Table):
            recogniser.close_form()
            recogniser.table(block, previous_was_table)
            previous_was_table = True
        else:
            recogniser.paragraph(block, index)
            # Empty paragraphs and page breaks between two tables do not break a continuation.
            if block.text:
                previous_was_table = False
    recogniser.close_form()
    return recogniser.sheet
