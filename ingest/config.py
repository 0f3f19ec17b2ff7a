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


class Settings(_Section):
    parser: ParserSettings = ParserSettings()


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
