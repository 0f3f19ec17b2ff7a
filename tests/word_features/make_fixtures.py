"""Regenerate the Word-feature fixtures: one small diary-sheet .docx per WordprocessingML feature.

Run from the repository root:

    .venv/bin/python tests/word_features/make_fixtures.py

Two writers per feature:

* ``handwritten/<feature>.<ext>``: a minimal package written here by hand (``[Content_Types].xml``,
  ``_rels/.rels``, ``word/document.xml`` and a small ``word/styles.xml``).
* ``libreoffice/<feature>.<ext>``: written by LibreOffice (``soffice`` must be on PATH; the step
  is skipped with a message when it is not). Normally LibreOffice re-saves the handwritten file.
  Where a re-save drops the construct but LibreOffice writes it from another source, the source
  is a variant of the handwritten file (same texts), so the WordprocessingML for the feature is
  still LibreOffice's own. LibreOffice cannot write ISO 29500 Strict at all: the Strict variant
  is LibreOffice's Transitional output with the namespaces moved to Strict by this script.
  Constructs LibreOffice cannot write at all are kept as LibreOffice rewrote them, and the
  manifest says so (``construct_present: false`` and a ``note``).

``manifest.json`` records, per feature and writer, the file, how it was produced, whether the
construct is really present in the written ``word/document.xml`` (checked here with XPath), and
what the extractor must return. ``tests/test_word_features.py`` reads it.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lxml import etree

HERE = Path(__file__).resolve().parent
HANDWRITTEN = HERE / "handwritten"
LIBREOFFICE = HERE / "libreoffice"
MANIFEST = HERE / "manifest.json"

# --------------------------------------------------------------------------------------------
# Namespaces and package parts
# --------------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {
    "w": W_NS,
    "r": R_NS,
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "w10": "urn:schemas-microsoft-com:office:word",
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "w15": "http://schemas.microsoft.com/office/word/2012/wordml",
}
STRICT_NS = {
    "w": "http://purl.oclc.org/ooxml/wordprocessingml/main",
    "r": "http://purl.oclc.org/ooxml/officeDocument/relationships",
}
# Transitional URI -> Strict URI, applied to every XML part of a Strict package (element and
# attribute namespaces, and relationship types in the .rels parts).
STRICT_URI_MAP = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main": STRICT_NS["w"],
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": STRICT_NS["r"],
    "http://schemas.openxmlformats.org/drawingml/2006/main": "http://purl.oclc.org/ooxml/drawingml/main",
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing": (
        "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/picture": (
        "http://purl.oclc.org/ooxml/drawingml/picture"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/math": (
        "http://purl.oclc.org/ooxml/officeDocument/math"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": (
        "http://purl.oclc.org/ooxml/officeDocument/extendedProperties"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties": (
        "http://purl.oclc.org/ooxml/officeDocument/customProperties"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes": (
        "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"
    ),
}
REL_TRANSITIONAL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/"

MAIN_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
    "dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
}
# LibreOffice export filter per file extension.
LO_FILTERS = {
    "docx": "MS Word 2007 XML",
    "docm": "MS Word 2007 XML VBA",
    "dotx": "MS Word 2007 XML Template",
}

DOC_NS_DECL = " ".join(
    f'xmlns:{prefix}="{uri}"'
    for prefix, uri in NS.items()
    if prefix not in ("w", "r")  # declared separately so that Strict can swap them
)
ZIP_DATE = (2024, 4, 3, 12, 0, 0)  # fixed member timestamps: regeneration is byte-stable
AUTHOR = "Resident"
REV_DATE = "2024-04-04T09:30:00Z"


def content_types(main_type: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>'
        '<Override PartName="/word/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"
    )


def package_rels(rel_base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel_base}officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"
    )


def document_rels(rel_base: str, extra: Sequence[tuple[str, str, str]]) -> str:
    rows = [f'<Relationship Id="rIdStyles" Type="{rel_base}styles" Target="styles.xml"/>']
    rows += [
        f'<Relationship Id="{rid}" Type="{rel_base}{kind}" Target="{target}" '
        'TargetMode="External"/>'
        for rid, kind, target in extra
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(rows)
        + "</Relationships>"
    )


CORE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>Incident diary sheet</dc:title><dc:creator>diarydesk fixtures</dc:creator>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2024-04-03T12:00:00Z</dcterms:created>'
    "</cp:coreProperties>"
)


def styles_xml(w_uri: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:styles xmlns:w="{w_uri}">'
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        '<w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/>'
        '<w:sz w:val="22"/><w:lang w:val="en-GB"/>'
        "</w:rPr></w:rPrDefault><w:pPrDefault/></w:docDefaults>"
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal">'
        '<w:name w:val="Normal"/></w:style>'
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/></w:style>'
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal">'
        '<w:name w:val="Normal Table"/></w:style>'
        '<w:style w:type="character" w:styleId="PlaceholderText">'
        '<w:name w:val="Placeholder Text"/><w:rPr><w:color w:val="808080"/></w:rPr></w:style>'
        '<w:style w:type="character" w:styleId="Hyperlink">'
        '<w:name w:val="Hyperlink"/><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/>'
        "</w:rPr></w:style>"
        "</w:styles>"
    )


SECT_PR = (
    '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
    '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="708" '
    'w:footer="708" w:gutter="0"/></w:sectPr>'
)


def document_xml(body: str, *, strict: bool = False) -> str:
    w_uri, r_uri = (STRICT_NS["w"], STRICT_NS["r"]) if strict else (W_NS, R_NS)
    conformance = ' w:conformance="strict"' if strict else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{w_uri}" xmlns:r="{r_uri}" {DOC_NS_DECL} '
        f'mc:Ignorable="w14 w15"{conformance}><w:body>{body}{SECT_PR}</w:body></w:document>'
    )


# --------------------------------------------------------------------------------------------
# WordprocessingML snippets
# --------------------------------------------------------------------------------------------

HEADER = ("Date", "Time", "What happened", "Who")
GRID = (1500, 1100, 4500, 1900)  # twentieths of a point; sums to the text width of A4
TBL_PR = (
    '<w:tblPr><w:tblW w:w="9000" w:type="dxa"/><w:tblBorders>'
    + "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    + '</w:tblBorders><w:tblLayout w:type="fixed"/>'
    '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
    'w:noHBand="0" w:noVBand="1"/></w:tblPr>'
)


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def t(text: str, tag: str = "w:t") -> str:
    return f'<{tag} xml:space="preserve">{esc(text)}</{tag}>'


def r(text: str, rpr: str = "") -> str:
    return f"<w:r>{f'<w:rPr>{rpr}</w:rPr>' if rpr else ''}{t(text)}</w:r>"


def p(*content: str, ppr: str = "") -> str:
    """A paragraph; plain strings become runs, markup (starting with '<') is kept as is."""
    inner = "".join(c if c.startswith("<") else r(c) for c in content)
    return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{inner}</w:p>"


def tc(*content: str, col: int, span: int = 1, tcpr: str = "") -> str:
    """A cell; plain strings become one paragraph each."""
    width = sum(GRID[col : col + span])
    span_xml = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    inner = "".join(c if c.startswith("<") else p(c) for c in content) or p()
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span_xml}{tcpr}</w:tcPr>{inner}</w:tc>'
    )


def tr(*cells: str, trpr: str = "") -> str:
    return f"<w:tr>{f'<w:trPr>{trpr}</w:trPr>' if trpr else ''}{''.join(cells)}</w:tr>"


def row(*texts: str, trpr: str = "") -> str:
    """A row of plain cells; an item starting with '<w:tc' is used as the cell itself."""
    cells = [x if x.startswith("<w:tc") else tc(x, col=i) for i, x in enumerate(texts)]
    return tr(*cells, trpr=trpr)


def header_row(trpr: str = "") -> str:
    return row(*HEADER, trpr=trpr)


def tbl(*rows: str, grid: Sequence[int] = GRID) -> str:
    grid_xml = "".join(f'<w:gridCol w:w="{w}"/>' for w in grid)
    return f"<w:tbl>{TBL_PR}<w:tblGrid>{grid_xml}</w:tblGrid>{''.join(rows)}</w:tbl>"


_ids = iter(range(100, 10_000))


def sdt(content: str, *, pr: str = "", alias: str = "", end_pr: bool = True) -> str:
    alias_xml = f'<w:alias w:val="{alias}"/><w:tag w:val="{alias.lower()}"/>' if alias else ""
    return (
        f'<w:sdt><w:sdtPr>{alias_xml}<w:id w:val="{next(_ids)}"/>{pr}</w:sdtPr>'
        f"{'<w:sdtEndPr/>' if end_pr else ''}<w:sdtContent>{content}</w:sdtContent></w:sdt>"
    )


def rev(tag: str, content: str) -> str:
    return (
        f'<w:{tag} w:id="{next(_ids)}" w:author="{AUTHOR}" w:date="{REV_DATE}">{content}</w:{tag}>'
    )


def rev_mark(tag: str, mark_id: int | None = None, **attrs: str) -> str:
    extra = "".join(f' w:{k}="{v}"' for k, v in attrs.items())
    mark_id = next(_ids) if mark_id is None else mark_id
    return f'<w:{tag} w:id="{mark_id}" w:author="{AUTHOR}" w:date="{REV_DATE}"{extra}/>'


def del_run(text: str) -> str:
    return f"<w:r>{t(text, 'w:delText')}</w:r>"


def fld_begin(ffdata: str = "") -> str:
    inner = f"<w:ffData>{ffdata}</w:ffData>" if ffdata else ""
    return f'<w:r><w:fldChar w:fldCharType="begin">{inner}</w:fldChar></w:r>'


def fld_instr(instr: str) -> str:
    return f"<w:r>{t(instr, 'w:instrText')}</w:r>"


FLD_SEPARATE = '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
FLD_END = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'


def form_text(name: str, result: str) -> str:
    ffdata = f'<w:name w:val="{name}"/><w:enabled/><w:calcOnExit w:val="0"/><w:textInput/>'
    return (
        fld_begin(ffdata)
        + fld_instr(" FORMTEXT ")
        + FLD_SEPARATE
        + r(result, "<w:noProof/>")
        + FLD_END
    )


def form_checkbox(name: str, state: str) -> str:
    ffdata = (
        f'<w:name w:val="{name}"/><w:enabled/><w:calcOnExit w:val="0"/>'
        f"<w:checkBox><w:sizeAuto/>{state}</w:checkBox>"
    )
    return fld_begin(ffdata) + fld_instr(" FORMCHECKBOX ") + FLD_END


def checkbox_sdt(checked: bool, *, wingdings: bool = False) -> str:
    """A w14:checkbox content control; the Wingdings variant shows a glyph that is not ☒/☐."""
    if wingdings:
        states = (
            '<w14:checkedState w14:val="00FE" w14:font="Wingdings"/>'
            '<w14:uncheckedState w14:val="00A8" w14:font="Wingdings"/>'
        )
        glyph, font = ("\u00fe" if checked else "\u00a8"), "Wingdings"
    else:
        states = (
            '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
            '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
        )
        glyph, font = ("\u2612" if checked else "\u2610"), "MS Gothic"
    pr = f'<w14:checkbox><w14:checked w14:val="{1 if checked else 0}"/>{states}</w14:checkbox>'
    run = r(glyph, f'<w:rFonts w:ascii="{font}" w:eastAsia="{font}" w:hAnsi="{font}"/>')
    return sdt(run, pr=pr, alias="Police called")


PLACEHOLDER = "Click or tap here to enter text."


def placeholder_sdt(*, block: bool = False) -> str:
    pr = (
        '<w:placeholder><w:docPart w:val="DefaultPlaceholder_-1854013440"/></w:placeholder>'
        "<w:showingPlcHdr/>"
    )
    run = r(PLACEHOLDER, '<w:rStyle w:val="PlaceholderText"/>')
    return sdt(p(run) if block else run, pr=pr, alias="Details")


def textbox_choice(text: str) -> str:
    return (
        "<w:drawing>"
        '<wp:anchor distT="45720" distB="45720" distL="114300" distR="114300" simplePos="0" '
        'relativeHeight="251659264" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="2286000" cy="457200"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        '<wp:wrapTopAndBottom/><wp:docPr id="1" name="Text Box 1"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        'wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        '<a:xfrm><a:off x="0" y="0"/><a:ext cx="2286000" cy="457200"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
        '<a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
        '<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></wps:spPr>'
        f"<wps:txbx><w:txbxContent>{p(text)}</w:txbxContent></wps:txbx>"
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" '
        'bIns="45720" anchor="t" anchorCtr="0"><a:noAutofit/></wps:bodyPr>'
        "</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
    )


VML_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)


def vml_textbox(text: str, shape_id: str, *, floating: bool) -> str:
    position = "position:absolute;margin-left:0;margin-top:0;" if floating else ""
    return (
        f"<w:pict>{VML_SHAPETYPE}"
        f'<v:shape id="{shape_id}" o:spid="_x0000_s1026" type="#_x0000_t202" '
        f'style="{position}width:180pt;height:36pt;z-index:251659264" '
        'strokeweight=".75pt"><v:textbox>'
        f"<w:txbxContent>{p(text)}</w:txbxContent></v:textbox>"
        + ('<w10:wrap type="topAndBottom"/>' if floating else "")
        + "</v:shape></w:pict>"
    )


def alternate_textbox(text: str) -> str:
    return (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps">'
        f"{textbox_choice(text)}</mc:Choice><mc:Fallback>"
        f"{vml_textbox(text, 'Text Box 1', floating=True)}"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )


# --------------------------------------------------------------------------------------------
# Expectations (what tests/test_word_features.py asserts; see the README for the format)
# --------------------------------------------------------------------------------------------

Cell = str | dict[str, Any]


def para(text: str, **extra: Any) -> dict[str, Any]:
    return {"paragraph": text, **extra}


def table(*rows: Sequence[Cell], header_rows: Sequence[int] = ()) -> dict[str, Any]:
    return {"table": {"rows": [list(x) for x in rows], "header_rows": list(header_rows)}}


def intro(name: str) -> str:
    return f"Incident diary sheet: {name} fixture."


# --------------------------------------------------------------------------------------------
# The features
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    name: str
    summary: str
    body: str
    expect: list[dict[str, Any]]
    # XPath expressions (namespaces as in NS) that must all match word/document.xml when the
    # construct is present; checked on both writers' output.
    construct: tuple[str, ...]
    ext: str = "docx"
    strict: bool = False
    rels: tuple[tuple[str, str, str], ...] = ()
    warns: bool = False  # WordDocument.warnings must not be empty (tracked changes)
    # LibreOffice re-saves the handwritten file, or, with lo_body, a variant w:body with the same
    # texts, for constructs that a re-save drops but LibreOffice writes from another source.
    lo_body: str | None = None
    lo_source: str = ""  # why the LibreOffice source is not the handwritten file


D1, D2 = "03/04/2024", "05/04/2024"


def standard_rows(marker: str) -> tuple[list[Cell], ...]:
    return (
        list(HEADER),
        [D1, "21:15", f"Loud music from flat 4 {marker} one", "Flat 4 tenant"],
        [D2, "23:40", f"Shouting on the landing {marker} two", "Flat 4 visitor"],
    )


def standard_body(name: str, marker: str) -> str:
    rows = standard_rows(marker)
    return p(intro(name)) + tbl(*(row(*x) for x in rows))  # type: ignore[arg-type]


def standard_expect(name: str, marker: str) -> list[dict[str, Any]]:
    return [para(intro(name)), table(*standard_rows(marker))]


def features() -> list[Feature]:
    fs: list[Feature] = []
    add = fs.append

    # ---- content controls ------------------------------------------------------------------
    name = "sdt_block_table"
    rows = standard_rows("SDTBODY")
    add(
        Feature(
            name,
            "Block-level content control around the whole table (w:body/w:sdt/w:sdtContent/w:tbl).",
            p(intro(name)) + sdt(tbl(*(row(*x) for x in rows)), alias="Diary"),  # type: ignore[arg-type]
            [para(intro(name)), table(*rows)],
            ("/w:document/w:body/w:sdt/w:sdtContent/w:tbl",),
        )
    )

    name = "sdt_rows"
    item = "<w15:repeatingSectionItem/>"
    add(
        Feature(
            name,
            "Repeating-section content control around the data rows (w:tbl/w:sdt/.../w:tr), "
            "one w15:repeatingSectionItem control per row.",
            p(intro(name))
            + tbl(
                header_row(),
                sdt(
                    sdt(row(D1, "21:15", "Door kicked SDTROWS one", "Flat 4 tenant"), pr=item)
                    + sdt(row(D2, "23:40", "Door kicked SDTROWS two", "Flat 4 visitor"), pr=item),
                    pr="<w15:repeatingSection/>",
                    alias="Incidents",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Door kicked SDTROWS one", "Flat 4 tenant"],
                    [D2, "23:40", "Door kicked SDTROWS two", "Flat 4 visitor"],
                ),
            ],
            ("//w:tbl/w:sdt//w:tr",),
        )
    )

    name = "sdt_cell"
    add(
        Feature(
            name,
            "Content control around a whole cell (w:tr/w:sdt/w:sdtContent/w:tc).",
            p(intro(name))
            + tbl(
                header_row(),
                tr(
                    tc(D1, col=0),
                    tc("21:15", col=1),
                    sdt(tc("Car scratched SDTCELL one", col=2), alias="Details"),
                    tc("Flat 4 tenant", col=3),
                ),
                row(D2, "23:40", "Car scratched again", "Flat 4 visitor"),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Car scratched SDTCELL one", "Flat 4 tenant"],
                    [D2, "23:40", "Car scratched again", "Flat 4 visitor"],
                ),
            ],
            ("//w:tr/w:sdt/w:sdtContent/w:tc",),
        )
    )

    name = "sdt_in_cell"
    gallery = (
        '<w:docPartList><w:docPartGallery w:val="Quick Parts"/>'
        '<w:docPartCategory w:val="General"/></w:docPartList>'
    )

    def in_cell_body(pr: str) -> str:
        return p(intro("sdt_in_cell")) + tbl(
            header_row(),
            row(
                D1,
                "21:15",
                tc(sdt(p("Eggs thrown SDTINCELL one"), pr=pr, alias="Details"), col=2),
                "Flat 4 tenant",
            ),
            row(D2, "23:40", "Eggs thrown again", "Flat 4 visitor"),
        )

    add(
        Feature(
            name,
            "Block-level content control inside a cell (w:tc/w:sdt/w:sdtContent/w:p).",
            in_cell_body(""),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Eggs thrown SDTINCELL one", "Flat 4 tenant"],
                    [D2, "23:40", "Eggs thrown again", "Flat 4 visitor"],
                ),
            ],
            ("//w:tc/w:sdt/w:sdtContent/w:p",),
            lo_body=in_cell_body(gallery),
            lo_source="the cell's control is a Building Block Gallery control (w:docPartList), "
            "the one kind of block-level control that LibreOffice 7.4 writes back as "
            "w:tc/w:sdt/w:sdtContent/w:p",
        )
    )

    name = "sdt_run"
    add(
        Feature(
            name,
            "Run-level (inline) plain-text content controls (w:p/w:sdt) in a cell and in the "
            "paragraph before the table.",
            p("Resident: ", sdt(r("Jane SDTRUNNAME"), alias="Name"))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p("Neighbour ", sdt(r("SDTRUN swore at me"), alias="Details"), " twice"),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
            ),
            [
                para("Resident: Jane SDTRUNNAME"),
                table(HEADER, [D1, "21:15", "Neighbour SDTRUN swore at me twice", "Flat 4 tenant"]),
            ],
            ("//w:p/w:sdt/w:sdtContent/w:r",),
        )
    )

    name = "sdt_date"
    date_pr = (
        '<w:date w:fullDate="{iso}T00:00:00Z"><w:dateFormat w:val="dd/MM/yyyy"/>'
        '<w:lid w:val="en-GB"/><w:storeMappedDataAs w:val="dateTime"/>'
        '<w:calendar w:val="gregorian"/></w:date>'
    )

    def date_sdt(iso: str, shown: str) -> str:
        return sdt(r(shown), pr=date_pr.format(iso=iso), alias="Date")

    add(
        Feature(
            name,
            "Date-picker content controls (w:sdtPr/w:date/@w:fullDate) in the Date cells and in "
            "the paragraph before the table.",
            p("Sheet started: ", date_sdt("2024-03-28", "28/03/2024"))
            + tbl(
                header_row(),
                row(
                    tc(p(date_sdt("2024-04-03", D1)), col=0),
                    "21:15",
                    "Bin set on fire SDTDATE one",
                    "Flat 4 tenant",
                ),
                row(
                    tc(p(date_sdt("2024-04-05", D2)), col=0),
                    "23:40",
                    "Bin set on fire SDTDATE two",
                    "Flat 4 visitor",
                ),
            ),
            [
                para("Sheet started: 28/03/2024", date_hint="2024-03-28"),
                table(
                    HEADER,
                    [
                        {"text": D1, "date_hint": "2024-04-03"},
                        "21:15",
                        "Bin set on fire SDTDATE one",
                        "Flat 4 tenant",
                    ],
                    [
                        {"text": D2, "date_hint": "2024-04-05"},
                        "23:40",
                        "Bin set on fire SDTDATE two",
                        "Flat 4 visitor",
                    ],
                ),
            ],
            ("//w:sdt/w:sdtPr/w:date[@w:fullDate]",),
        )
    )

    name = "sdt_placeholder"

    def placeholder_row1() -> str:
        return row(
            D1, "21:15", "Graffiti on door SDTPLACEHOLDER one", tc(p(placeholder_sdt()), col=3)
        )

    def placeholder_row2(*, block: bool) -> str:
        return row(
            D2,
            "23:40",
            tc(p(sdt(r("Graffiti again SDTFILLED two"), alias="Details")), col=2),
            tc(placeholder_sdt(block=True) if block else p(placeholder_sdt()), col=3),
        )

    add(
        Feature(
            name,
            "Unfilled content controls showing their placeholder (w:showingPlcHdr, 'Click or tap "
            "here to enter text.'), run-level and block-level; they must read as empty. A filled "
            "control in the same table reads normally.",
            p(intro(name))
            + tbl(
                header_row(),
                placeholder_row1(),
                placeholder_row2(block=True),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Graffiti on door SDTPLACEHOLDER one", ""],
                    [D2, "23:40", "Graffiti again SDTFILLED two", ""],
                ),
            ],
            ("//w:sdt[w:sdtPr/w:showingPlcHdr]",),
            lo_body=p(intro(name))
            + tbl(
                header_row(),
                placeholder_row1(),
                placeholder_row2(block=False),
            ),
            lo_source="both placeholders are run-level, because a re-save drops w:showingPlcHdr "
            "from a block-level control (it is written back with w:placeholder only, so its "
            "placeholder text would read as content)",
        )
    )

    name = "sdt_checkbox"
    add(
        Feature(
            name,
            "w14:checkbox content controls: checked (MS Gothic ☒) and unchecked with a Wingdings "
            "glyph; the state comes from w14:checked, never from the glyph.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(p("Stones thrown SDTCHECKBOX. Police called: ", checkbox_sdt(True)), col=2),
                    "Flat 4 tenant",
                ),
                row(
                    D2,
                    "23:40",
                    tc(
                        p("Stones again. Police called: ", checkbox_sdt(False, wingdings=True)),
                        col=2,
                    ),
                    "Flat 4 visitor",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Stones thrown SDTCHECKBOX. Police called: ☒", "Flat 4 tenant"],
                    [D2, "23:40", "Stones again. Police called: ☐", "Flat 4 visitor"],
                ),
            ],
            ("//w:sdt/w:sdtPr/w14:checkbox",),
        )
    )

    # ---- legacy form fields ----------------------------------------------------------------
    name = "formtext_filled"
    add(
        Feature(
            name,
            "Legacy text form field (FORMTEXT) holding typed text: only the result runs between "
            "'separate' and 'end' count, never w:instrText.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(p("He said ", form_text("Text1", "FORMTEXTFILLED get out")), col=2),
                    tc(p(form_text("Text2", "Flat 4 tenant")), col=3),
                ),
            ),
            [
                para(intro(name)),
                table(HEADER, [D1, "21:15", "He said FORMTEXTFILLED get out", "Flat 4 tenant"]),
            ],
            ("//w:fldChar/w:ffData/w:textInput", "//w:instrText[contains(., 'FORMTEXT')]"),
        )
    )

    name = "formtext_empty"
    add(
        Feature(
            name,
            "Empty legacy text form field: the result is five U+2002 EN SPACEs and reads as ''.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    "Dog let off lead FORMTEXTEMPTY",
                    tc(p(form_text("Text1", "\u2002" * 5)), col=3),
                ),
            ),
            [para(intro(name)), table(HEADER, [D1, "21:15", "Dog let off lead FORMTEXTEMPTY", ""])],
            ("//w:fldChar/w:ffData/w:textInput", "//w:t[contains(., '\u2002')]"),
        )
    )

    name = "formcheckbox"
    add(
        Feature(
            name,
            "Legacy check-box form fields (FORMCHECKBOX): the state is w:checkBox/w:checked, "
            "else w:default; the field has no text of its own.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p(
                            "Window smashed FORMCHECKBOX. Police called: ",
                            form_checkbox("Check1", '<w:default w:val="0"/><w:checked/>'),
                        ),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
                row(
                    D2,
                    "23:40",
                    tc(
                        p(
                            "Window again. Police called: ",
                            form_checkbox("Check2", '<w:default w:val="1"/><w:checked w:val="0"/>'),
                            " Council told: ",
                            form_checkbox("Check3", '<w:default w:val="1"/>'),
                        ),
                        col=2,
                    ),
                    "Flat 4 visitor",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Window smashed FORMCHECKBOX. Police called: ☒", "Flat 4 tenant"],
                    [
                        D2,
                        "23:40",
                        "Window again. Police called: ☐ Council told: ☒",
                        "Flat 4 visitor",
                    ],
                ),
            ],
            ("//w:fldChar/w:ffData/w:checkBox", "//w:instrText[contains(., 'FORMCHECKBOX')]"),
        )
    )

    # ---- tracked changes -------------------------------------------------------------------
    name = "tracked_insertion"
    add(
        Feature(
            name,
            "Tracked insertion (w:ins): the inserted text is kept.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(p("Fence pushed over ", rev("ins", r("INSERTEDWORD ")), "by them"), col=2),
                    "Flat 4 tenant",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER, [D1, "21:15", "Fence pushed over INSERTEDWORD by them", "Flat 4 tenant"]
                ),
            ],
            ("//w:ins/w:r/w:t",),
            warns=True,
        )
    )

    name = "tracked_deletion"
    add(
        Feature(
            name,
            "Tracked deletion (w:del/w:delText): the deleted text is dropped.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p("Rubbish dumped ", rev("del", del_run("DELETEDWORD ")), "in the garden"),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
            ),
            [
                para(intro(name)),
                table(HEADER, [D1, "21:15", "Rubbish dumped in the garden", "Flat 4 tenant"]),
            ],
            ("//w:del/w:r/w:delText",),
            warns=True,
        )
    )

    name = "tracked_move"
    move = p(
        rev_mark("moveToRangeStart", 900, name="move1"),
        rev("moveTo", r("MOVEDWORD ")),
        '<w:moveToRangeEnd w:id="900"/>',
        "neighbour banged on the wall ",
        rev_mark("moveFromRangeStart", 901, name="move1"),
        rev("moveFrom", r("MOVEDWORD")),
        '<w:moveFromRangeEnd w:id="901"/>',
    )
    add(
        Feature(
            name,
            "Tracked move: w:moveFrom (old place, dropped) and w:moveTo (new place, kept).",
            p(intro(name)) + tbl(header_row(), row(D1, "21:15", tc(move, col=2), "Flat 4 tenant")),
            [
                para(intro(name)),
                table(
                    HEADER, [D1, "21:15", "MOVEDWORD neighbour banged on the wall", "Flat 4 tenant"]
                ),
            ],
            ("//w:moveFrom", "//w:moveTo"),
            warns=True,
        )
    )

    name = "tracked_row_deletion"
    deleted = tr(
        *(
            tc(p(rev("del", del_run(text))), col=i)
            for i, text in enumerate(
                ("04/04/2024", "22:00", "DELETEDROW not an incident", "Nobody")
            )
        ),
        trpr=rev_mark("del"),
    )
    add(
        Feature(
            name,
            "Tracked row deletion (w:trPr/w:del): the whole row is skipped.",
            p(intro(name))
            + tbl(
                header_row(),
                row(D1, "21:15", "Car blocked drive ROWKEPT one", "Flat 4 tenant"),
                deleted,
                row(D2, "23:40", "Car blocked drive ROWKEPT two", "Flat 4 visitor"),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Car blocked drive ROWKEPT one", "Flat 4 tenant"],
                    [D2, "23:40", "Car blocked drive ROWKEPT two", "Flat 4 visitor"],
                ),
            ],
            ("//w:tr/w:trPr/w:del",),
            warns=True,
        )
    )

    # ---- inline wrappers and fields ---------------------------------------------------------
    name = "hyperlink"
    add(
        Feature(
            name,
            "External hyperlink (w:hyperlink r:id) in a cell: the link text is kept, no markup.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p(
                            "Posted on ",
                            '<w:hyperlink r:id="rIdLink1" w:history="1">'
                            + r("HYPERLINKTEXT page", '<w:rStyle w:val="Hyperlink"/>')
                            + "</w:hyperlink>",
                            " about me",
                        ),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER, [D1, "21:15", "Posted on HYPERLINKTEXT page about me", "Flat 4 tenant"]
                ),
            ],
            ("//w:hyperlink[@r:id]",),
            rels=(("rIdLink1", "hyperlink", "https://example.org/diary/post"),),
        )
    )

    name = "smart_tag"
    add(
        Feature(
            name,
            "Smart tags (w:smartTag, Word 2003-2007 era) around a date and a place name.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p(
                            "Followed me to ",
                            '<w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" '
                            'w:element="place">'
                            '<w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" '
                            'w:element="City">' + r("SMARTTAGTOWN") + "</w:smartTag></w:smartTag>",
                            " on ",
                            '<w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" '
                            'w:element="date"><w:smartTagPr><w:attr w:name="Month" w:val="4"/>'
                            '<w:attr w:name="Day" w:val="3"/><w:attr w:name="Year" w:val="2024"/>'
                            "</w:smartTagPr>" + r("3rd April") + "</w:smartTag>",
                        ),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Followed me to SMARTTAGTOWN on 3rd April", "Flat 4 tenant"],
                ),
            ],
            ("//w:smartTag",),
        )
    )

    name = "custom_xml_inline"
    add(
        Feature(
            name,
            "Inline custom XML markup (w:p/w:customXml) around a run.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p(
                            "Threatened by ",
                            '<w:customXml w:uri="urn:diarydesk:fixture" w:element="person">'
                            + r("CUSTOMXMLNAME")
                            + "</w:customXml>",
                            " at the gate",
                        ),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Threatened by CUSTOMXMLNAME at the gate", "Flat 4 tenant"],
                ),
            ],
            ("//w:p/w:customXml",),
        )
    )

    name = "fld_simple"
    add(
        Feature(
            name,
            "Simple fields (w:fldSimple) from a mail-merged sheet: the result runs are the text.",
            p(
                "Resident: ",
                '<w:fldSimple w:instr=" MERGEFIELD Tenant_Name ">'
                + r("Jane FLDSIMPLENAME")
                + "</w:fldSimple>",
            )
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    "Parcel stolen from porch",
                    tc(
                        p(
                            '<w:fldSimple w:instr=" MERGEFIELD Subject_Name ">'
                            + r("FLDSIMPLEWHO")
                            + "</w:fldSimple>",
                            " (flat 4)",
                        ),
                        col=3,
                    ),
                ),
            ),
            [
                para("Resident: Jane FLDSIMPLENAME"),
                table(HEADER, [D1, "21:15", "Parcel stolen from porch", "FLDSIMPLEWHO (flat 4)"]),
            ],
            ("//w:fldSimple",),
        )
    )

    # ---- text boxes ------------------------------------------------------------------------
    name = "textbox_alternate"
    add(
        Feature(
            name,
            "Text box in a cell as mc:AlternateContent: a wps:txbx Choice and a VML v:textbox "
            "Fallback holding the same text, which must be read once.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p("Note left on car, copied below:"),
                        p(alternate_textbox("TEXTBOXALT you will pay")),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [
                        D1,
                        "21:15",
                        {
                            "contains_once": [
                                "Note left on car, copied below:",
                                "TEXTBOXALT you will pay",
                            ]
                        },
                        "Flat 4 tenant",
                    ],
                ),
            ],
            (
                "//w:tc//mc:AlternateContent/mc:Choice//wps:txbx//w:t[contains(., 'TEXTBOXALT')]",
                "//w:tc//mc:AlternateContent/mc:Fallback//v:textbox"
                "//w:t[contains(., 'TEXTBOXALT')]",
            ),
        )
    )

    name = "textbox_vml"
    add(
        Feature(
            name,
            "VML-only text box in a cell (w:pict/v:shape/v:textbox/w:txbxContent), as older "
            "Word versions wrote it.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1,
                    "21:15",
                    tc(
                        p("Note left on car, copied below:"),
                        p(
                            "<w:r>"
                            + vml_textbox("TEXTBOXVML you will pay", "Text Box 2", floating=False)
                            + "</w:r>"
                        ),
                        col=2,
                    ),
                    "Flat 4 tenant",
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [
                        D1,
                        "21:15",
                        {
                            "contains_once": [
                                "Note left on car, copied below:",
                                "TEXTBOXVML you will pay",
                            ]
                        },
                        "Flat 4 tenant",
                    ],
                ),
            ],
            ("//w:tc//w:pict/v:shape/v:textbox//w:t[contains(., 'TEXTBOXVML')]",),
        )
    )

    # ---- table structure -------------------------------------------------------------------
    name = "grid_span"
    add(
        Feature(
            name,
            "Horizontal merge (w:gridSpan=2): the What happened cell also covers Who; the spanned "
            "column is an empty Cell with spanned=True, not a copy.",
            p(intro(name))
            + tbl(
                header_row(),
                tr(
                    tc(D1, col=0),
                    tc("21:15", col=1),
                    tc("Hedge cut down GRIDSPAN wide", col=2, span=2),
                ),
                row(D2, "23:40", "Hedge again", "Flat 4 visitor"),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Hedge cut down GRIDSPAN wide", {"text": "", "spanned": True}],
                    [D2, "23:40", "Hedge again", "Flat 4 visitor"],
                ),
            ],
            ("//w:tc/w:tcPr/w:gridSpan[@w:val='2']",),
        )
    )

    name = "vmerge"
    add(
        Feature(
            name,
            "Vertical merge (w:vMerge restart/continue) of the Date column: the continuation "
            "cell reads '' with merged_up=True.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    tc(D1, col=0, tcpr='<w:vMerge w:val="restart"/>'),
                    "21:15",
                    "Music VMERGE first",
                    "Flat 4 tenant",
                ),
                row(
                    tc(col=0, tcpr="<w:vMerge/>"), "23:40", "Music VMERGE second", "Flat 4 visitor"
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [D1, "21:15", "Music VMERGE first", "Flat 4 tenant"],
                    [
                        {"text": "", "merged_up": True},
                        "23:40",
                        "Music VMERGE second",
                        "Flat 4 visitor",
                    ],
                ),
            ],
            (
                "//w:tc/w:tcPr/w:vMerge[@w:val='restart']",
                "//w:tc/w:tcPr/w:vMerge[not(@w:val) or @w:val='continue']",
            ),
        )
    )

    name = "grid_before_after"
    add(
        Feature(
            name,
            "Rows that start late (w:trPr/w:gridBefore=1) or end early (w:gridAfter=1): the "
            "missing grid columns are empty Cells, so later columns do not shift.",
            p(intro(name))
            + tbl(
                header_row(),
                tr(
                    tc("21:15", col=1),
                    tc("Shed broken into GRIDBEFORE", col=2),
                    tc("Flat 4 tenant", col=3),
                    trpr=f'<w:gridBefore w:val="1"/><w:wBefore w:w="{GRID[0]}" w:type="dxa"/>',
                ),
                tr(
                    tc(D2, col=0),
                    tc("23:40", col=1),
                    tc("Shed again GRIDAFTER", col=2),
                    trpr=f'<w:gridAfter w:val="1"/><w:wAfter w:w="{GRID[3]}" w:type="dxa"/>',
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    ["", "21:15", "Shed broken into GRIDBEFORE", "Flat 4 tenant"],
                    [D2, "23:40", "Shed again GRIDAFTER", ""],
                ),
            ],
            ("//w:tr/w:trPr/w:gridBefore[@w:val='1']", "//w:tr/w:trPr/w:gridAfter[@w:val='1']"),
        )
    )

    name = "nested_table"
    inner_grid = (2200, 2200)
    inner = tbl(
        tr(tc("NESTEDA wing mirror", col=0), tc("NESTEDB 40 pounds", col=1)),
        tr(tc("NESTEDC tyre", col=0), tc("NESTEDD 80 pounds", col=1)),
        grid=inner_grid,
    ).replace('<w:tblW w:w="9000"', '<w:tblW w:w="4400"')
    add(
        Feature(
            name,
            "A table nested in a cell: flattened into the cell text, each inner row a line with "
            "the inner cells joined by ' | '.",
            p(intro(name))
            + tbl(
                header_row(),
                row(D1, "21:15", tc(p("Car damaged, costs:"), inner, p(), col=2), "Flat 4 tenant"),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [
                        D1,
                        "21:15",
                        {
                            "contains_once": [
                                "Car damaged, costs:",
                                "NESTEDA wing mirror | NESTEDB 40 pounds",
                                "NESTEDC tyre | NESTEDD 80 pounds",
                            ]
                        },
                        "Flat 4 tenant",
                    ],
                ),
            ],
            ("//w:tc/w:tbl//w:t[contains(., 'NESTEDA')]",),
        )
    )

    name = "line_breaks"
    breaks = p(
        r("BREAKONE line"),
        "<w:r><w:br/></w:r>",
        r("BREAKTWO line"),
        "<w:r><w:cr/></w:r>",
        r("BREAKTHREE"),
        "<w:r><w:tab/></w:r>",
        r("after tab"),
    )
    add(
        Feature(
            name,
            "Text-wrapping break (w:br), carriage return (w:cr), tab (w:tab) and a second "
            "paragraph inside one cell.",
            p(intro(name))
            + tbl(
                header_row(),
                row(
                    D1, "21:15", tc(breaks, p("BREAKPARA second paragraph"), col=2), "Flat 4 tenant"
                ),
            ),
            [
                para(intro(name)),
                table(
                    HEADER,
                    [
                        D1,
                        "21:15",
                        "BREAKONE line\nBREAKTWO line\nBREAKTHREE\tafter tab"
                        "\nBREAKPARA second paragraph",
                        "Flat 4 tenant",
                    ],
                ),
            ],
            ("//w:tc//w:r/w:br[not(@w:type)]", "//w:tc//w:r/w:cr", "//w:tc//w:r/w:tab"),
        )
    )

    name = "page_break"
    add(
        Feature(
            name,
            "A page break (w:br w:type='page') in its own paragraph between two paragraphs: it "
            "gives no text.",
            p("PAGEBREAKBEFORE first page")
            + p('<w:r><w:br w:type="page"/></w:r>')
            + p("PAGEBREAKAFTER second page")
            + tbl(*(row(*x) for x in standard_rows("PAGEBREAK"))),  # type: ignore[arg-type]
            [
                para("PAGEBREAKBEFORE first page"),
                para("PAGEBREAKAFTER second page"),
                table(*standard_rows("PAGEBREAK")),
            ],
            ("//w:br[@w:type='page'] | //w:pPr/w:pageBreakBefore",),
        )
    )

    name = "split_table"
    add(
        Feature(
            name,
            "One diary split into two tables by a page break, with the header row typed again "
            "at the top of the second table.",
            p(intro(name))
            + tbl(header_row(), row(D1, "21:15", "Van parked on grass SPLITONE", "Flat 4 tenant"))
            + p('<w:r><w:br w:type="page"/></w:r>')
            + tbl(header_row(), row(D2, "23:40", "Van parked again SPLITTWO", "Flat 4 visitor")),
            [
                para(intro(name)),
                table(HEADER, [D1, "21:15", "Van parked on grass SPLITONE", "Flat 4 tenant"]),
                table(HEADER, [D2, "23:40", "Van parked again SPLITTWO", "Flat 4 visitor"]),
            ],
            ("//w:br[@w:type='page'] | //w:pPr/w:pageBreakBefore", "count(//w:tbl) = 2"),
        )
    )

    name = "tbl_header"
    rows = standard_rows("TBLHEADER")
    add(
        Feature(
            name,
            "Header row marked to repeat on each page (w:trPr/w:tblHeader): Row.is_header.",
            p(intro(name)) + tbl(header_row("<w:tblHeader/>"), *(row(*x) for x in rows[1:])),  # type: ignore[arg-type]
            [para(intro(name)), table(*rows, header_rows=[0])],
            ("//w:tr/w:trPr/w:tblHeader",),
        )
    )

    # ---- package variants ------------------------------------------------------------------
    for name, ext, strict, summary in (
        (
            "strict",
            "docx",
            True,
            "ISO 29500 Strict package (purl.oclc.org namespaces, Strict "
            "officeDocument relationship, w:conformance='strict').",
        ),
        (
            "docm",
            "docm",
            False,
            "Macro-enabled document (.docm, main part "
            "application/vnd.ms-word.document.macroEnabled.main+xml), no macros.",
        ),
        (
            "dotx",
            "dotx",
            False,
            "Template (.dotx, main part "
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml).",
        ),
    ):
        marker = name.upper() + "PKG"
        add(
            Feature(
                name,
                summary,
                standard_body(name, marker),
                standard_expect(name, marker),
                ("/w:document",),
                ext=ext,
                strict=strict,
            )
        )
    return fs


# What LibreOffice 7.4.7 did with each construct, as seen in its word/document.xml (the
# manifest's construct_present is computed, these sentences are not: re-check them when the
# LibreOffice version in the manifest changes).
LIBREOFFICE_NOTES = {
    "sdt_block_table": "Dropped: LibreOffice does not write a control around a table. It moved "
    "the control inside the table, as an inline control (w:p/w:sdt) around the text of the first "
    "header cell ('Date').",
    "sdt_rows": "Dropped: no w:tbl/w:sdt. Each row-level control became a block-level control "
    "inside the row's first cell (w:tc/w:sdt/w:sdtContent/w:p); the w15:repeatingSection and "
    "repeatingSectionItem properties are lost.",
    "sdt_cell": "Dropped: no w:tr/w:sdt. The control became an inline control (w:p/w:sdt) inside "
    "the cell's paragraph.",
    "sdt_in_cell": "Kept for the Building Block Gallery control of the source variant. A re-save "
    "of the handwritten file turns its plain block-level control into an inline one (w:p/w:sdt).",
    "sdt_run": "Kept (w:p/w:sdt); alias and tag dropped, an empty w:r added inside each control.",
    "sdt_date": "Kept: w:sdtPr/w:date with w:fullDate, w:dateFormat and w:lid "
    "(w:storeMappedDataAs and w:calendar dropped).",
    "sdt_placeholder": "Kept on the run-level controls of the source variant (see produced_by).",
    "sdt_checkbox": "Kept (w14:checkbox, w14:checked). Rewritten around it: the control's alias "
    "moved to a new block-level control wrapped round the cell's paragraph "
    "(w:tc/w:sdt/w:sdtContent/w:p/w:sdt), w14:font dropped, states written as 'fe'/'a8'; the "
    "Wingdings glyph stays in the text.",
    "formtext_filled": "Kept (fldChar begin with w:ffData/w:textInput, instrText FORMTEXT, "
    "separate, result, end).",
    "formtext_empty": "Kept: the result is still five U+2002 EN SPACEs.",
    "formcheckbox": "Kept as FORMCHECKBOX fields but rewritten: w:name emptied, w:default "
    "dropped, the resolved state written as w:checked present or absent; a 'separate' fldChar "
    "and __Fieldmark__ bookmarks added.",
    "tracked_insertion": "Kept (w:ins).",
    "tracked_deletion": "Kept (w:del/w:delText).",
    "tracked_move": "Kept (w:moveFrom/w:moveTo; range marks moved inside them). LibreOffice also "
    "marked the row as a tracked row insertion (w:trPr/w:ins), which must not drop the row.",
    "tracked_row_deletion": "Kept (w:trPr/w:del, and the row's text as w:del/w:delText).",
    "hyperlink": "Kept (w:hyperlink r:id, external relationship).",
    "smart_tag": "Dropped: the w:smartTag wrappers are gone, their text merged into plain runs.",
    "custom_xml_inline": "Dropped: the w:customXml wrapper is gone, its text is a plain run.",
    "fld_simple": "Rewritten: LibreOffice never writes w:fldSimple; each became a complex field "
    "(fldChar begin, instrText MERGEFIELD, separate, result, end).",
    "textbox_alternate": "Kept: mc:AlternateContent with a wps:txbx Choice and a VML Fallback "
    "(rewritten as v:rect/v:textbox), both holding the text.",
    "textbox_vml": "Rewritten: LibreOffice does not write VML-only text boxes; it wrote "
    "mc:AlternateContent (wps:txbx Choice, v:rect/v:textbox Fallback), both holding the text.",
    "grid_span": "Kept (w:gridSpan w:val='2').",
    "vmerge": "Kept (w:vMerge restart, continuation written as w:val='continue').",
    "grid_before_after": "Rewritten: w:gridBefore/w:gridAfter became real empty w:tc cells.",
    "nested_table": "Kept (w:tc/w:tbl followed by an empty paragraph).",
    "line_breaks": "Partly rewritten: w:cr became w:br; w:br, w:tab and the second paragraph kept.",
    "page_break": "Kept (w:br w:type='page' in its own paragraph).",
    "split_table": "Kept: two tables, the page-break paragraph between them; LibreOffice also "
    "put w:pageBreakBefore on the second table's first paragraph.",
    "tbl_header": "Kept (w:tblHeader w:val='true').",
    "strict": "LibreOffice reads Strict but writes only Transitional: its Transitional output "
    "was moved to the Strict namespaces by make_fixtures.py (to_strict).",
    "docm": "Kept: the 'MS Word 2007 XML VBA' filter writes the macroEnabled main content type "
    "(no vbaProject.bin, as there are no macros).",
    "dotx": "Kept: the 'MS Word 2007 XML Template' filter writes the template main content type.",
}


# --------------------------------------------------------------------------------------------
# Packages
# --------------------------------------------------------------------------------------------


def write_zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def restamp(data: bytes) -> bytes:
    """The same members, bytes and order, with fixed timestamps (less churn on regeneration)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return write_zip({info.filename: zf.read(info) for info in zf.infolist()})


def handwritten_package(feature: Feature) -> bytes:
    rel_base = REL_STRICT if feature.strict else REL_TRANSITIONAL
    parts = {
        "[Content_Types].xml": content_types(MAIN_TYPES[feature.ext]),
        "_rels/.rels": package_rels(rel_base),
        "docProps/core.xml": CORE_XML,
        "word/_rels/document.xml.rels": document_rels(rel_base, feature.rels),
        "word/document.xml": document_xml(feature.body, strict=feature.strict),
        "word/styles.xml": styles_xml(STRICT_NS["w"] if feature.strict else W_NS),
    }
    for xml in parts.values():  # every part must be well-formed
        etree.fromstring(xml.encode("utf-8"))
    return write_zip({name: xml.encode("utf-8") for name, xml in parts.items()})


def to_strict(data: bytes) -> bytes:
    """Move a Transitional package written by LibreOffice to the Strict namespaces."""
    renamed = {"extended-properties": "extendedProperties", "custom-properties": "customProperties"}
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            raw = zf.read(info)
            if info.filename.endswith((".xml", ".rels")):
                text = raw.decode("utf-8")
                if info.filename.endswith(".rels"):
                    text = re.sub(
                        re.escape(REL_TRANSITIONAL) + r"([\w-]+)",
                        lambda m: REL_STRICT + renamed.get(m.group(1), m.group(1)),
                        text,
                    )
                for old, new in STRICT_URI_MAP.items():
                    text = text.replace(f'"{old}"', f'"{new}"')
                raw = text.encode("utf-8")
                # Transitional-only values that Strict spells differently.
                text = text.replace('<w:jc w:val="left"/>', '<w:jc w:val="start"/>')
                text = text.replace('<w:jc w:val="right"/>', '<w:jc w:val="end"/>')
                if info.filename == "word/document.xml":
                    root = etree.fromstring(raw)
                    root.set(f"{{{STRICT_NS['w']}}}conformance", "strict")
                    raw = etree.tostring(
                        root, xml_declaration=True, encoding="UTF-8", standalone=True
                    )
            parts[info.filename] = raw
    return write_zip(parts)


def read_part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def main_part_name(data: bytes) -> str:
    rels = etree.fromstring(read_part(data, "_rels/.rels"))
    for rel in rels:
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").lstrip("/")
    raise ValueError("no officeDocument relationship")


def construct_present(feature: Feature, data: bytes) -> bool:
    """Is the feature's construct in the package as written (not just its text)?"""
    part = main_part_name(data)
    root = etree.fromstring(read_part(data, part))
    if feature.strict:
        rels = read_part(data, "_rels/.rels").decode("utf-8")
        return (
            etree.QName(root).namespace == STRICT_NS["w"]
            and root.get(f"{{{STRICT_NS['w']}}}conformance") == "strict"
            and f'"{REL_STRICT}officeDocument"' in rels
            and W_NS.encode() not in read_part(data, part)
        )
    if feature.ext != "docx":
        types = etree.fromstring(read_part(data, "[Content_Types].xml"))
        overrides = {o.get("PartName"): o.get("ContentType") for o in types}
        return overrides.get("/" + part) == MAIN_TYPES[feature.ext]
    return all(bool(root.xpath(expr, namespaces=NS)) for expr in feature.construct)


# --------------------------------------------------------------------------------------------
# LibreOffice
# --------------------------------------------------------------------------------------------


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=120)
    return out.stdout.strip()


def soffice_convert(
    binary: str, profile: Path, target: str, outdir: Path, files: Sequence[Path]
) -> None:
    if not files:
        return
    cmd = [
        binary,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        target,
        "--outdir",
        str(outdir),
        *map(str, files),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)


def libreoffice_packages(binary: str, fs: Sequence[Feature]) -> dict[str, tuple[bytes, str]]:
    """feature name -> (package bytes, how LibreOffice produced it)."""
    results: dict[str, tuple[bytes, str]] = {}
    with tempfile.TemporaryDirectory(prefix="diarydesk-lo-") as tmp_name:
        tmp = Path(tmp_name)
        profile, src, out = tmp / "profile", tmp / "src", tmp / "out"
        src.mkdir()
        out.mkdir()
        jobs: dict[str, list[Path]] = {}
        for f in fs:
            path = src / f"{f.name}.{f.ext}"
            source = f if f.lo_body is None else replace(f, body=f.lo_body)
            path.write_bytes(handwritten_package(source))
            jobs.setdefault(f.ext, []).append(path)
        for ext, files in jobs.items():
            soffice_convert(binary, profile, f"{ext}:{LO_FILTERS[ext]}", out, files)
        for f in fs:
            data = (out / f"{f.name}.{f.ext}").read_bytes()
            if f.lo_body is not None:
                how = (
                    f"variant of the handwritten file re-saved by LibreOffice ({LO_FILTERS[f.ext]})"
                )
            else:
                how = f"handwritten file re-saved by LibreOffice ({LO_FILTERS[f.ext]})"
            if f.lo_source:
                how += f": {f.lo_source}"
            data = restamp(data)
            if f.strict:
                data = to_strict(data)
                how += (
                    "; namespaces then moved to Strict by make_fixtures.py "
                    "(LibreOffice cannot write Strict)"
                )
            results[f.name] = (data, how)
    return results


def libreoffice_text(binary: str, packages: dict[str, bytes]) -> dict[str, str]:
    """Plain text of each package as LibreOffice reads it (a check that every file opens)."""
    texts: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="diarydesk-lo-") as tmp_name:
        tmp = Path(tmp_name)
        src, out = tmp / "src", tmp / "out"
        src.mkdir()
        out.mkdir()
        files = []
        for key, data in packages.items():
            path = src / key
            path.write_bytes(data)
            files.append(path)
        soffice_convert(binary, tmp / "profile", "txt:Text (encoded):UTF8", out, files)
        for key in packages:
            texts[key] = (out / (Path(key).stem + ".txt")).read_text(encoding="utf-8-sig")
    return texts


# --------------------------------------------------------------------------------------------
# Manifest and main
# --------------------------------------------------------------------------------------------


def expected_markers(blocks: list[dict[str, Any]]) -> set[str]:
    """The upper-case marker words of the expected texts, for a check on LibreOffice's reading.

    LibreOffice's plain-text export leaves out text boxes, so their markers are not checked.
    """
    words = set(re.findall(r"\b[A-Z]{6,}\b", json.dumps(blocks)))
    return {w for w in words if not w.startswith("TEXTBOX")}


def writer_entry(
    feature: Feature, writer: str, rel_path: str, data: bytes, how: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "file": rel_path,
        "produced_by": how,
        "construct_present": construct_present(feature, data),
    }
    if writer == "libreoffice" and feature.name in LIBREOFFICE_NOTES:
        entry["note"] = LIBREOFFICE_NOTES[feature.name]
    entry["warnings_expected"] = feature.warns
    entry["blocks"] = feature.expect
    return entry


README_HEAD = """\
# Word-feature fixtures

Generated by `make_fixtures.py`, which also writes this README (edit the script, not this file).

One small diary sheet per WordprocessingML feature: a paragraph, then a
`Date | Time | What happened | Who` table whose data rows (one or two) hold the construct, with
distinctive upper-case marker words. Each sheet is written by two writers:

- `handwritten/<feature>.docx` (`.docm`, `.dotx`): a minimal package written by hand
  (`[Content_Types].xml`, `_rels/.rels`, `word/document.xml`, `word/styles.xml`,
  `docProps/core.xml`), with the construct in the shape the ECMA-376 examples and Word use.
- `libreoffice/<feature>.*`: LibreOffice's own WordprocessingML for the same sheet. LibreOffice
  re-saved the handwritten file, or a variant of it with the same texts where a re-save drops the
  construct but LibreOffice writes it from another source (`produced_by` in the manifest says
  which). Where LibreOffice cannot write the construct at all, the file is kept as LibreOffice
  rewrote it: the text must still be read the same.
- `manifest.json`: per feature and writer, the `file`, `produced_by`, `construct_present`
  (whether the construct is really in the written XML, checked by XPath), a `note` on what
  LibreOffice did, `warnings_expected` (tracked changes must be reported in
  `WordDocument.warnings`) and `blocks`, what `parsers.wordxml.read_document` must return.
  `tests/test_word_features.py` is driven by it.

`blocks` lists the body's blocks in order, leaving out paragraphs that read `""` (empty ones, page
breaks): `{"paragraph": text, "date_hint": "YYYY-MM-DD"}` (hint optional) or
`{"table": {"rows": [[cell, ...], ...], "header_rows": [index, ...]}}`. A cell is its exact text,
or an object with `text`, or `contains_once` (strings that must each appear exactly once in the
cell text: for text boxes and nested tables, whose layout in the text is not fixed), and
optionally `spanned`, `merged_up`, `date_hint`. One cell per grid column.

## Regenerate

    apt-get install -y libreoffice-writer-nogui   # gives soffice (optional, see below)
    .venv/bin/python tests/word_features/make_fixtures.py

Without `soffice` on PATH (or with `--no-libreoffice`) only `handwritten/` is rewritten and the
committed `libreoffice/` files and their manifest entries are kept, so CI never needs LibreOffice.
The script converts with a throw-away profile (`-env:UserInstallation=file:///tmp/...`) and checks
that LibreOffice opens every file of both writers and shows its marker words. Handwritten files
are byte-stable; LibreOffice files change only in the random ids it gives content controls and
form-field bookmarks. Re-read the notes below when the LibreOffice version changes.

## Features

"""


def write_readme(manifest: dict[str, Any]) -> None:
    lines = [
        README_HEAD.rstrip("\n"),
        "",
        f"Written with {manifest.get('libreoffice_version') or 'LibreOffice (version unknown)'}.",
        "",
        "| Feature | What the sheet holds | LibreOffice kept it | What LibreOffice wrote |",
        "|---|---|---|---|",
    ]
    for name, feature in manifest["features"].items():
        lo = feature["writers"].get("libreoffice", {})
        kept = {True: "yes", False: "**no**"}.get(lo.get("construct_present"), "?")
        note = lo.get("note", "")
        if "variant" in lo.get("produced_by", ""):
            note += " Source: " + lo["produced_by"].split(": ", 1)[-1] + "."
        cells = (f"`{name}`", feature["summary"], kept, note)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    (HERE / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-libreoffice", action="store_true", help="only the handwritten files")
    args = parser.parse_args(argv)

    fs = features()
    old = json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.exists() else {}
    manifest: dict[str, Any] = {
        "generator": "tests/word_features/make_fixtures.py",
        "libreoffice_version": old.get("libreoffice_version"),
        "features": {},
    }
    HANDWRITTEN.mkdir(exist_ok=True)
    hand: dict[str, bytes] = {}
    for f in fs:
        data = handwritten_package(f)
        hand[f.name] = data
        (HANDWRITTEN / f"{f.name}.{f.ext}").write_bytes(data)
        if not construct_present(f, data):
            raise SystemExit(f"{f.name}: construct check fails on the handwritten file")
        manifest["features"][f.name] = {
            "summary": f.summary,
            "writers": {
                "handwritten": writer_entry(
                    f,
                    "handwritten",
                    f"handwritten/{f.name}.{f.ext}",
                    data,
                    "written by hand by make_fixtures.py",
                )
            },
        }

    binary = None if args.no_libreoffice else soffice_binary()
    lo: dict[str, bytes] = {}
    if binary is None:
        print("LibreOffice step skipped: keeping the committed libreoffice/ files and entries")
        for name, old_feature in old.get("features", {}).items():
            if name in manifest["features"] and "libreoffice" in old_feature.get("writers", {}):
                manifest["features"][name]["writers"]["libreoffice"] = old_feature["writers"][
                    "libreoffice"
                ]
    else:
        manifest["libreoffice_version"] = soffice_version(binary)
        LIBREOFFICE.mkdir(exist_ok=True)
        produced = libreoffice_packages(binary, fs)
        for f in fs:
            data, how = produced[f.name]
            ext = f.ext
            (LIBREOFFICE / f"{f.name}.{ext}").write_bytes(data)
            lo[f.name] = data
            manifest["features"][f.name]["writers"]["libreoffice"] = writer_entry(
                f, "libreoffice", f"libreoffice/{f.name}.{ext}", data, how
            )
        # Sanity check: LibreOffice opens every file of both writers and shows the marker texts.
        keyed = {f"hand-{f.name}.{f.ext}": hand[f.name] for f in fs}
        keyed |= {f"lo-{f.name}.{f.ext}": lo[f.name] for f in fs}
        texts = libreoffice_text(binary, keyed)
        for f in fs:
            for key in (f"hand-{f.name}.{f.ext}", f"lo-{f.name}.{f.ext}"):
                missing = sorted(m for m in expected_markers(f.expect) if m not in texts[key])
                if missing:
                    raise SystemExit(f"LibreOffice's text of {key} lacks {missing}")

    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_readme(manifest)
    for name, feature in manifest["features"].items():
        flags = {w: e["construct_present"] for w, e in feature["writers"].items()}
        print(f"{name:22} {flags}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
