"""Hostile and wrong files: the parser never crashes and names each problem precisely.

The corpus lives in tests/bad_input/ (rebuild it with tests/bad_input/make_corpus.py). Each file
is a clean control diary plus one defect; manifest.json gives the status and problem code the
parser owes it. Two cases are built here instead of committed because they cannot be small: a
5,000-member package and a 21 MB upload.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from parsers import parse_sheet
from parsers.model import SheetResult, Status

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / "bad_input"
FILES = CORPUS / "files"
CONTROL = CORPUS / "control"
MANIFEST: dict[str, dict[str, str]] = json.loads((CORPUS / "manifest.json").read_text())
RECEIVED = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)


def _load_make_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _load_make_corpus()

GENERATED = {
    "bomb-many-members.docx": make_corpus.many_members_package,
    "too-large.docx": make_corpus.oversized_upload,
}
EXPECTED: dict[str, tuple[str, str]] = {
    **{name: (entry["status"], entry["code"]) for name, entry in MANIFEST.items()},
    **make_corpus.GENERATED_IN_TESTS,
}
assert set(GENERATED) == set(make_corpus.GENERATED_IN_TESTS)

# Bombs: must be refused by streaming and counting, not by inflating or expanding into memory.
BOMBS = sorted(
    {name for name, (_status, code) in EXPECTED.items() if code in {"zip_bomb", "too_large"}}
    | {"billion-laughs.docx", "deeply-nested-tables.docx"}
)
MEMORY_LIMIT = 512 * 1024 * 1024
BOMB_SECONDS = 5.0

# What must never reach a member of staff: tracebacks, exception class names, library internals.
TECHNICAL = re.compile(
    r"Traceback|File \"|\b[A-Z]\w*(?:Error|Exception|Warning)\b|BadZipFile|KeyError|StopIteration"
    r"|Errno|zlib|lxml|etree|zipfile|olefile|<class|0x[0-9a-fA-F]+"
)


@functools.cache
def data_for(name: str) -> bytes:
    if name in GENERATED:
        data: bytes = GENERATED[name]()
        return data
    return (FILES / name).read_bytes()


def parse(data: bytes) -> SheetResult:
    return parse_sheet(data, received=RECEIVED)


def assert_staff_sentence(message: object) -> None:
    assert isinstance(message, str), f"message is {type(message).__name__}"
    assert message, "empty message"
    assert message == message.strip() and "\n" not in message, f"not one clean line: {message!r}"
    assert message[0].isupper(), f"does not start like a sentence: {message!r}"
    assert message.endswith("."), f"does not end with a full stop: {message!r}"
    leaked = TECHNICAL.search(message)
    assert leaked is None, f"technical text {leaked.group(0)!r} in message: {message!r}"


def test_corpus_matches_manifest() -> None:
    on_disk = {path.name for path in FILES.iterdir()}
    assert on_disk == set(MANIFEST), "run tests/bad_input/make_corpus.py"
    assert not set(GENERATED) & on_disk
    assert {p.name for p in (CORPUS / "stress").iterdir()} == set(make_corpus.STRESS)
    for path in [*FILES.iterdir(), *CONTROL.iterdir(), *(CORPUS / "stress").iterdir()]:
        assert path.stat().st_size <= make_corpus.size_limit(path.name), f"{path.name} is too big"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gets_status_and_code(name: str) -> None:
    expected_status, expected_code = EXPECTED[name]
    result = parse(data_for(name))
    assert isinstance(result, SheetResult)
    assert result.problem is not None, f"{name}: status {result.status} with no problem"
    assert (result.status, result.problem.code) == (Status(expected_status), expected_code)
    assert_staff_sentence(result.problem.message)
    assert result.incidents == ()


@pytest.mark.parametrize("name", sorted(path.name for path in CONTROL.iterdir()))
def test_control_diaries_parse(name: str) -> None:
    """The files the hostile ones are cut from are good: a rejection comes from the defect."""
    result = parse((CONTROL / name).read_bytes())
    assert result.status == Status.PARSED, result.problem
    assert result.problem is None
    assert len(result.incidents) == len(make_corpus.ROWS)


def test_xxe_does_not_leak_local_files() -> None:
    assert "root:" in Path("/etc/passwd").read_text(), "precondition: /etc/passwd has root"
    result = parse(data_for("xxe-external-entity.docx"))
    dump = repr(result) + repr(dataclasses.asdict(result))
    assert "root:" not in dump
    assert "/bin/" not in dump


CHILD = textwrap.dedent(
    """
    import resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from datetime import UTC, datetime
    from parsers import parse_sheet
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    start = time.monotonic()
    result = parse_sheet(data, received=datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    elapsed = time.monotonic() - start
    code = result.problem.code if result.problem else None
    print(result.status, code, f"{{elapsed:.3f}}")
    """
)


def parse_bounded(path: Path) -> tuple[str, str, float]:
    """Parse `path` in a child process limited to 512 MB of address space.

    Returns (status, code or "None", seconds spent in parse_sheet).
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD.format(limit=MEMORY_LIMIT), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.name}: parse still running after 60 s")
    assert proc.returncode == 0, f"exit {proc.returncode} under a 512 MB limit:\n{proc.stderr}"
    status, code, elapsed = proc.stdout.split()
    return status, code, float(elapsed)


@pytest.mark.parametrize("name", BOMBS)
def test_bomb_rejected_fast_in_bounded_memory(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(data_for(name))
    status, code, elapsed = parse_bounded(path)
    assert (status, code) == EXPECTED[name]
    assert elapsed < BOMB_SECONDS, f"{name} took {elapsed:.2f} s to reject"


@pytest.mark.parametrize("name", sorted(make_corpus.STRESS))
def test_tiny_file_with_huge_grid_is_cheap(name: str) -> None:
    """A 1.4 KB diary whose one cell or row claims 100 million grid columns: any status will
    do, but the parser must not build the grid (time and memory would scale with the number)."""
    status, code, elapsed = parse_bounded(CORPUS / "stress" / name)
    assert status in {str(s) for s in Status}
    assert (status == str(Status.PARSED)) == (code == "None")
    assert elapsed < BOMB_SECONDS, f"{name} took {elapsed:.2f} s"
