"""The blank template parses back exactly, and so does every sheet filled in on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.cli import main
from parsers import Status, parse_sheet
from parsers.template import HEADER_LABELS, Entry, build_template

RECEIVED = dt.datetime(2026, 3, 20, 9, 15, tzinfo=dt.UTC)
WORDS = (
    "he shouted at me outside the flat again and kicked the bin over then left laughing "
    "loud music until late banging on walls sent texts to my phone stood at the gate"
).split()
NAMES = ("Gary Hollis", "Mr G Hollis", "Darren Cope", "Kyle Dunmore", "Tyler Nash")
WITNESSES = ("my son Imran", "Mrs Green at number 12", "My partner Jodie Hart")
REFERENCES = (("5781/03MAR", "5781/03MAR"), ("43260012345", "43260012345"), ("", None))


def test_blank_template_has_the_standard_fields_and_no_incidents(tmp_path: Path) -> None:
    out = tmp_path / "sheet.docx"
    assert main(["template", str(out)]) == 0
    result = parse_sheet(out.read_bytes(), received=RECEIVED)
    # A blank sheet is a readable diary sheet with nothing in it yet: staff must look.
    assert result.status is Status.NEEDS_REVIEW
    assert result.problem is not None and result.problem.code == "no_incidents"


def test_template_header_round_trips() -> None:
    header = dict(
        zip(
            HEADER_LABELS,
            (
                "Mrs Aisha Patel",
                "14 Elm Road, Melton LE13 0AB",
                "07700 900123",
                "a.patel@example.org",
                "T/004512",
                "Gary Hollis",
                "16 Elm Road",
                "PC 2231 Dan Whitlock",
                "43260012345",
            ),
            strict=True,
        )
    )
    data = build_template(header=header, entries=[Entry(date="03/03/2026", what="He shouted.")])
    result = parse_sheet(data, received=RECEIVED)
    assert result.status is Status.PARSED
    assert result.complainant is not None and result.subject is not None
    assert result.complainant.name == "Mrs Aisha Patel"
    assert result.complainant.address == "14 Elm Road, Melton LE13 0AB"
    assert result.complainant.phone == "07700 900123"
    assert result.complainant.email == "a.patel@example.org"
    assert result.complainant.reference == "T/004512"
    assert (result.subject.name, result.subject.address) == ("Gary Hollis", "16 Elm Road")
    assert result.officer is not None and result.officer.display() == "PC 2231 Dan Whitlock"
    assert result.police_references == ("43260012345",)


@st.composite
def entries(draw: st.DrawFn) -> tuple[Entry, dict[str, object]]:
    day = RECEIVED.date() - dt.timedelta(days=draw(st.integers(0, 330)))
    hour, minute = draw(st.integers(0, 23)), draw(st.sampled_from((0, 5, 15, 30, 45, 59)))
    date_text = draw(
        st.sampled_from((f"{day:%d/%m/%Y}", f"{day.day}/{day.month}/{day:%y}", f"{day:%d.%m.%Y}"))
    )
    twelve_hour = f"{(hour % 12) or 12}.{minute:02d}{'pm' if hour >= 12 else 'am'}"
    # "10:30" with no am/pm is ambiguous on a diary sheet (the parser rightly warns), so the
    # 24-hour form is only drawn where it is unambiguous.
    unambiguous = hour >= 13 or hour <= 9
    time_text = draw(
        st.sampled_from(
            (f"{hour:02d}:{minute:02d}", twelve_hour) if unambiguous else (twelve_hour,)
        )
    )
    what = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=3, max_size=25))).capitalize()
    who = draw(st.sampled_from(NAMES))
    witness = draw(st.sampled_from(WITNESSES))
    effect = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)))
    ref_text, ref_normal = draw(st.sampled_from(REFERENCES))
    entry = Entry(date_text, time_text, "outside my flat", what, who, witness, effect, ref_text)
    expected: dict[str, object] = {
        "date": day,
        "time": dt.time(hour, minute),
        "location": "outside my flat",
        "description": what,
        "persons": (who,),
        "witnesses": (witness,),
        "effect": effect,
        "police_references": (ref_normal,) if ref_normal else (),
    }
    return entry, expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries(), min_size=1, max_size=12))
def test_filled_template_round_trips(filled: list[tuple[Entry, dict[str, object]]]) -> None:
    data = build_template(entries=[entry for entry, _ in filled], blank_rows=2)
    result = parse_sheet(data, received=RECEIVED)
    assert result.status is Status.PARSED
    assert len(result.incidents) == len(filled)
    for incident, (_, expected) in zip(result.incidents, filled, strict=True):
        actual = {name: getattr(incident, name) for name in expected}
        assert actual == expected
        assert incident.warnings == ()
