"""README's first command, as a new administrator runs it: the whole job on the defaults."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _first_code_block() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\n(.*?)```", text, re.S)
    assert block is not None and text.index("```") < text.index("#"), "README opens with it"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_two_commands() -> None:
    assert _first_code_block() == ["make demo", "make test"]
    assert (REPO / ".ci" / "run").read_text().strip().endswith("exec make test")


def test_make_demo_processes_the_sample_maildir_end_to_end() -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "seen 8, recorded 5, to review 1" in done.stdout
    assert "noise diary scan.pdf" in done.stdout  # the review queue names the unreadable file
    demo = REPO / "var" / "demo"
    assert len(list((demo / "outbox").glob("*.eml"))) >= 2  # threshold and urgent alerts
    assert "Case timelines" in (demo / "digest.html").read_text(encoding="utf-8")
    # The two ordinary enquiries are still in the inbox, unread.
    assert len(list((demo / "mail" / "new").iterdir())) == 2
