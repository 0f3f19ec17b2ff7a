"""The staff commands, run as staff run them: `diarydesk --config ... <command>`."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.cli import main
from parsers.template import HEADER_LABELS, Entry, build_template
from store import db
from store.models import AuditEntry, Incident
from store.retention import apply_purge, plan_purge

ENTRIES = [
    Entry("03/03/2026", "10.30pm", "outside my door", "He shouted abuse at me.", "Gary Hollis"),
    Entry("06/03/2026", "9.15am", "bus stop", "He followed me to the bus stop.", "Gary"),
]
HEADER = dict(
    zip(
        HEADER_LABELS,
        (
            "Mrs Aisha Patel",
            "14 Elm Road",
            "",
            "",
            "T/004512",
            "Gary Hollis",
            "16 Elm Road",
            "PC 2231 Dan Whitlock",
            "",
        ),
        strict=True,
    )
)


@pytest.fixture
def config(db_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n')
    return path


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def write_sheet(tmp_path: Path, name: str, entries: list[Entry]) -> Path:
    path = tmp_path / name
    path.write_bytes(build_template(header=HEADER, entries=entries, blank_rows=1))
    return path


def test_commands_refuse_an_out_of_date_schema_naming_the_command(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, "cases") == 1
    assert "run `diarydesk db upgrade`" in capsys.readouterr().err
    assert run(config, "db", "upgrade") == 0
    assert run(config, "cases", "--json") == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == []


def test_record_review_export_and_purge(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(config, "db", "upgrade")
    sheet = write_sheet(tmp_path, "diary.docx", ENTRIES)
    broken = tmp_path / "scan.docx"
    broken.write_bytes(b"%PDF-1.7 a scan")
    args = ["--sender", "aisha@example.org", "--received", "2026-03-20T09:00:00+00:00", "--json"]
    capsys.readouterr()
    assert run(config, "record", str(sheet), str(broken), *args) == 0
    recorded = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["new_incidents"] for r in recorded] == [2, 0]
    assert recorded[1]["problem"] == "not_a_word_file"

    assert run(config, "record", str(sheet), *args) == 0  # the same file again
    assert json.loads(capsys.readouterr().out)["new_incidents"] == 0

    assert run(config, "review", "--json") == 0
    review = json.loads(capsys.readouterr().out)
    assert [i["file"] for i in review if i["kind"] == "unreadable_sheet"] == ["scan.docx"]

    run(config, "cases", "--json")
    [case] = json.loads(capsys.readouterr().out)
    assert case["incident_count"] == 2 and case["threshold"]["course_of_conduct"]
    assert case["no_police_reference"] is True

    assert run(config, "export", "--resident", str(case["resident"]["id"])) == 0
    export = json.loads(capsys.readouterr().out)
    assert export["resident"]["email"] == "aisha@example.org"
    assert len(export["cases"][0]["incidents"]) == 2
    [attachment] = export["attachments"]
    assert base64.b64decode(attachment["content_base64"]) == sheet.read_bytes()

    assert run(config, "purge") == 0
    assert "dry run" in capsys.readouterr().out
    assert run(config, "case", str(case["id"]), "--json") == 0
    assert len(json.loads(capsys.readouterr().out)["incidents"]) == 2


def test_person_merge_and_split_from_the_command_line(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Staff know "Daz" on one sheet is Gary Hollis's alias: they merge, then undo it."""
    run(config, "db", "upgrade")
    first = Entry("03/03/2026", "10pm", "door", "Gary Hollis shouted at me.", "Gary Hollis")
    other = Entry("05/03/2026", "11pm", "door", "Daz Cope banged on my door.", "Daz Cope")
    for name, entry in (("a.docx", first), ("b.docx", other)):
        path = write_sheet(tmp_path, name, [entry])
        run(
            config,
            "record",
            str(path),
            "--sender",
            "aisha@example.org",
            "--received",
            "2026-03-20T09:00:00+00:00",
        )

    def open_people() -> set[int]:
        capsys.readouterr()
        run(config, "cases", "--json", "--open")
        return {c["person"]["id"] for c in json.loads(capsys.readouterr().out) if c["person"]}

    keep, other_id = sorted(open_people())
    assert run(config, "person", "merge", str(keep), str(other_id), "--actor", "alice") == 0
    assert open_people() == {keep}
    assert run(config, "person", "split", str(keep), "Daz Cope", "--actor", "alice") == 0
    assert len(open_people()) == 2
    assert run(config, "person", "merge", "999", str(keep)) == 1
    assert "No person with id 999" in capsys.readouterr().err


def test_closed_case_is_purged_only_after_its_retention_and_audited(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(config, "db", "upgrade")
    sheet = write_sheet(tmp_path, "diary.docx", ENTRIES)
    run(
        config,
        "record",
        str(sheet),
        "--sender",
        "aisha@example.org",
        "--received",
        "2026-03-20T09:00:00+00:00",
    )
    capsys.readouterr()
    run(config, "cases", "--json")
    [case] = json.loads(capsys.readouterr().out)
    assert (
        run(
            config,
            "case",
            str(case["id"]),
            "--close",
            "--assign",
            "Jo Bloggs",
            "--actor",
            "alice",
            "--json",
        )
        == 0
    )
    closed = json.loads(capsys.readouterr().out)
    assert (closed["status"], closed["officer_assigned"]) == ("closed", "Jo Bloggs")

    url = config.read_text().split('"')[1]
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session, session.begin():
            soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
            assert (
                plan_purge(
                    session, now=soon, raw_messages_days=730, closed_cases_days=1826
                ).closed_case_ids
                == []
            )
            later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1827)
            plan = plan_purge(session, now=later, raw_messages_days=730, closed_cases_days=1826)
            assert plan.closed_case_ids == [case["id"]] and plan.incident_count == 2
            apply_purge(session, plan, actor="alice")
        with db.session_factory(engine)() as session:
            assert session.scalars(select(Incident)).all() == []
            actions = session.scalars(select(AuditEntry.action)).all()
            assert {"case.close", "case.assign", "case.purge"} <= set(actions)
    finally:
        engine.dispose()


def test_a_progress_update_given_is_recorded_as_staff_action(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(config, "db", "upgrade")
    run(config, "record", str(write_sheet(tmp_path, "diary.docx", ENTRIES)), "--sender", "a@x.org")
    capsys.readouterr()
    run(config, "cases", "--json")
    [case] = json.loads(capsys.readouterr().out)
    assert run(config, "case", str(case["id"]), "--updated", "--actor", "cli:alice") == 0
    engine = db.make_engine(config.read_text().split('"')[1])
    try:
        with db.session_factory(engine)() as session:
            entry = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "case.resident_updated")
            ).one()
    finally:
        engine.dispose()
    assert (entry.actor, entry.entity, entry.entity_id) == ("cli:alice", "case", str(case["id"]))
