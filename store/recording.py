"""Record what arrived: a message, its sheets and what they say, once, in one transaction.

`record_message` is what the mailbox worker calls for each email and `record_file` what
`diarydesk record` calls for a sheet on disk. Both are idempotent: the same message or the same
attachment bytes recorded twice change nothing, and a resent, growing diary adds only new
incidents. The caller owns the transaction (commit after, then move the email on the server).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers import PARSER_VERSION
from parsers.model import Incident as ParsedIncident
from parsers.model import PoliceReference as ParsedReference
from parsers.model import SheetResult, Status
from store import references
from store.audit import audit
from store.blobs import sha256, store_blob
from store.cases import open_case, refresh_case
from store.enums import AttachmentStatus, CaseStatus, MessageState, ReferenceSource
from store.incidents import record_incident
from store.models import Attachment, Case, Message, Resident, ThresholdCrossing
from store.names import compare, name_key
from store.persons import PersonLink, resolve_person
from store.residents import resolve_resident
from store.thresholds import ThresholdSettings, evaluate

DEFAULT_THRESHOLDS = ThresholdSettings()


@dataclass(frozen=True)
class SourceMessage:
    """One email as fetched: where it came from and its exact bytes."""

    raw: bytes
    received_at: dt.datetime
    mailbox: str = "local"
    folder: str = "INBOX"
    uidvalidity: int | None = None
    uid: int | None = None
    message_id: str | None = None
    sender: str | None = None
    subject: str | None = None
    source_key: str | None = None


@dataclass(frozen=True)
class SheetInput:
    filename: str
    data: bytes
    result: SheetResult


@dataclass
class RecordOutcome:
    message_pk: int | None = None
    already_recorded: bool = False
    attachment_ids: list[int] = field(default_factory=list)
    new_incident_ids: list[int] = field(default_factory=list)
    repeated_incident_ids: list[int] = field(default_factory=list)
    case_ids: set[int] = field(default_factory=set)
    crossings: list[ThresholdCrossing] = field(default_factory=list)


def record_message(
    session: Session,
    message: SourceMessage,
    sheets: Sequence[SheetInput],
    *,
    body_references: Sequence[ParsedReference] = (),
    now: dt.datetime,
    thresholds: ThresholdSettings = DEFAULT_THRESHOLDS,
    actor: str = "worker",
) -> RecordOutcome:
    """Store the raw message first, then every sheet; evaluate thresholds for touched cases."""
    row = _existing_message(session, message, sha256(message.raw))
    if row is not None and row.state is not MessageState.RECEIVED:
        return RecordOutcome(message_pk=row.id, already_recorded=True)
    if row is None:
        # The raw bytes first: whatever happens to the sheets, the email itself is kept.
        row = _message_row(session, message)
    audit(session, actor, "message.record", "message", row.id, sheets=len(sheets))
    outcome = RecordOutcome(message_pk=row.id)
    recorder = _SheetRecorder(session, outcome, message, now, actor)
    for sheet in sheets:
        recorder.record(sheet, row.id, body_references)
    parsed_any = any(sheet.result.status is Status.PARSED for sheet in sheets)
    if not sheets and body_references:
        parsed_any = recorder.body_only(body_references)
    row.state = MessageState.RECORDED if parsed_any else MessageState.REVIEW
    if not parsed_any and not row.last_error:
        row.last_error = _review_reason(sheets)
    outcome.crossings = evaluate(session, case_ids=outcome.case_ids, now=now, settings=thresholds)
    return outcome


def record_failure(
    session: Session,
    message: SourceMessage,
    *,
    error: str,
    max_attempts: int,
    actor: str = "worker",
) -> Message:
    """Keep the raw email of a try that failed, count the try, and quarantine it after
    `max_attempts`: it is then listed for review with its error instead of retried forever.

    Runs in a fresh transaction after the failed one rolled back, so the email is stored even
    when recording it keeps failing.
    """
    row = _existing_message(session, message, sha256(message.raw))
    if row is None:
        row = _message_row(session, message)
    if row.state is not MessageState.RECEIVED:
        return row  # recorded meanwhile (by another worker): nothing failed for good
    row.attempts += 1
    row.last_error = error
    if row.attempts >= max_attempts:
        row.state = MessageState.QUARANTINED
    audit(
        session,
        actor,
        "message.quarantine" if row.state is MessageState.QUARANTINED else "message.fail",
        "message",
        row.id,
        attempts=row.attempts,
    )
    session.flush()
    return row


def _message_row(session: Session, message: SourceMessage) -> Message:
    digest = store_blob(session, message.raw)
    row = Message(
        mailbox=message.mailbox,
        folder=message.folder,
        uidvalidity=message.uidvalidity,
        uid=message.uid,
        source_key=message.source_key,
        message_id_header=message.message_id,
        sender=message.sender,
        subject=message.subject,
        received_at=message.received_at,
        sha256=digest,
        state=MessageState.RECEIVED,
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


def _review_reason(sheets: Sequence[SheetInput]) -> str:
    problems = [
        f"{sheet.filename}: {sheet.result.problem.message}"
        for sheet in sheets
        if sheet.result.problem is not None
    ]
    if problems:
        return "; ".join(problems)
    if sheets:
        return "no incidents could be read from the attached sheet(s)"
    return "a police reference from a sender with no open case: link it by hand"


def record_file(
    session: Session,
    sheet: SheetInput,
    *,
    sender: str | None,
    received_at: dt.datetime,
    now: dt.datetime,
    thresholds: ThresholdSettings = DEFAULT_THRESHOLDS,
    actor: str = "cli",
) -> RecordOutcome:
    """Record a sheet that came from disk (no email): no message row, same idempotency."""
    outcome = RecordOutcome()
    source = SourceMessage(raw=b"", received_at=received_at, sender=sender)
    _SheetRecorder(session, outcome, source, now, actor).record(sheet, None, ())
    outcome.crossings = evaluate(session, case_ids=outcome.case_ids, now=now, settings=thresholds)
    return outcome


def _existing_message(session: Session, message: SourceMessage, digest: str) -> Message | None:
    by_bytes = session.scalars(select(Message).where(Message.sha256 == digest)).first()
    if by_bytes is not None or message.uid is None:
        return by_bytes
    return session.scalars(
        select(Message).where(
            Message.mailbox == message.mailbox,
            Message.folder == message.folder,
            Message.uidvalidity == message.uidvalidity,
            Message.uid == message.uid,
        )
    ).first()


class _SheetRecorder:
    def __init__(
        self,
        session: Session,
        outcome: RecordOutcome,
        message: SourceMessage,
        now: dt.datetime,
        actor: str,
    ) -> None:
        self.session = session
        self.outcome = outcome
        self.message = message
        self.now = now
        self.actor = actor

    def record(
        self, sheet: SheetInput, message_pk: int | None, body_refs: Sequence[ParsedReference]
    ) -> None:
        digest = sha256(sheet.data)
        seen_before = self.session.scalars(
            select(Attachment).where(Attachment.sha256 == digest)
        ).first()
        if seen_before is not None and (message_pk is None or seen_before.message_pk == message_pk):
            return  # the same bytes again: nothing changes
        store_blob(self.session, sheet.data)
        attachment = self._attachment(sheet, message_pk, digest)
        if seen_before is not None or sheet.result.status is not Status.PARSED:
            # A known file in a new email (provenance only), or one a person must look at.
            return
        self._incidents(sheet.result, attachment, body_refs)

    def _attachment(self, sheet: SheetInput, message_pk: int | None, digest: str) -> Attachment:
        result = sheet.result
        row = Attachment(
            message_pk=message_pk,
            filename=sheet.filename,
            sha256=digest,
            status=AttachmentStatus(result.status.value),
            problem_code=result.problem.code if result.problem else None,
            problem_message=result.problem.message if result.problem else None,
            parser_version=PARSER_VERSION,
            layout=result.layout,
            warnings=list(result.warnings),
        )
        self.session.add(row)
        self.session.flush()
        self.outcome.attachment_ids.append(row.id)
        audit(
            self.session,
            self.actor,
            "attachment.record",
            "attachment",
            row.id,
            status=str(result.status),
            problem=row.problem_code,
        )
        return row

    def _incidents(
        self, result: SheetResult, attachment: Attachment, body_refs: Sequence[ParsedReference]
    ) -> None:
        session = self.session
        resident = resolve_resident(
            session, sender=self.message.sender, complainant=result.complainant, actor=self.actor
        )
        links = _PersonLinks(session, result, resident.id, self.actor)
        reported_on = self.message.received_at.date()
        details = {ref.text: ref for ref in result.reference_details}
        matched: set[int] = set()
        cases: dict[int, Case] = {}
        for parsed in result.incidents:
            link = links.for_incident(parsed)
            case = open_case(
                session,
                resident_id=resident.id,
                person_id=link.person_id if link else None,
                now=self.now,
                actor=self.actor,
            )
            cases[case.id] = case
            recorded = record_incident(
                session,
                parsed=parsed,
                resident_id=resident.id,
                case_id=case.id,
                person_id=link.person_id if link else None,
                person_confirmed=link.confirmed if link else False,
                attachment_id=attachment.id,
                reported_on=reported_on,
                exclude=matched,
            )
            matched.add(recorded.incident.id)
            ids = (
                self.outcome.new_incident_ids
                if recorded.new
                else self.outcome.repeated_incident_ids
            )
            ids.append(recorded.incident.id)
            audit(
                session,
                self.actor,
                "incident.record" if recorded.new else "incident.repeat",
                "incident",
                recorded.incident.id,
                attachment_id=attachment.id,
                source=parsed.source,
            )
            for text in parsed.police_references:
                ref = references.upsert_reference(session, _detail(details, text), None)
                references.link(
                    session, ref, ReferenceSource.INCIDENT_ROW, incident_id=recorded.incident.id
                )
        self._case_references(result, body_refs, details, list(cases.values()))
        for case in cases.values():
            refresh_case(session, case, needs_review=links.unconfirmed)
            self.outcome.case_ids.add(case.id)

    def body_only(self, body_refs: Sequence[ParsedReference]) -> bool:
        """An email with references but no sheet ("my crime number is ..."): link them to the
        sender's open cases. False when there is no such case, so a person links it."""
        if not self.message.sender:
            return False
        resident = self.session.scalars(
            select(Resident).where(Resident.email == self.message.sender.strip().lower())
        ).first()
        if resident is None:
            return False
        cases = list(
            self.session.scalars(
                select(Case).where(Case.resident_id == resident.id, Case.status == CaseStatus.OPEN)
            )
        )
        if not cases:
            return False
        for parsed in body_refs:
            ref = references.upsert_reference(self.session, parsed, None)
            for case in cases:
                references.link(self.session, ref, ReferenceSource.EMAIL_BODY, case_id=case.id)
        self.outcome.case_ids.update(case.id for case in cases)
        return True

    def _case_references(
        self,
        result: SheetResult,
        body_refs: Sequence[ParsedReference],
        details: dict[str, ParsedReference],
        cases: Iterable[Case],
    ) -> None:
        pairs = [
            (ReferenceSource.SHEET_HEADER, _detail(details, t)) for t in result.police_references
        ]
        pairs += [(ReferenceSource.EMAIL_BODY, ref) for ref in body_refs]
        for source, parsed in pairs:
            ref = references.upsert_reference(self.session, parsed, result.officer)
            for case in cases:
                references.link(self.session, ref, source, case_id=case.id)


def _detail(details: dict[str, ParsedReference], text: str) -> ParsedReference:
    return details.get(text) or ParsedReference(text=text)


class _PersonLinks:
    """Resolve each distinct person written on one sheet once, header name first."""

    def __init__(self, session: Session, result: SheetResult, resident_id: int, actor: str) -> None:
        self.session = session
        self.resident_id = resident_id
        self.actor = actor
        self.subject = result.subject
        self.cache: dict[str, PersonLink | None] = {}
        self.unconfirmed = False

    def for_incident(self, parsed: ParsedIncident) -> PersonLink | None:
        if not parsed.persons:
            return None  # "unknown person": kept in the case, never counted towards a person
        written = parsed.persons[0]
        if written not in self.cache:
            self.cache[written] = self._resolve(written)
        link = self.cache[written]
        if link is not None and not link.confirmed:
            self.unconfirmed = True
        return link

    def _resolve(self, written: str) -> PersonLink | None:
        names = [written]
        address = None
        subject = self.subject
        if subject is not None and subject.name and self._is_subject(written, subject.name):
            # The row names the header's person: use the header's fuller name first.
            names = [subject.name, written] if subject.name != written else [written]
            address = subject.address
        return resolve_person(
            self.session,
            names=names,
            address=address,
            resident_id=self.resident_id,
            actor=self.actor,
        )

    def _is_subject(self, written: str, subject_name: str) -> bool:
        """Within one sheet, "Wayne" under a header naming "Wayne Tolley" is Wayne Tolley: the
        resident wrote both. Across sheets that evidence is weaker, and persons.py decides."""
        assert self.subject is not None
        if compare(written, subject_name, self.subject.address).strong:
            return True
        written_words = set(name_key(written).split())
        return bool(written_words) and written_words <= set(name_key(subject_name).split())
