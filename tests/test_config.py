"""config.example.toml documents every setting, parses, and bad values are all reported."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from ingest.config import ConfigError, Settings, load

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(prefix + (field.alias or name))
    return keys


def _documented(data: dict[str, object], prefix: str = "") -> set[str]:
    keys = set()
    for name, value in data.items():
        if isinstance(value, dict):
            keys |= _documented(value, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def test_example_documents_every_setting_with_its_default() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    assert _documented(data) == _keys(Settings)
    assert load(EXAMPLE) == Settings()


def test_every_mistake_is_reported_at_once_with_its_key(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text(
        "[parser]\nmax_attachment_mb = 0\nconvert_legacy_dc = true\n"
        "[thresholds]\ncourse_of_conduct_incidents = 1\n"
    )
    with pytest.raises(ConfigError) as raised:
        load(bad)
    message = str(raised.value)
    assert "3 problem(s)" in message
    for key in (
        "parser.max_attachment_mb",
        "parser.convert_legacy_dc",
        "thresholds.course_of_conduct_incidents",
    ):
        assert key in message


def test_a_digest_schedule_that_is_not_cron_is_refused_at_load(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text('[digest]\nschedule = "every morning"\ntimezone = "Europe/Narnia"\n')
    with pytest.raises(ConfigError) as raised:
        load(bad)
    assert "digest" in str(raised.value) and "time zone" in str(raised.value)
    bad.write_text('[digest]\nschedule = "every morning"\n')
    with pytest.raises(ConfigError) as raised:
        load(bad)
    assert "is not a cron expression" in str(raised.value)
