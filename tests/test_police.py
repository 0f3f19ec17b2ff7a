"""parsers.police: police references and officers, table by table.

Formats come from /work/shared/reference/diary-sheets.md section 2; the sample sheets' expected
JSON (/work/shared/samples) fixes the normal forms "43260012345", "5781/03MAR", "0143/07APR",
"389 OF 30TH MARCH", "412 OF 12TH MARCH", "158 OF 9TH JANUARY" and "26*041187".
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.model import Officer, PoliceReference
from parsers.police import find_officer, find_references


def texts(text: str, *, labelled: bool = False) -> list[str]:
    return [ref.text for ref in find_references(text, labelled=labelled)]


# --- references found anywhere (distinctive formats, or a keyword right before) ---------------

FOUND = [
    pytest.param("43260012345", ["43260012345"], id="tvp-niche-11-digits"),
    pytest.param("quoting reference 43200243772", ["43200243772"], id="tvp-quoting-reference"),
    pytest.param("5781/03MAR", ["5781/03MAR"], id="met-cad"),
    pytest.param("CAD 0143/07APR", ["0143/07APR"], id="met-cad-keyword-dropped"),
    pytest.param("5781 / 14 mar", ["5781/14MAR"], id="met-cad-spaced-lower"),
    pytest.param("CAD 1234/12MAR24", ["1234/12MAR24"], id="met-cad-with-year"),
    pytest.param("cad 1234/12Mar2024", ["1234/12MAR24"], id="met-cad-four-digit-year-cut"),
    pytest.param("5781/3MAR", ["5781/03MAR"], id="met-cad-day-zero-padded"),
    pytest.param("CAD 12/13 Mar", ["12/13MAR"], id="met-cad-short-serial-with-keyword"),
    pytest.param("Rang 101, log 412 of 12th March", ["412 OF 12TH MARCH"], id="log-of-date"),
    pytest.param("Incident 389 of 30th March", ["389 OF 30TH MARCH"], id="incident-of-date"),
    pytest.param(
        "Police informed, log 158 of 11th March.", ["158 OF 11TH MARCH"], id="no-trailing-period"
    ),
    pytest.param(
        "incident number 347 of 1 February", ["347 OF 1 FEBRUARY"], id="staffordshire-of-date"
    ),
    pytest.param(
        "call 101, quoting reference 2271 of 30 June", ["2271 OF 30 JUNE"], id="scotland-ref-of"
    ),
    pytest.param(
        "quoting incident number 158 of January 9", ["158 OF JANUARY 9"], id="month-first-date"
    ),
    pytest.param(
        "incident number 58i of November 13, 2025",
        ["58I OF NOVEMBER 13, 2025"],
        id="west-mercia-spoken-i",
    ),
    pytest.param("*571 on 14th July", ["571 OF 14TH JULY"], id="leics-star-on-date"),
    pytest.param(
        "quoting incident number *571 on 14th July", ["571 OF 14TH JULY"], id="leics-keyword-star"
    ),
    pytest.param("log 158 dated 9th January", ["158 OF 9TH JANUARY"], id="dated-becomes-of"),
    pytest.param(
        "log 158  of\n9th   January", ["158 OF 9TH JANUARY"], id="inner-whitespace-collapsed"
    ),
    pytest.param("log 1234 of 12/03/2024", ["1234 OF 12/03/2024"], id="log-of-numeric-date"),
    pytest.param(
        "log 158 of Tuesday 9th January", ["158 OF TUESDAY 9TH JANUARY"], id="weekday-in-date"
    ),
    pytest.param(
        "Incident 389 of 30th March 2026 at 22.30", ["389 OF 30TH MARCH 2026"], id="year-not-time"
    ),
    pytest.param("crime reference 22/20879/23", ["22/20879/23"], id="force-serial-yy"),
    pytest.param("quoting reference number 23*093109", ["23*093109"], id="derbyshire"),
    pytest.param("26 * 041187", ["26*041187"], id="derbyshire-spaced"),
    pytest.param("contact 101 quoting IML 167131", ["IML 167131"], id="cheshire-iml"),
    pytest.param("IML:167131", ["IML 167131"], id="cheshire-iml-colon"),
    pytest.param("00276_I_02032023", ["00276_I_02032023"], id="west-mercia-new-style"),
    pytest.param("nfrc 230512345678", ["NFRC230512345678"], id="action-fraud"),
    pytest.param("crime number 12345678", ["12345678"], id="crime-number-bare"),
    pytest.param("crime ref no. 1234567/24", ["1234567/24"], id="cris-style-with-year"),
    pytest.param("log 2231", ["2231"], id="log-bare-serial"),
    pytest.param("serial 0143", ["0143"], id="zero-padded-serial-after-keyword"),
    pytest.param("URN 12345", ["12345"], id="urn"),
    pytest.param("occurrence number 19000012345", ["19000012345"], id="northants-occurrence"),
    pytest.param("police ref 4521", ["4521"], id="police-ref"),
    pytest.param("Reported it to the police, ref 4521", ["4521"], id="ref-after-police-mention"),
    pytest.param("log 158 at 22.30", ["158"], id="bare-serial-before-time"),
    pytest.param(
        "log 158 of 9th Jan and 2271 of 30 June",
        ["158 OF 9TH JAN", "2271 OF 30 JUNE"],
        id="list-carries-keyword",
    ),
    pytest.param(
        "Quoting log 4521 and log 4522", ["4521", "4522"], id="two-keyed-serials-in-order"
    ),
    pytest.param(
        "CAD 5781/03MAR, then 43260012345 and IML 167131",
        ["5781/03MAR", "43260012345", "IML 167131"],
        id="order-of-appearance",
    ),
    pytest.param("5781/3MAR and again 5781/03MAR", ["5781/03MAR"], id="deduplicated-normal-form"),
    pytest.param(
        "PC 2231 came round and gave me log 412 of 12th March",
        ["412 OF 12TH MARCH"],
        id="collar-number-not-a-reference",
    ),
    pytest.param("log\xa0158 of 9th\xa0January", ["158 OF 9TH JANUARY"], id="no-break-spaces"),
    pytest.param("Crime ref:4521", ["4521"], id="keyword-colon-no-space"),
    pytest.param("Crime no.12345678", ["12345678"], id="keyword-no-dot-no-space"),
    pytest.param("CAD:5781/03MAR", ["5781/03MAR"], id="cad-colon"),
    pytest.param("log:158 of 9th Jan", ["158 OF 9TH JAN"], id="log-colon"),
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_references_in_free_text(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_labelled_field_finds_at_least_the_same(text: str, expected: list[str]) -> None:
    assert texts(text, labelled=True) == expected


# --- weak forms: accepted only under a police-reference label ----------------------------------

LABEL_ONLY = [
    pytest.param("158 of 9th January", ["158 OF 9TH JANUARY"], id="serial-of-date-no-keyword"),
    pytest.param("2271 of 30 June", ["2271 OF 30 JUNE"], id="scotland-no-keyword"),
    pytest.param("Yes - 4521", ["4521"], id="yes-bare-serial"),
    pytest.param("4521", ["4521"], id="bare-serial-alone"),
    pytest.param("our ref 4521", ["4521"], id="plain-ref-keyword"),
    pytest.param("Yes 4521 (PC Smith)", ["4521"], id="serial-then-officer"),
    pytest.param("Incident 2 on 14th July, log 412", ["412"], id="on-short-serial-still-needs-of"),
]


@pytest.mark.parametrize(("text", "expected"), LABEL_ONLY)
def test_weak_forms_need_a_label(text: str, expected: list[str]) -> None:
    assert texts(text, labelled=True) == expected
    assert texts(text) == [ref for ref in expected if ref == "412"]


# --- full details: kind, force, raw, ref_date_text ---------------------------------------------

DETAILS = [
    pytest.param(
        "CAD 0143/07APR",
        False,
        PoliceReference("0143/07APR", "incident", "Metropolitan Police", "CAD 0143/07APR", "07APR"),
        id="met-cad",
    ),
    pytest.param(
        "quoting reference 43200243772",
        False,
        PoliceReference(
            "43200243772", "unknown", "Thames Valley Police", "quoting reference 43200243772"
        ),
        id="tvp-unknown-kind",
    ),
    pytest.param(
        "crime number 43200243772",
        False,
        PoliceReference("43200243772", "crime", "Thames Valley Police", "crime number 43200243772"),
        id="tvp-crime-kind-from-keyword",
    ),
    pytest.param(
        "Yes – 26*041187",
        True,
        PoliceReference("26*041187", "unknown", "Derbyshire Constabulary", "26*041187"),
        id="derbyshire",
    ),
    pytest.param(
        "IML 167131",
        False,
        PoliceReference("IML 167131", "incident", "Cheshire Constabulary", "IML 167131"),
        id="cheshire-iml",
    ),
    pytest.param(
        "00276_I_02032023",
        False,
        PoliceReference(
            "00276_I_02032023", "incident", "West Mercia Police", "00276_I_02032023", "02032023"
        ),
        id="west-mercia-new-style",
    ),
    pytest.param(
        "crime reference 22/20879/23",
        False,
        PoliceReference(
            "22/20879/23", "crime", "West Mercia Police", "crime reference 22/20879/23"
        ),
        id="force-code-22",
    ),
    pytest.param(
        "46/123456/24",
        False,
        PoliceReference("46/123456/24", "crime", None, "46/123456/24"),
        id="unverified-force-code-no-force",
    ),
    pytest.param(
        "NFRC230512345678",
        False,
        PoliceReference("NFRC230512345678", "crime", "Action Fraud", "NFRC230512345678"),
        id="action-fraud",
    ),
    pytest.param(
        "158 of 9th January",
        True,
        PoliceReference(
            "158 OF 9TH JANUARY", "incident", None, "158 of 9th January", "9th January"
        ),
        id="serial-of-date",
    ),
    pytest.param(
        "*571 on 14th July",
        False,
        PoliceReference(
            "571 OF 14TH JULY",
            "incident",
            "Leicestershire Police",
            "*571 on 14th July",
            "14th July",
        ),
        id="leicestershire-star",
    ),
    pytest.param(
        "incident number 58i of November 13, 2025",
        False,
        PoliceReference(
            "58I OF NOVEMBER 13, 2025",
            "incident",
            "West Mercia Police",
            "incident number 58i of November 13, 2025",
            "November 13, 2025",
        ),
        id="west-mercia-spoken",
    ),
    pytest.param(
        "occurrence number 19000012345",
        False,
        PoliceReference(
            "19000012345", "unknown", "Northamptonshire Police", "occurrence number 19000012345"
        ),
        id="northants",
    ),
    pytest.param(
        "Crime no: 12345678",
        False,
        PoliceReference("12345678", "crime", None, "Crime no: 12345678"),
        id="crime-number",
    ),
    pytest.param(
        "log\xa0158",
        False,
        PoliceReference("158", "incident", None, "log\xa0158"),
        id="raw-keeps-original-spaces",
    ),
]


@pytest.mark.parametrize(("text", "labelled", "expected"), DETAILS)
def test_reference_details(text: str, labelled: bool, expected: PoliceReference) -> None:
    assert find_references(text, labelled=labelled) == [expected]


# --- never references, in free text or under a police-reference label --------------------------

NEGATIVES = [
    pytest.param("07700 900123", id="mobile"),
    pytest.param("0116 496 0381", id="landline"),
    pytest.param("(0116) 4960381", id="landline-brackets"),
    pytest.param("+44 7700 900123", id="international-mobile"),
    pytest.param("0800 555 111", id="crimestoppers"),
    pytest.param("101", id="non-emergency"),
    pytest.param("999", id="emergency"),
    pytest.param("Rang 101 on 12th March", id="non-emergency-on-date"),
    pytest.param("Called 999 at 22.30", id="emergency-at-time"),
    pytest.param("T/004512", id="tenancy-reference"),
    pytest.param("ASB-2026-0147", id="asb-case-reference"),
    pytest.param("NR/2026/0233", id="noise-case-reference"),
    pytest.param("12/03/24", id="date-short-year"),
    pytest.param("19/03/2026", id="date-long-year"),
    pytest.param("03.04.26", id="date-dots"),
    pytest.param("22.30", id="time-dot"),
    pytest.param("10.30pm - 11.15pm", id="time-range"),
    pytest.param("at 2230", id="time-24h-after-at"),
    pytest.param("2230 hrs", id="time-24h-hrs"),
    pytest.param("01.FOI.24.040634", id="met-foi"),
    pytest.param("1020A/20", id="west-midlands-foi"),
    pytest.param("FOI 2018070000652", id="foi-13-digits"),
    pytest.param("PC 2231 Dan Whitlock", id="collar-before-name"),
    pytest.param("PC Dan Whitlock 2231", id="collar-after-name"),
    pytest.param("Police Constable Dan Whitlock (2231)", id="collar-in-brackets"),
    pytest.param("collar number 2231", id="collar-number-words"),
    pytest.param("LE13 0AB", id="postcode"),
    pytest.param("14 calls in under an hour", id="quantity"),
    pytest.param("Yes, 150 calls", id="quantity-three-digits"),
    pytest.param("£1500 of damage", id="money"),
    pytest.param("1,500", id="thousands"),
    pytest.param("Flat 123", id="flat-number"),
    pytest.param("Reported in 2024", id="year"),
    pytest.param("night of 12/13 Mar", id="night-spanning-date-range"),
    pytest.param("Incident 2 on 14th July", id="diary-entry-number"),
    pytest.param("Told PCSO Ames, she said she would log it", id="no-number"),
    pytest.param("No", id="no"),
    pytest.param("Yes", id="yes"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("labelled", [False, True], ids=["free-text", "labelled"])
@pytest.mark.parametrize("text", NEGATIVES)
def test_not_references(text: str, labelled: bool) -> None:
    assert find_references(text, labelled=labelled) == []


UNLABELLED_NEGATIVES = [
    pytest.param("158 of 9th January", id="serial-of-date-needs-keyword"),
    pytest.param("Yes - 4521", id="bare-serial-needs-keyword"),
    pytest.param("our ref 4521", id="housing-ref"),
    pytest.param("please quote ref 4512 on all letters", id="housing-quote-ref"),
    pytest.param("incident 300 metres away", id="keyword-then-quantity"),
    pytest.param("2/3 Mar", id="short-cad-shape-is-a-date-range"),
]


@pytest.mark.parametrize("text", UNLABELLED_NEGATIVES)
def test_not_references_in_free_text(text: str) -> None:
    assert find_references(text) == []


# --- officers ----------------------------------------------------------------------------------

OFFICERS = [
    pytest.param("PC 2231 Dan Whitlock", Officer("PC", "Dan Whitlock", "2231"), id="pc"),
    pytest.param("PCSO 7781 Kerry Ames", Officer("PCSO", "Kerry Ames", "7781"), id="pcso"),
    pytest.param("Sgt 1456 Rob Farrant", Officer("Sgt", "Rob Farrant", "1456"), id="sgt"),
    pytest.param("PS 1456 Rob Farrant", Officer("Sgt", "Rob Farrant", "1456"), id="ps-is-sgt"),
    pytest.param("Sergeant Rob Farrant", Officer("Sgt", "Rob Farrant", None), id="sergeant"),
    pytest.param("DC Jane Morley", Officer("DC", "Jane Morley", None), id="dc-no-number"),
    pytest.param("Insp. 6342 J Smith", Officer("Insp", "J Smith", "6342"), id="insp-initial"),
    pytest.param("Inspector J. Smith", Officer("Insp", "J. Smith", None), id="inspector"),
    pytest.param("PC Dan Whitlock 2231", Officer("PC", "Dan Whitlock", "2231"), id="number-after"),
    pytest.param(
        "Police Constable Dan Whitlock (2231)",
        Officer("PC", "Dan Whitlock", "2231"),
        id="police-constable-bracketed-number",
    ),
    pytest.param("PCSO 6715 SMITH", Officer("PCSO", "SMITH", "6715"), id="surname-in-capitals"),
    pytest.param(
        "(Dorset Police, NEO 5390, Bournemouth Christchurch Poole)",
        Officer("NEO", None, "5390"),
        id="dorset-neo",
    ),
    pytest.param(
        "PCSO 4525 Jane Doe, Northumbria Police",
        Officer("PCSO", "Jane Doe", "4525"),
        id="force-after-comma",
    ),
    pytest.param(
        "PC Dan Whitlock Northumbria Police", Officer("PC", "Dan Whitlock", None), id="force-cut"
    ),
    pytest.param(
        "PC Dan Whitlock West Midlands Police",
        Officer("PC", "Dan Whitlock", None),
        id="two-word-force-cut",
    ),
    pytest.param(
        "Told PCSO Ames, she said she would log it",
        Officer("PCSO", "Ames", None),
        id="surname-only-mention",
    ),
    pytest.param("PC CO123 Dan Whitlock", Officer("PC", "Dan Whitlock", "CO123"), id="met-collar"),
    pytest.param("Det. Sgt. 2231 O'Neill", Officer("DS", "O'Neill", "2231"), id="det-sgt"),
    pytest.param(
        "Detective Chief Inspector Ann McDonald",
        Officer("DCI", "Ann McDonald", None),
        id="detective-chief-inspector",
    ),
    pytest.param("DCI Ann McDonald", Officer("DCI", "Ann McDonald", None), id="dci"),
    pytest.param("Det Supt Ann Lee", Officer("DSU", "Ann Lee", None), id="det-supt"),
    pytest.param("DSU Ann Lee", Officer("DSU", "Ann Lee", None), id="dsu"),
    pytest.param("DCS Ann Lee", Officer("DCS", "Ann Lee", None), id="dcs"),
    pytest.param("Ch Insp Ann Lee", Officer("Ch Insp", "Ann Lee", None), id="ch-insp"),
    pytest.param("CI Ann Lee", Officer("Ch Insp", "Ann Lee", None), id="ci"),
    pytest.param("Supt Ann Lee", Officer("Supt", "Ann Lee", None), id="supt"),
    pytest.param("Ch Supt Ann Lee", Officer("Ch Supt", "Ann Lee", None), id="ch-supt"),
    pytest.param("SC 5123 Tom Bell", Officer("SC", "Tom Bell", "5123"), id="sc"),
    pytest.param("SPC Tom Bell", Officer("SC", "Tom Bell", None), id="spc"),
    pytest.param("Special Constable Tom Bell", Officer("SC", "Tom Bell", None), id="special"),
    pytest.param("Detective Constable Jane Morley", Officer("DC", "Jane Morley", None), id="det-c"),
    pytest.param("DS Kim de Souza", Officer("DS", "Kim de Souza", None), id="name-particle"),
    pytest.param("DI Smith's team rang", Officer("DI", "Smith", None), id="possessive"),
    pytest.param("PC Siân Jones", Officer("PC", "Siân Jones", None), id="accented-name"),
    pytest.param("DS Seán O'Brien 4410", Officer("DS", "Seán O'Brien", "4410"), id="irish-name"),
    pytest.param(
        "Rang 101 and PC 2231 Dan Whitlock came, then PCSO Ames",
        Officer("PC", "Dan Whitlock", "2231"),
        id="first-officer-wins",
    ),
]


@pytest.mark.parametrize(("text", "expected"), OFFICERS)
def test_officer(text: str, expected: Officer) -> None:
    assert find_officer(text) == expected
    assert find_officer(text, labelled=True) == expected


NOT_OFFICERS = [
    pytest.param("PS Please ring me back", id="postscript"),
    pytest.param("PS I forgot to say", id="postscript-i"),
    pytest.param("DC Council sent a letter", id="district-council"),
    pytest.param("my pc 2231 crashed", id="lower-case-pc"),
    pytest.param("Environmental Health Inspector Jones", id="non-police-inspector"),
    pytest.param("the inspector came", id="no-name-or-number"),
    pytest.param("Jane Morley", id="name-without-rank"),
    pytest.param("PS 2 more calls last night", id="postscript-small-number"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("text", NOT_OFFICERS)
def test_not_an_officer(text: str) -> None:
    assert find_officer(text) is None


LABELLED_OFFICERS = [
    pytest.param("Jane Morley", Officer(None, "Jane Morley", None), id="name-only"),
    pytest.param("Jane Morley (2231)", Officer(None, "Jane Morley", "2231"), id="name-and-collar"),
    pytest.param(
        "Yes - Jane Morley, Leicestershire Police",
        Officer(None, "Jane Morley", None),
        id="yes-name-force",
    ),
    pytest.param("Lisa Grant (Housing Officer)", None, id="housing-officer"),
    pytest.param("Lisa Grant, ASB Officer", None, id="asb-officer"),
    pytest.param("Tom Bell (tenancy manager)", None, id="tenancy-manager"),
    pytest.param("Leicestershire Police", None, id="force-only"),
    pytest.param("Unknown", None, id="unknown"),
    pytest.param("Don't know", None, id="dont-know"),
    pytest.param("Morley", None, id="single-word"),
    pytest.param("No", None, id="no"),
    pytest.param("Darren Cope, Flat 5", None, id="address-after-name"),
    pytest.param("Jane Morley said she would call", None, id="sentence-after-name"),
    pytest.param(
        "Jane Morley - neighbourhood policing team",
        Officer(None, "Jane Morley", None),
        id="police-team-after-name",
    ),
    pytest.param("DC Jane Morley", Officer("DC", "Jane Morley", None), id="rank-still-wins"),
]


@pytest.mark.parametrize(("text", "expected"), LABELLED_OFFICERS)
def test_labelled_officer_field(text: str, expected: Officer | None) -> None:
    assert find_officer(text, labelled=True) == expected


def test_unranked_name_needs_a_label() -> None:
    assert find_officer("Jane Morley") is None


# --- properties --------------------------------------------------------------------------------

# Fragments that steer generated text into the interesting paths (keywords, ranks, separators).
FRAGMENT_WORDS = [
    "log ", "CAD ", "crime ref ", "incident number ", "quoting ", "police ", "IML ", "NFRC",
    "PC ", "PCSO ", "Sgt ", "DC ", "Inspector ", "Dan ", "Whitlock ", "(", ")", ", ",
    " of ", " on ", "9th ", "January", "MAR", "/", "*", "_I_", "i", "43", "0", "2231", "07700 ",
    " ", "\xa0", "–", ".", ":", "\n", "Housing Officer", "Yes", "No",
]  # fmt: skip
FRAGMENTS = st.sampled_from(FRAGMENT_WORDS)
MIXED_TEXT = st.lists(FRAGMENTS | st.text(max_size=6), max_size=30).map("".join)
ANY_TEXT = st.text(max_size=300) | MIXED_TEXT
KINDS = {"incident", "crime", "unknown"}
RANKS = {
    "PC", "PCSO", "Sgt", "Insp", "Ch Insp", "Supt", "Ch Supt", "DC", "DS", "DI", "DCI", "DSU",
    "DCS", "SC", "NEO", "CC", "DCC", "ACC",
}  # fmt: skip


@given(ANY_TEXT, st.booleans())
def test_references_never_raise_and_are_normalised(text: str, labelled: bool) -> None:
    refs = find_references(text, labelled=labelled)
    normal = [ref.text for ref in refs]
    assert len(set(normal)) == len(normal)
    for ref in refs:
        assert ref.text == " ".join(ref.text.upper().split())
        assert ref.text.isascii()
        assert ref.raw and ref.raw in text
        assert ref.kind in KINDS


@given(ANY_TEXT)
def test_a_label_only_adds_references(text: str) -> None:
    free = texts(text)
    labelled = texts(text, labelled=True)
    assert set(free) <= set(labelled)


@given(ANY_TEXT, st.booleans())
def test_officer_never_raises(text: str, labelled: bool) -> None:
    officer = find_officer(text, labelled=labelled)
    if officer is None:
        return
    assert officer.name or officer.number
    assert officer.name != ""
    # Only a labelled field may give an officer without a rank.
    if not labelled or officer.rank is not None:
        assert officer.rank in RANKS


MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


@given(
    st.integers(100, 99999),
    st.integers(1, 31),
    st.sampled_from(MONTHS),
    st.sampled_from(["", " "]),
    st.booleans(),
)
def test_met_cad_round_trip(serial: int, day: int, month: str, gap: str, lower: bool) -> None:
    written = f"{serial}{gap}/{gap}{day}{gap}{month.lower() if lower else month.title()}"
    assert texts(f"Police came, {written}.") == [f"{serial}/{day:02d}{month}"]


@given(
    st.integers(1, 9999),
    st.integers(1, 28),
    st.sampled_from(["January", "March", "June", "July", "November"]),
    st.sampled_from(["log", "incident", "Incident number", "quoting reference"]),
)
def test_serial_of_date_round_trip(serial: int, day: int, month: str, keyword: str) -> None:
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
    written = f"{keyword} {serial} of {day}{suffix} {month}"
    expected = f"{serial} OF {day}{suffix.upper()} {month.upper()}"
    assert texts(f"Rang them, {written}, they said") == [expected]
