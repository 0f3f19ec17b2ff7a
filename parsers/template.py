"""The organisation's blank diary sheet, written with python-docx, that `parse_sheet` reads back.

python-docx is the right tool for writing: the document is small and its API keeps the template
readable. Filled entries can be written too, which the round-trip tests and the benchmark use.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import docx

HEADER_LABELS = (
    "Your name",
    "Address",
    "Phone",
    "Email",
    "Tenancy reference",
    "Name of person causing the problem",
    "Their address",
    "Police officer dealing",
    "Police reference number(s)",
)
COLUMNS = (
    "Date",
    "Time",
    "Where did it happen?",
    "What happened?",
    "Who was involved?",
    "Witnesses",
    "How did it affect you?",
    "Police ref (if any)",
)
INSTRUCTIONS = (
    "Please fill in a new row for each incident as soon as you can after it happens: the date, "
    "the time (say am or pm), where it happened, exactly what was said and done (even swear "
    "words), who did it, who saw it and how it affected you.",
    "Report crimes and incidents to the police first (101, or 999 in an emergency) and write "
    "the police reference number and the officer's name on this sheet.",
    "If you are in danger now, call 999.",
)


@dataclass(frozen=True)
class Entry:
    """One filled row, as a resident would type it (all text)."""

    date: str = ""
    time: str = ""
    where: str = ""
    what: str = ""
    who: str = ""
    witnesses: str = ""
    effect: str = ""
    police_ref: str = ""

    def cells(self) -> tuple[str, ...]:
        return (
            self.date,
            self.time,
            self.where,
            self.what,
            self.who,
            self.witnesses,
            self.effect,
            self.police_ref,
        )


def build_template(
    *,
    organisation: str = "Diary sheet",
    header: dict[str, str] | None = None,
    entries: Sequence[Entry] = (),
    blank_rows: int = 10,
) -> bytes:
    """The diary sheet as .docx bytes: title, instructions, header table, incident table."""
    document = docx.Document()
    document.add_heading(f"{organisation} – Harassment Diary Sheet", level=1)
    for line in INSTRUCTIONS:
        document.add_paragraph(line)
    values = header or {}
    details = document.add_table(rows=len(HEADER_LABELS), cols=2)
    details.style = "Table Grid"
    for row, label in zip(details.rows, HEADER_LABELS, strict=True):
        row.cells[0].text = label
        row.cells[1].text = values.get(label, "")
    document.add_paragraph()
    table = document.add_table(rows=1 + len(entries) + blank_rows, cols=len(COLUMNS))
    table.style = "Table Grid"
    rows = table.rows
    for cell, heading in zip(rows[0].cells, COLUMNS, strict=True):
        cell.text = heading
    for row, entry in zip(rows[1:], entries, strict=False):
        for cell, text in zip(row.cells, entry.cells(), strict=True):
            cell.text = text
    document.add_paragraph()
    document.add_paragraph("Signed:                              Date:")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
