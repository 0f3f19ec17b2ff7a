"""Every shared sample sheet parses to its .expected.json, field for field, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.cli import main
from tests.conftest import sample_received, samples_dir

CASES = sorted(sample_received().items())


@pytest.mark.parametrize(("name", "received"), CASES, ids=[name for name, _ in CASES])
def test_sample_parses_to_expected_json(
    name: str,
    received: str,
    samples: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(samples)
    assert main(["parse", name, "--received", received, "--json"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1
    actual = json.loads(printed[0])
    expected = json.loads((samples / name).with_suffix(".expected.json").read_text())
    if expected["problem"] is not None:
        # The message is free text for staff; the code is the contract.
        assert actual["problem"]["message"]
        actual["problem"]["message"] = expected["problem"]["message"]
    assert actual == expected


def test_every_sample_has_a_received_time() -> None:
    expected = {p.name.replace(".expected.json", ".docx") for p in samples_dir().glob("*.json")}
    assert expected == set(sample_received())


def test_parse_prints_one_json_line_per_file_in_order(
    samples: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(samples)
    names = ["pdf-renamed.docx", "free-text.docx", "password-protected.docx"]
    assert main(["parse", *names, "--received", "2026-03-13T15:30:00+00:00", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == names
    assert [line["status"] for line in lines] == ["rejected", "parsed", "needs_review"]


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["parse", "no-such-file.docx"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["parse", "x.docx", "--received", "last tuesday"])
    assert exit_info.value.code == 2
    assert "ISO 8601" in capsys.readouterr().err


def test_readable_table_without_json(
    samples: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(samples)
    main(["parse", "table-python-docx.docx", "--received", "2026-03-20T09:15:00+00:00"])
    out = capsys.readouterr().out
    assert "table-python-docx.docx: parsed" in out
    assert "officer: PC 2231 Dan Whitlock" in out
    assert "5 incident(s)" in out
    assert "2026-03-14  23:40" in out
