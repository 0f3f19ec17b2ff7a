"""Shared fixtures: where the shared sample sheets live, and their --received times."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Fixtures for the real parts (databases, mail servers), available to every test package.
pytest_plugins = ["tests.db_fixtures", "tests.dovecot_fixture", "tests.smtp_fixture"]

REPO = Path(__file__).resolve().parents[1]


def samples_dir() -> Path:
    """../shared/samples beside the checkout (CI lays shared/ next to the clone)."""
    configured = os.environ.get("DIARYDESK_SAMPLES")
    return Path(configured) if configured else REPO.parent / "shared" / "samples"


def sample_received() -> dict[str, str]:
    """File name -> the --received value the samples README gives for it."""
    readme = (samples_dir() / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*`([^`]+\.docx)`\s*\|.*\|\s*`([^`]+)`\s*\|\s*$", readme, re.M)
    return dict(rows)


@pytest.fixture(scope="session")
def samples() -> Path:
    path = samples_dir()
    if not path.is_dir():
        pytest.fail(f"shared samples not found at {path}; set DIARYDESK_SAMPLES")
    return path
