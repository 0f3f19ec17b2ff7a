"""The case record as SQLAlchemy 2.0 typed models: one class per table.

Schema only: the rules for filling these tables (matching residents, opening cases, ...) live
elsewhere. Every timestamp is timezone-aware UTC (`base.UTCDateTime`); statuses are `StrEnum`s
stored by value; lists are JSON (assign a new list to change one: JSON columns do not track
in-place mutation). Migration `0001_initial` creates exactly these tables; the store tests
compare the two so they cannot drift.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.append_only import make_append_only
from store.base import Base, str_enum, utcnow
from store.enums import (
    AlertState,
    AttachmentStatus,
    CaseStatus,
    MessageState,
    ReferenceKind,
    ReferenceSource,
    ThresholdRule,
)

SHA256_HEX_LENGTH = 64


class Blob(Base):
    """Raw bytes stored once under their SHA-256, shared by messages and attachments."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Message(Base):
    """One received e-mail; the IMAP key and the raw bytes' hash each identify it once."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"),
        Index("ix_messages_mailbox_moved_at", "mailbox", "moved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    message_id_header: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime]
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True, unique=True)
    state: Mapped[MessageState] = mapped_column(
        str_enum(MessageState, "state"), default=MessageState.RECEIVED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The mailbox's own handle (str(uid) for IMAP, the file's key for a Maildir), and where
    # the message was moved once recorded: a row recorded but not yet moved is moved by the
    # next cycle, which is how a crash between commit and move heals.
    source_key: Mapped[str | None] = mapped_column(String(255))
    moved_to: Mapped[str | None] = mapped_column(String(255))
    moved_at: Mapped[dt.datetime | None]


class Attachment(Base):
    """One diary sheet and the parser's verdict; `message_pk` is NULL for a file read from disk."""

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("message_pk", "sha256"),
        # NULL message_pk values are distinct in a unique constraint, so files parsed from disk
        # get their own rule: the same bytes from disk are one attachment.
        Index(
            "uq_attachments_sha256_from_disk",
            "sha256",
            unique=True,
            sqlite_where=text("message_pk IS NULL"),
            postgresql_where=text("message_pk IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    filename: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    status: Mapped[AttachmentStatus] = mapped_column(str_enum(AttachmentStatus, "status"))
    problem_code: Mapped[str | None] = mapped_column(String(64))
    problem_message: Mapped[str | None] = mapped_column(Text)
    parser_version: Mapped[str] = mapped_column(String(64))
    layout: Mapped[str | None] = mapped_column(String(32))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Resident(Base):
    """A complainant; `street_key` is the normalised street used for matching."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(128), index=True)
    street_key: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Person(Base):
    """An alleged perpetrator; `merged_into` points at the record this one was merged into."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    street_key: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    aliases: Mapped[list[PersonAlias]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class PersonAlias(Base):
    """A name a person is known by, as written and normalised (`alias_key`)."""

    __tablename__ = "person_aliases"
    __table_args__ = (UniqueConstraint("person_id", "alias_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(Text)
    alias_key: Mapped[str] = mapped_column(String(255), index=True)

    person: Mapped[Person] = relationship(back_populates="aliases")


class Case(Base):
    """A resident's complaint about one person (`person_id` NULL: not yet known).

    At most one case per (resident, person) is open at a time; two partial unique indexes
    enforce it, the second because NULL person_ids never collide in the first.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_open_resident_id_person_id",
            "resident_id",
            "person_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "uq_cases_open_resident_id_unknown_person",
            "resident_id",
            unique=True,
            sqlite_where=text("status = 'open' AND person_id IS NULL"),
            postgresql_where=text("status = 'open' AND person_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus, "status"), default=CaseStatus.OPEN
    )
    officer_assigned: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    first_incident_on: Mapped[dt.date | None] = mapped_column(Date)
    last_incident_on: Mapped[dt.date | None] = mapped_column(Date)
    course_of_conduct_met_at: Mapped[dt.datetime | None]
    community_trigger_met_at: Mapped[dt.datetime | None]
    urgent: Mapped[bool] = mapped_column(default=False)
    needs_review: Mapped[bool] = mapped_column(default=False)


class Incident(Base):
    """One diary entry: every field the parser returns, where it came from and when it arrived.

    `attachment_id`/`source_row` name the best-written copy; `incident_sources` lists every
    copy. `reported_on` is the date the entry reached us, not the date it happened.
    """

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_resident_id_occurred_on", "resident_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    person_confirmed: Mapped[bool] = mapped_column(default=False)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), index=True)
    source_row: Mapped[str | None] = mapped_column(Text)
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    time: Mapped[dt.time | None] = mapped_column(Time)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    date_text: Mapped[str | None] = mapped_column(Text)
    time_text: Mapped[str | None] = mapped_column(Text)
    duration_text: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    persons: Mapped[list[str]] = mapped_column(JSON, default=list)
    witnesses: Mapped[list[str]] = mapped_column(JSON, default=list)
    effect: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(default=False)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    fingerprint: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sources: Mapped[list[IncidentSource]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )


class IncidentSource(Base):
    """One copy of an incident: which sheet and which row of it."""

    __tablename__ = "incident_sources"
    __table_args__ = (UniqueConstraint("incident_id", "attachment_id", "source_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), index=True)
    source_row: Mapped[str | None] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="sources")


class PoliceReference(Base):
    """A police reference by its normalised text, with the officer named beside it."""

    __tablename__ = "police_references"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[ReferenceKind] = mapped_column(
        str_enum(ReferenceKind, "kind"), default=ReferenceKind.UNKNOWN
    )
    force: Mapped[str | None] = mapped_column(String(128))
    ref_date_text: Mapped[str | None] = mapped_column(Text)
    officer_rank: Mapped[str | None] = mapped_column(String(64))
    officer_name: Mapped[str | None] = mapped_column(Text)
    officer_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReferenceLink(Base):
    """Ties a police reference to a case, an incident, or both."""

    __tablename__ = "reference_links"
    __table_args__ = (
        UniqueConstraint("reference_id", "case_id", "incident_id"),
        CheckConstraint("case_id IS NOT NULL OR incident_id IS NOT NULL", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_id: Mapped[int] = mapped_column(
        ForeignKey("police_references.id", ondelete="CASCADE")
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[ReferenceSource] = mapped_column(str_enum(ReferenceSource, "source"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ThresholdCrossing(Base):
    """When a rule first fired for a case, on which incidents, and the reasons it gave."""

    __tablename__ = "threshold_crossings"
    __table_args__ = (UniqueConstraint("rule", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[ThresholdRule] = mapped_column(str_enum(ThresholdRule, "rule"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    met_at: Mapped[dt.datetime]
    incident_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    gap_days: Mapped[int | None]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class Alert(Base):
    """A notification to send; `idempotency_key` makes the same alert impossible to queue twice."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    state: Mapped[AlertState] = mapped_column(
        str_enum(AlertState, "state"), default=AlertState.PENDING
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id_header: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class AuditEntry(Base):
    """Who (`actor`: "worker", "cli:alice") did what to which row. Append-only.

    The ORM refuses updates and deletes (`store.append_only`); the database refuses them too,
    through triggers created by the migration.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


make_append_only(AuditEntry)


class Lock(Base):
    """A named lease (the worker's database lock): who holds it and when it last said so."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]


class KeyValue(Base):
    """Small pieces of worker state, such as the time of the last successful poll."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Every table above: what migrations and the schema comparison work from.
metadata = Base.metadata
