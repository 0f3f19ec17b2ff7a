"""Recording from the user's side: what staff see after residents' emails have been recorded.

Every test runs on SQLite and on PostgreSQL (the `session` fixture).
"""

from __future__ import annotations

import datetime as dt
import email.message
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.cli import main
from parsers import parse_sheet
from parsers.template import HEADER_LABELS, Entry, build_template
from store.models import Attachment, Incident, IncidentSource, Message, ThresholdCrossing
from store.recording import RecordOutcome, SheetInput, SourceMessage, record_message
from store.reports import case_detail, list_cases, review_items

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
ROWS = [
    Entry(
        "03/03/2026",
        "10.30pm",
        "outside my door",
        "He shouted abuse at me and kicked my door.",
        "Gary Hollis",
        "my son Imran",
        "I could not sleep",
        "5781/03MAR",
    ),
    Entry(
        "06/03/2026",
        "9.15am",
        "bus stop",
        "He followed me to the bus stop and stared at me.",
        "Mr G Hollis",
        "",
        "Frightened",
        "",
    ),
    Entry(
        "08/03/2026",
        "between 9 and 11pm",
        "my flat",
        "Loud music and banging on the wall.",
        "Gary Hollis",
        "",
        "Could not sleep",
        "",
    ),
]


def header(name: str = "Mrs Aisha Patel", subject: str = "Gary Hollis") -> dict[str, str]:
    # Same tenancy reference for everyone: members of one household share it, and each keeps
    # their own diary, so the reference alone must not merge two residents.
    values = (
        name,
        "14 Elm Road, Melton LE13 0AB",
        "07700 900123",
        "",
        "T/004512",
        subject,
        "16 Elm Road",
        "PC 2231 Dan Whitlock",
        "43260012345",
    )
    return dict(zip(HEADER_LABELS, values, strict=True))


def email_bytes(sender: str, sheet: bytes, n: int) -> bytes:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "asb@example.org", f"diary {n}"
    msg["Message-ID"] = f"<{n}.{sender}>"
    msg.set_content("Please find my diary attached.")
    msg.add_attachment(sheet, maintype="application", subtype="octet-stream", filename="d.docx")
    return msg.as_bytes()


def send(
    session: Session,
    sender: str,
    entries: Sequence[Entry],
    *,
    n: int,
    received: dt.datetime = NOW,
    sheet_header: dict[str, str] | None = None,
) -> RecordOutcome:
    data = build_template(header=sheet_header or header(), entries=entries, blank_rows=1)
    result = parse_sheet(data, received=received)
    outcome = record_message(
        session,
        SourceMessage(
            raw=email_bytes(sender, data, n),
            received_at=received,
            mailbox="asb@example.org",
            uidvalidity=1,
            uid=n,
            sender=sender,
        ),
        [SheetInput("diary.docx", data, result)],
        now=received,
    )
    session.commit()
    return outcome


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_growing_diary_sent_three_times_records_each_incident_once(session: Session) -> None:
    first = send(session, "aisha@example.org", ROWS[:1], n=1)
    second = send(session, "aisha@example.org", ROWS[:2], n=2)
    # The third copy has its first row lightly retyped: still the same incident.
    retyped = Entry(**{**ROWS[0].__dict__, "what": "He shouted abuse at me and kicked my door!!"})
    third = send(session, "aisha@example.org", [retyped, *ROWS[1:3]], n=3)
    assert (len(first.new_incident_ids), len(second.new_incident_ids)) == (1, 1)
    assert (len(third.new_incident_ids), len(third.repeated_incident_ids)) == (1, 2)
    assert count(session, Incident) == 3
    # Every copy is kept as provenance: the first row came in three emails.
    sources = session.scalars(
        select(IncidentSource).where(IncidentSource.incident_id == first.new_incident_ids[0])
    ).all()
    assert len(sources) == 3
    [case] = list_cases(session)
    assert case["incident_count"] == 3


def test_same_message_twice_changes_nothing(session: Session) -> None:
    send(session, "aisha@example.org", ROWS[:2], n=1)
    before = [count(session, m) for m in (Message, Attachment, Incident, IncidentSource)]
    again = send(session, "aisha@example.org", ROWS[:2], n=1)
    assert again.already_recorded
    assert [count(session, m) for m in (Message, Attachment, Incident, IncidentSource)] == before


def test_hollis_twice_meets_course_of_conduct_exactly_once(session: Session) -> None:
    first = send(session, "aisha@example.org", ROWS[:1], n=1)
    assert first.crossings == []
    second = send(session, "aisha@example.org", ROWS[:2], n=2)
    assert [str(c.rule) for c in second.crossings] == ["course_of_conduct"]
    third = send(session, "aisha@example.org", ROWS[:3], n=3)
    assert [c for c in third.crossings if str(c.rule) == "course_of_conduct"] == []
    [case] = list_cases(session)
    assert case["person"]["name"] == "Gary Hollis"
    assert case["threshold"]["course_of_conduct"] is True
    assert case["threshold"]["met_at"] == NOW.isoformat()
    detail = case_detail(session, case["id"])
    [decision] = [d for d in detail["threshold"]["decisions"] if d["rule"] == "course_of_conduct"]
    assert any(
        "minimum course-of-conduct count met — officer review" in r for r in decision["reasons"]
    )
    rules = session.scalars(select(ThresholdCrossing.rule)).all()
    assert sorted(map(str, rules)) == ["community_trigger", "course_of_conduct"]
    # Three complaints, each reported within a month, in six months: a case review is due too.
    assert case["threshold"]["community_trigger"] is True


def test_one_incident_each_against_two_residents_meets_it(session: Session) -> None:
    send(session, "aisha@example.org", ROWS[:1], n=1)
    outcome = send(
        session,
        "bob@example.org",
        [
            Entry(
                "07/03/2026",
                "8pm",
                "his garden",
                "Gary Hollis shouted at me over the fence.",
                "Gary Hollis",
                "",
                "",
                "",
            )
        ],
        n=2,
        sheet_header=header(name="Mr Bob Jones"),
    )
    assert {str(c.rule) for c in outcome.crossings} == {"course_of_conduct"}
    cases = list_cases(session, threshold_met=True)
    assert {c["resident"]["email"] for c in cases} == {"aisha@example.org", "bob@example.org"}
    assert len({c["person"]["id"] for c in cases}) == 1


def test_one_incident_resent_three_times_does_not_meet_it(session: Session) -> None:
    for n in (1, 2, 3):
        # Each resend is a new email (new subject) carrying a freshly saved copy of the file.
        send(session, "aisha@example.org", ROWS[:1], n=n)
    assert count(session, Incident) == 1
    assert list_cases(session, threshold_met=True) == []


def test_unreadable_sheet_is_kept_and_listed_for_review(session: Session) -> None:
    data = b"%PDF-1.4 not a diary"
    result = parse_sheet(data, received=NOW)
    record_message(
        session,
        SourceMessage(raw=email_bytes("x@example.org", data, 9), received_at=NOW, uid=9),
        [SheetInput("diary.docx", data, result)],
        now=NOW,
    )
    session.commit()
    [item] = [i for i in review_items(session) if i["kind"] == "unreadable_sheet"]
    assert item["code"] == "not_a_word_file"
    assert "Word document" in item["reason"]
    assert count(session, Attachment) == 1  # the original bytes are kept


def test_cases_json_schema_through_the_cli(
    session: Session, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    send(session, "aisha@example.org", ROWS[:2], n=1)
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    assert main(["--config", str(config), "cases", "--json"]) == 0
    [case] = json.loads(capsys.readouterr().out)
    assert {
        "id",
        "status",
        "resident",
        "person",
        "incident_count",
        "police_references",
        "officers",
        "threshold",
        "urgent",
        "needs_review",
    } <= set(case)
    assert case["resident"] == {
        "id": case["resident"]["id"],
        "name": "Mrs Aisha Patel",
        "email": "aisha@example.org",
    }
    assert case["police_references"] == ["43260012345", "5781/03MAR"]
    assert case["officers"] == ["PC 2231 Dan Whitlock"]
    assert set(case["threshold"]) >= {"course_of_conduct", "community_trigger", "met_at"}
    assert main(["--config", str(config), "case", str(case["id"]), "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert [i["date"] for i in detail["incidents"]] == ["2026-03-03", "2026-03-06"]
    assert detail["incidents"][0]["source"]["file"] == "diary.docx"
    assert detail["incidents"][0]["police_references"] == ["5781/03MAR"]


def test_incident_warnings_are_listed_for_review(session: Session) -> None:
    undated = Entry("sometime last month", "10pm", "door", "He banged on my door.", "Gary Hollis")
    send(session, "aisha@example.org", [undated, ROWS[1]], n=1)
    warnings = [i for i in review_items(session) if i["kind"] == "warning"]
    assert len(warnings) == 1
    assert "sometime last month" in warnings[0]["reason"]


def test_a_sheet_attached_twice_to_a_later_email_is_one_more_copy(session: Session) -> None:
    entries = [Entry(date="3/11/2026", time="22:00", what="Shouting at my door", who="Gary")]
    send(session, "aisha@example.org", entries, n=1)
    data = build_template(header=header(), entries=entries, blank_rows=1)
    sheet = SheetInput("diary.docx", data, parse_sheet(data, received=NOW))
    outcome = record_message(
        session,
        SourceMessage(
            raw=email_bytes("aisha@example.org", data, 2) + b"\n",
            received_at=NOW,
            mailbox="asb@example.org",
            uidvalidity=1,
            uid=2,
            sender="aisha@example.org",
        ),
        [sheet, SheetInput("diary (copy).docx", data, sheet.result)],
        now=NOW,
    )
    session.commit()
    assert not outcome.new_incident_ids
    assert count(session, Incident) == 1
    assert count(session, Attachment) == 2  # the first email's and this one's, once each
