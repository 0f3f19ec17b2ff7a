"""Helpers the worker tests share: the sample Maildir, reading folders, starting `run`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_MAIL = REPO / "examples" / "mail"


def maildir_files(folder: Path) -> list[Path]:
    """The messages of one Maildir folder (new/ and cur/), in name order."""
    return sorted(p for sub in ("new", "cur") for p in (folder / sub).glob("*") if p.is_file())


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`diarydesk --config CONFIG run` in its own process, its log (stderr) in `log`."""
    code = "import sys; from ingest.cli import main; sys.exit(main(sys.argv[1:]))"
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-c", code, "--config", str(config), "run"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
