"""The states and kinds the store records, as `StrEnum`s shared by models, migrations and code.

Each is stored as its string value (a VARCHAR with a CHECK constraint, never a native
PostgreSQL ENUM), so adding a member is a migration that rewrites one constraint.
"""

from __future__ import annotations

import enum


class MessageState(enum.StrEnum):
    """Where one received e-mail stands in the pipeline."""

    RECEIVED = "received"
    RECORDED = "recorded"
    REVIEW = "review"
    QUARANTINED = "quarantined"
    IGNORED = "ignored"


class AttachmentStatus(enum.StrEnum):
    """The parser's verdict on one sheet (the values of `parsers.model.Status`)."""

    PARSED = "parsed"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ReferenceKind(enum.StrEnum):
    """Whether a police reference is an incident (log/CAD) number or a crime number."""

    INCIDENT = "incident"
    CRIME = "crime"
    UNKNOWN = "unknown"


class ReferenceSource(enum.StrEnum):
    """Where on the sheet or in the e-mail a police reference was found."""

    SHEET_HEADER = "sheet_header"
    INCIDENT_ROW = "incident_row"
    EMAIL_BODY = "email_body"


class ThresholdRule(enum.StrEnum):
    COURSE_OF_CONDUCT = "course_of_conduct"
    COMMUNITY_TRIGGER = "community_trigger"


class AlertState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
