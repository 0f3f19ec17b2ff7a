"""Each WordprocessingML feature, as two writers wrote it, read by `parsers.wordxml`.

The files and what they must read as live in `tests/word_features/` (see its README): one
diary-sheet table per feature, written by hand and by LibreOffice, and `manifest.json` with the
expected paragraphs and cells per writer. Regenerate them with `make_fixtures.py` there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parsers.wordxml import Cell, Paragraph, Table, WordDocument, read_document

FIXTURES = Path(__file__).parent / "word_features"
FEATURES: dict[str, Any] = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))[
    "features"
]
WRITERS = ("handwritten", "libreoffice")
CASES = [(name, writer) for name in FEATURES for writer in FEATURES[name]["writers"]]


def entry(feature: str, writer: str) -> dict[str, Any]:
    return FEATURES[feature]["writers"][writer]  # type: ignore[no-any-return]


def read(feature: str, writer: str) -> WordDocument:
    return read_document((FIXTURES / entry(feature, writer)["file"]).read_bytes())


def shown(doc: WordDocument) -> list[Paragraph | Table]:
    """The blocks a reader sees: empty paragraphs (spacing, page breaks) are left out."""
    return [b for b in doc.blocks if not (isinstance(b, Paragraph) and b.text == "")]


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def expected_cell(spec: str | dict[str, Any]) -> dict[str, Any]:
    spec = {"text": spec} if isinstance(spec, str) else spec
    base = {"spanned": False, "merged_up": False, "date_hint": None}
    return base | spec


def actual_cell(cell: Cell, spec: str | dict[str, Any]) -> dict[str, Any]:
    """The cell in the manifest's shape. For a `contains_once` spec, the markers found once."""
    got: dict[str, Any] = {
        "spanned": cell.spanned,
        "merged_up": cell.merged_up,
        "date_hint": iso(cell.date_hint),
    }
    if isinstance(spec, dict) and "contains_once" in spec:
        got["contains_once"] = [m for m in spec["contains_once"] if cell.text.count(m) == 1]
    else:
        got["text"] = cell.text
    return got


def actual_table(table: Table, spec: dict[str, Any] | None) -> dict[str, Any]:
    rows_spec: list[list[Any]] = spec["rows"] if spec else []
    rows = []
    for i, row in enumerate(table.rows):
        cells_spec = rows_spec[i] if i < len(rows_spec) else []
        cells = [
            actual_cell(cell, cells_spec[j] if j < len(cells_spec) else "")
            for j, cell in enumerate(row.cells)
        ]
        rows.append({"is_header": row.is_header, "cells": cells})
    return {"table": rows}


def expected_table(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "table": [
            {"is_header": i in spec["header_rows"], "cells": [expected_cell(c) for c in cells]}
            for i, cells in enumerate(spec["rows"])
        ]
    }


def actual_blocks(doc: WordDocument, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, block in enumerate(shown(doc)):
        spec = specs[i] if i < len(specs) else {}
        if isinstance(block, Paragraph):
            out.append({"paragraph": block.text, "date_hint": iso(block.date_hint)})
        else:
            out.append(actual_table(block, spec.get("table")))
    return out


def expected_blocks(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"paragraph": s["paragraph"], "date_hint": s.get("date_hint")}
        if "paragraph" in s
        else expected_table(s["table"])
        for s in specs
    ]


@pytest.mark.parametrize(("feature", "writer"), CASES, ids=[f"{f}-{w}" for f, w in CASES])
def test_feature_reads_as_the_manifest_says(feature: str, writer: str) -> None:
    spec = entry(feature, writer)
    doc = read(feature, writer)
    assert actual_blocks(doc, spec["blocks"]) == expected_blocks(spec["blocks"])
    if spec["warnings_expected"]:
        assert doc.warnings, "tracked changes must be reported in WordDocument.warnings"


def data_rows(doc: WordDocument, specs: list[dict[str, Any]]) -> list[list[Any]]:
    """Text of every row after each table's header row; order-free where the manifest is."""
    tables = [b for b in shown(doc) if isinstance(b, Table)]
    table_specs = [s["table"] for s in specs if "table" in s]
    out: list[list[Any]] = []
    for table, tspec in zip(tables, table_specs + [None] * len(tables), strict=False):
        for i, row in enumerate(table.rows[1:], start=1):
            cells_spec = tspec["rows"][i] if tspec and i < len(tspec["rows"]) else []
            texts: list[Any] = []
            for j, cell in enumerate(row.cells):
                loose = j < len(cells_spec) and isinstance(cells_spec[j], dict)
                loose = loose and "contains_once" in cells_spec[j]
                texts.append(sorted(cell.text.split()) if loose else cell.text)
            out.append(texts)
    return out


@pytest.mark.parametrize("feature", list(FEATURES))
def test_writers_agree_on_data_rows(feature: str) -> None:
    specs = entry(feature, "handwritten")["blocks"]
    rows = {w: data_rows(read(feature, w), specs) for w in WRITERS}
    assert rows["libreoffice"] == rows["handwritten"]
    assert rows["handwritten"], "every fixture has at least one data row"


def test_every_feature_has_both_writers_and_documents_lost_constructs() -> None:
    for name, feature in FEATURES.items():
        assert set(feature["writers"]) == set(WRITERS), name
        for writer, spec in feature["writers"].items():
            assert (FIXTURES / spec["file"]).is_file(), spec["file"]
            if not spec["construct_present"]:
                assert writer == "libreoffice" and spec.get("note"), (name, writer)
