"""Load `config.toml` once into a frozen, validated settings object.

pydantic does the validation because it reports every mistake at once with the key's path
("parser.max_attachment_mb: Input should be greater than 0"), which is what an administrator
editing TOML needs; unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message lists every problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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


_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _duration(text: str) -> str:
    if _DURATION.match(text) is None:
        raise ValueError('a duration such as "30s", "5m" or "1h"')
    return text


def _address(text: str) -> str:
    # Deliberately loose: the SMTP server is the judge; this catches a missing "@" or a name.
    if _ADDRESS.match(text) is None:
        raise ValueError(f"{text!r} is not an email address (name@example.org)")
    return text


def seconds(duration: str) -> float:
    """A validated duration such as "5m" in seconds."""
    matched = _DURATION.match(duration)
    if matched is None:
        raise ValueError(f"not a duration: {duration!r}")
    return float(int(matched.group(1)) * _UNIT_SECONDS[matched.group(2)])


Duration = Annotated[str, AfterValidator(_duration)]
Address = Annotated[str, AfterValidator(_address)]
Security = Literal["tls", "starttls", "none"]


class _Credentials(_Section):
    """How to log in to a mail server. Secrets never live in the TOML: only where to find them."""

    host: str = ""
    # 0: the standard port for `security` (IMAP 993/143, SMTP 465/587).
    port: int = Field(default=0, ge=0, lt=65536)
    # "tls" (implicit TLS), "starttls", or "none" (refused unless host is a loopback address).
    security: Security = "tls"
    username: str = ""
    # "password" (LOGIN), "xoauth2" (Microsoft 365 client credentials through msal, or the
    # token printed by `token_command`), or "none" (SMTP relays that take no login).
    auth: Literal["password", "xoauth2", "none"] = "password"
    password_env: str = ""
    password_file: str = ""
    oauth_tenant_id: str = ""
    oauth_client_id: str = ""
    oauth_client_secret_env: str = ""
    # A command whose standard output is an OAuth access token (used instead of msal); run
    # without a shell, it must finish within read_timeout_s.
    token_command: str = ""
    connect_timeout_s: float = Field(default=15.0, gt=0)
    read_timeout_s: float = Field(default=60.0, gt=0)


class MailboxSettings(_Credentials):
    # "maildir" (a local folder, the embedded default) or "imap".
    kind: Literal["maildir", "imap"] = "maildir"
    # Maildir: the root folder (with cur/, new/, tmp/); other folders are Maildir++ subfolders.
    path: str = "var/mail"
    folder: str = "INBOX"
    processed_folder: str = "Diarydesk/Processed"
    review_folder: str = "Diarydesk/Review"
    # Emails with no Word attachment and no police reference are other enquiries: leave them
    # in the inbox, unread (false moves them to `ignored_folder` instead).
    leave_unrelated: bool = True
    ignored_folder: str = "Diarydesk/Other"
    # Messages fetched per IMAP round trip.
    batch_size: int = Field(default=50, gt=0, le=1000)

    @model_validator(mode="after")
    def _imap_needs_a_server(self) -> MailboxSettings:
        if self.kind == "imap" and not self.host:
            raise ValueError('mailbox.host is required when mailbox.kind is "imap"')
        return self


class ScheduleSettings(_Section):
    # How often the daemon polls the mailbox ("30s", "5m", "1h").
    poll_every: Duration = "5m"


class WorkerSettings(_Section):
    # Tries before a message that keeps failing is quarantined (moved to the review folder).
    max_attempts: int = Field(default=3, gt=0)
    # Consecutive failed polls before the admin gets an operational alert.
    failed_polls_before_alert: int = Field(default=3, gt=0)
    # Who gets operational alerts (the worker is failing); empty: nobody.
    admin: list[Address] = []
    # Reconnect backoff after a failed poll: doubles from `backoff_initial` up to `backoff_max`.
    backoff_initial: Duration = "10s"
    backoff_max: Duration = "15m"
    # A worker's database lease on the mailbox expires this long after its last heartbeat.
    lock_ttl: Duration = "10m"


class MailOutSettings(_Credentials):
    # "outbox" (write .eml files to `outbox_dir`, the embedded default) or "smtp".
    kind: Literal["outbox", "smtp"] = "outbox"
    outbox_dir: str = "var/outbox"
    # The From: address of alerts and digests ("from" in the TOML).
    from_: Address = Field(default="diarydesk@localhost.localdomain", alias="from")
    security: Security = "starttls"


class AlertRoute(_Section):
    # Incidents whose resident's postcode starts with this (e.g. "M14") go to `officers`.
    postcode_prefix: str = ""
    # ... or whose resident's address contains this area name.
    area: str = ""
    officers: list[Address]


class AlertSettings(_Section):
    # Officers who receive threshold and urgent alerts (unless a route matches first).
    officers: list[Address] = []
    routes: list[AlertRoute] = []
    # false sends alerts without incident descriptions (data minimisation).
    include_descriptions: bool = True
    # Retry backoff while the mail server refuses: doubles up to `retry_max`.
    retry_initial: Duration = "1m"
    retry_max: Duration = "1h"


class DigestSettings(_Section):
    recipients: list[Address] = []
    # Cron expression (minute hour day month day-of-week) in `timezone`.
    schedule: str = "0 8 * * mon-fri"
    timezone: str = "Europe/London"
    # Send a short "nothing new" digest on an empty day, so silence never hides a broken worker.
    send_when_empty: bool = True
    include_descriptions: bool = True
    # A folder of Jinja2 templates that override the built-in ones (same file names).
    templates_dir: str = ""
    # Working days to respond (hate, violence, threats / everything else) and between updates.
    urgent_response_days: int = Field(default=1, gt=0)
    response_days: int = Field(default=10, gt=0)
    update_every_days: int = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _schedule_is_cron(self) -> DigestSettings:
        # Checked at load, not at 08:00 the next morning when the digest would silently not go.
        from apscheduler.triggers.cron import CronTrigger

        try:
            zone = zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"digest.timezone {self.timezone!r} is not a time zone") from err
        try:
            CronTrigger.from_crontab(self.schedule, timezone=zone)
        except ValueError as err:
            raise ValueError(
                f"digest.schedule {self.schedule!r} is not a cron expression "
                f'(minute hour day month day-of-week, e.g. "0 8 * * mon-fri"): {err}'
            ) from err
        return self


class AcknowledgementSettings(_Section):
    # Reply to the resident with how many incidents arrived and the case reference.
    enabled: bool = False


class Settings(_Section):
    parser: ParserSettings = ParserSettings()
    database: DatabaseSettings = DatabaseSettings()
    thresholds: ThresholdSettings = ThresholdSettings()
    retention: RetentionSettings = RetentionSettings()
    mailbox: MailboxSettings = MailboxSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    worker: WorkerSettings = WorkerSettings()
    mail_out: MailOutSettings = MailOutSettings()
    alerts: AlertSettings = AlertSettings()
    digest: DigestSettings = DigestSettings()
    acknowledgement: AcknowledgementSettings = AcknowledgementSettings()


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
