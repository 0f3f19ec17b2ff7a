"""Initial schema: messages, sheets, residents, persons, cases, incidents, police references,
threshold crossings, alerts, the append-only audit log and worker state.

Written from an autogenerate run, then frozen: every constraint and index is named in full
(the names `store.base.NAMING_CONVENTION` gives), and statuses are VARCHAR plus a CHECK listing
the values of that day, so later edits to the models or to the convention never change what
this revision creates.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_LENGTH = 32
SHA256_LENGTH = 64

MESSAGE_STATES = ("received", "recorded", "review", "quarantined", "ignored")
ATTACHMENT_STATUSES = ("parsed", "needs_review", "rejected")
CASE_STATUSES = ("open", "closed")
REFERENCE_KINDS = ("incident", "crime", "unknown")
REFERENCE_SOURCES = ("sheet_header", "incident_row", "email_body")
THRESHOLD_RULES = ("course_of_conduct", "community_trigger")
ALERT_STATES = ("pending", "sent", "failed")

POSTGRESQL_AUDIT_FUNCTION = """
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$
"""
POSTGRESQL_AUDIT_TRIGGERS = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
)
# SQLite drops a table's triggers when batch mode rebuilds it: re-create them after that.
SQLITE_AUDIT_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log BEGIN"
    f" SELECT RAISE(ABORT, 'audit_log is append-only: {verb} refused'); END"
    for verb in ("UPDATE", "DELETE")
)


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _pk(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def _at(column: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(column, sa.DateTime(timezone=True), nullable=nullable)


def _text(column: str, length: int | None = None, *, nullable: bool = True) -> sa.Column[Any]:
    kind = sa.Text() if length is None else sa.String(length=length)
    return sa.Column(column, kind, nullable=nullable)


def _json(column: str) -> sa.Column[Any]:
    return sa.Column(column, sa.JSON(), nullable=False)


def _flag(column: str) -> sa.Column[Any]:
    return sa.Column(column, sa.Boolean(), nullable=False)


def _ref(column: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(column, sa.Integer(), nullable=nullable)


def _status(table: str, column: str, values: tuple[str, ...]) -> tuple[Any, ...]:
    """The column and the CHECK that limits it to `values` (a non-native `sa.Enum`)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return (
        sa.Column(column, sa.String(length=STATUS_LENGTH), nullable=False),
        sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}")),
    )


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    target_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target_table}"),
        ondelete=ondelete,
    )


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def _partial_unique(name: str, table: str, columns: list[str], where: str) -> None:
    condition = sa.text(where)
    op.create_index(
        op.f(name),
        table,
        columns,
        unique=True,
        sqlite_where=condition,
        postgresql_where=condition,
    )


def upgrade() -> None:
    _create_sources()
    _create_people()
    _create_cases_and_incidents()
    _create_references()
    _create_outcomes()
    _create_audit_log()
    _create_worker_state()


def _create_sources() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=SHA256_LENGTH), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _pk("blobs", "sha256"),
    )
    op.create_table(
        "messages",
        _id(),
        _text("mailbox", 255, nullable=False),
        _text("folder", 255, nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        _text("message_id_header"),
        _text("sender"),
        _text("subject"),
        _at("received_at"),
        _text("sha256", SHA256_LENGTH, nullable=False),
        *_status("messages", "state", MESSAGE_STATES),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _text("last_error"),
        _at("created_at"),
        _fk("messages", "sha256", "blobs.sha256"),
        _pk("messages"),
        _unique("messages", "mailbox", "folder", "uidvalidity", "uid"),
    )
    _index("messages", "sha256", unique=True)
    op.create_table(
        "attachments",
        _id(),
        _ref("message_pk", nullable=True),
        _text("filename", nullable=False),
        _text("sha256", SHA256_LENGTH, nullable=False),
        *_status("attachments", "status", ATTACHMENT_STATUSES),
        _text("problem_code", 64),
        _text("problem_message"),
        _text("parser_version", 64, nullable=False),
        _text("layout", 32),
        _json("warnings"),
        _at("created_at"),
        _fk("attachments", "message_pk", "messages.id"),
        _fk("attachments", "sha256", "blobs.sha256"),
        _pk("attachments"),
        _unique("attachments", "message_pk", "sha256"),
    )
    _index("attachments", "sha256")
    _partial_unique(
        "uq_attachments_sha256_from_disk", "attachments", ["sha256"], "message_pk IS NULL"
    )


def _create_people() -> None:
    op.create_table(
        "residents",
        _id(),
        _text("email", 320),
        _text("name"),
        _text("address"),
        _text("phone", 64),
        _text("reference", 128),
        _text("street_key", 255),
        _at("created_at"),
        _at("updated_at"),
        _pk("residents"),
    )
    _index("residents", "email")
    _index("residents", "reference")
    op.create_table(
        "persons",
        _id(),
        _text("display_name"),
        _text("address"),
        _text("street_key", 255),
        _at("created_at"),
        _ref("merged_into", nullable=True),
        _fk("persons", "merged_into", "persons.id"),
        _pk("persons"),
    )
    op.create_table(
        "person_aliases",
        _id(),
        _ref("person_id"),
        _text("alias", nullable=False),
        _text("alias_key", 255, nullable=False),
        _fk("person_aliases", "person_id", "persons.id", ondelete="CASCADE"),
        _pk("person_aliases"),
        _unique("person_aliases", "person_id", "alias_key"),
    )
    _index("person_aliases", "alias_key")


def _create_cases_and_incidents() -> None:
    op.create_table(
        "cases",
        _id(),
        _ref("resident_id"),
        _ref("person_id", nullable=True),
        *_status("cases", "status", CASE_STATUSES),
        _text("officer_assigned"),
        _at("opened_at"),
        _at("closed_at", nullable=True),
        sa.Column("first_incident_on", sa.Date(), nullable=True),
        sa.Column("last_incident_on", sa.Date(), nullable=True),
        _at("course_of_conduct_met_at", nullable=True),
        _at("community_trigger_met_at", nullable=True),
        _flag("urgent"),
        _flag("needs_review"),
        _fk("cases", "person_id", "persons.id"),
        _fk("cases", "resident_id", "residents.id"),
        _pk("cases"),
    )
    _index("cases", "person_id")
    _index("cases", "resident_id")
    # One open case per (resident, person); NULL person_ids never collide, hence the second.
    _partial_unique(
        "uq_cases_open_resident_id_person_id",
        "cases",
        ["resident_id", "person_id"],
        "status = 'open'",
    )
    _partial_unique(
        "uq_cases_open_resident_id_unknown_person",
        "cases",
        ["resident_id"],
        "status = 'open' AND person_id IS NULL",
    )
    op.create_table(
        "incidents",
        _id(),
        _ref("case_id"),
        _ref("resident_id"),
        _ref("person_id", nullable=True),
        _flag("person_confirmed"),
        _ref("attachment_id"),
        _text("source_row"),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("time", sa.Time(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        _text("date_text"),
        _text("time_text"),
        _text("duration_text"),
        _text("location"),
        _text("description"),
        _json("persons"),
        _json("witnesses"),
        _text("effect"),
        _json("categories"),
        _flag("urgent"),
        _json("warnings"),
        sa.Column("reported_on", sa.Date(), nullable=False),
        _text("fingerprint", 128, nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _fk("incidents", "attachment_id", "attachments.id"),
        _fk("incidents", "case_id", "cases.id"),
        _fk("incidents", "person_id", "persons.id"),
        _fk("incidents", "resident_id", "residents.id"),
        _pk("incidents"),
    )
    _index("incidents", "attachment_id")
    _index("incidents", "case_id")
    _index("incidents", "fingerprint")
    _index("incidents", "person_id")
    _index("incidents", "resident_id", "occurred_on")
    op.create_table(
        "incident_sources",
        _id(),
        _ref("incident_id"),
        _ref("attachment_id"),
        _text("source_row"),
        _fk("incident_sources", "attachment_id", "attachments.id"),
        _fk("incident_sources", "incident_id", "incidents.id", ondelete="CASCADE"),
        _pk("incident_sources"),
        _unique("incident_sources", "incident_id", "attachment_id", "source_row"),
    )
    _index("incident_sources", "attachment_id")


def _create_references() -> None:
    op.create_table(
        "police_references",
        _id(),
        _text("text", 128, nullable=False),
        *_status("police_references", "kind", REFERENCE_KINDS),
        _text("force", 128),
        _text("ref_date_text"),
        _text("officer_rank", 64),
        _text("officer_name"),
        _text("officer_number", 64),
        _at("created_at"),
        _pk("police_references"),
        _unique("police_references", "text"),
    )
    op.create_table(
        "reference_links",
        _id(),
        _ref("reference_id"),
        _ref("case_id", nullable=True),
        _ref("incident_id", nullable=True),
        *_status("reference_links", "source", REFERENCE_SOURCES),
        _at("created_at"),
        sa.CheckConstraint(
            "case_id IS NOT NULL OR incident_id IS NOT NULL",
            name=op.f("ck_reference_links_target"),
        ),
        _fk("reference_links", "case_id", "cases.id"),
        _fk("reference_links", "incident_id", "incidents.id", ondelete="CASCADE"),
        _fk("reference_links", "reference_id", "police_references.id", ondelete="CASCADE"),
        _pk("reference_links"),
        _unique("reference_links", "reference_id", "case_id", "incident_id"),
    )
    _index("reference_links", "case_id")
    _index("reference_links", "incident_id")


def _create_outcomes() -> None:
    op.create_table(
        "threshold_crossings",
        _id(),
        *_status("threshold_crossings", "rule", THRESHOLD_RULES),
        _ref("case_id", nullable=True),
        _ref("person_id", nullable=True),
        _at("met_at"),
        _json("incident_ids"),
        sa.Column("gap_days", sa.Integer(), nullable=True),
        _json("reasons"),
        _fk("threshold_crossings", "case_id", "cases.id"),
        _fk("threshold_crossings", "person_id", "persons.id"),
        _pk("threshold_crossings"),
        _unique("threshold_crossings", "rule", "case_id"),
    )
    _index("threshold_crossings", "person_id")
    op.create_table(
        "alerts",
        _id(),
        _text("idempotency_key", 255, nullable=False),
        _text("kind", 64, nullable=False),
        _ref("case_id", nullable=True),
        *_status("alerts", "state", ALERT_STATES),
        _json("payload"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at", nullable=True),
        _text("last_error"),
        _text("message_id_header"),
        _at("created_at"),
        _at("sent_at", nullable=True),
        _fk("alerts", "case_id", "cases.id"),
        _pk("alerts"),
        _unique("alerts", "idempotency_key"),
    )
    _index("alerts", "case_id")
    _index("alerts", "state", "next_attempt_at")


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        _id(),
        _at("at"),
        _text("actor", 255, nullable=False),
        _text("action", 64, nullable=False),
        _text("entity", 64, nullable=False),
        _text("entity_id", 128),
        _json("detail"),
        _pk("audit_log"),
    )
    _index("audit_log", "at")
    _index("audit_log", "entity", "entity_id")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(POSTGRESQL_AUDIT_FUNCTION)
        for statement in POSTGRESQL_AUDIT_TRIGGERS:
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in SQLITE_AUDIT_TRIGGERS:
            op.execute(statement)


def _create_worker_state() -> None:
    op.create_table(
        "locks",
        _text("name", 128, nullable=False),
        _text("holder", 255, nullable=False),
        _at("acquired_at"),
        _at("heartbeat_at"),
        _pk("locks", "name"),
    )
    op.create_table(
        "kv",
        _text("key", 128, nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        _at("updated_at"),
        _pk("kv", "key"),
    )


# Children before parents, so every foreign key's target still exists when its table goes.
TABLES_IN_DROP_ORDER = (
    "kv",
    "locks",
    "audit_log",
    "alerts",
    "threshold_crossings",
    "reference_links",
    "police_references",
    "incident_sources",
    "incidents",
    "cases",
    "person_aliases",
    "persons",
    "residents",
    "attachments",
    "messages",
    "blobs",
)


def downgrade() -> None:
    # Dropping a table drops its indexes and triggers; the PostgreSQL function stays otherwise.
    for table in TABLES_IN_DROP_ORDER:
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_refuse_change()")
