"""Load `config.toml` once into a frozen, validated settings object.

pydantic does the validation because it reports every mistake at once with the key's path
("parser.max_attachment_mb: Input should be greater than 0"), which is what an administrator
editing TOML needs; unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message lists every problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParserSettings(_Section):
    # Convert legacy .doc attachments with LibreOffice (`soffice`) when it is installed.
    convert_legacy_doc: bool = False
    convert_timeout_s: float = Field(default=60.0, gt=0)
    max_attachment_mb: int = Field(default=20, gt=0, le=200)


class DatabaseSettings(_Section):
    # SQLAlchemy URL: a SQLite file (the default, nothing to start) or PostgreSQL for several
    # workers, e.g. "postgresql+psycopg://diarydesk@db.example.org/diarydesk".
    url: str = "sqlite:///var/diarydesk.sqlite3"


class ThresholdSettings(_Section):
    course_of_conduct_incidents: int = Field(default=2, ge=2)
    community_trigger_complaints: int = Field(default=3, ge=1, le=3)
    community_trigger_window_days: int = Field(default=183, gt=0)
    qualifying_report_days: int = Field(default=31, gt=0)
    hate_incident_triggers: bool = False
    course_of_conduct_residents: int = Field(default=2, ge=2)
    course_of_conduct_gap_warning_days: int = Field(default=120, ge=0)


class RetentionSettings(_Section):
    # Days to keep each record type (NHF advisory schedule: ASB case files five years).
    raw_messages_days: int = Field(default=730, gt=0)
    closed_cases_days: int = Field(default=1826, gt=0)


class Settings(_Section):
    parser: ParserSettings = ParserSettings()
    database: DatabaseSettings = DatabaseSettings()
    thresholds: ThresholdSettings = ThresholdSettings()
    retention: RetentionSettings = RetentionSettings()


def load(path: Path | None) -> Settings:
    """Settings from `path`, or the embedded defaults when no file is given."""
    if path is None:
        return Settings()
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as err:
        raise ConfigError(f"Configuration file {path} does not exist.") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}.") from err
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"{path} has {err.error_count()} problem(s): {problems}.") from err
