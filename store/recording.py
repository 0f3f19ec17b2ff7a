"""Record what arrived: a message, its sheets and what they say, once, in one transaction.

`record_message` is what the mailbox worker calls for each email and `record_file` what
`diarydesk record` calls for a sheet on disk. Both are idempotent: the same message or the same
attachment bytes recorded twice change nothing, and a resent, growing diary adds only new
incidents. The caller owns the transaction (commit after, then move the email on the server).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from parsers import PARSER_VERSION
from parsers.model import Incident as ParsedIncident
from parsers.model import PoliceReference as ParsedReference
from parsers.model import SheetResult, Status
from store import references
from store.audit import audit
from store.audit import batched as audit_batch
from store.blobs import sha256, store_blobs
from store.cases import open_cases, refresh_cases
from store.enums import AttachmentStatus, CaseStatus, MessageState, ReferenceSource
from store.incidents import Recorded, Row, record_incidents
from store.models import Attachment, Case, Message, Resident, ThresholdCrossing
from store.names import compare, name_key
from store.persons import PersonLink, resolve_person
from store.residents import resolve_resident_created
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
    parsed_any = any(sheet.result.status is Status.PARSED for sheet in sheets)
    # Known before anything is read unless only the body's references can decide it.
    decided = bool(sheets) or not body_references
    with audit_batch(session):
        store_blobs(session, [message.raw, *(sheet.data for sheet in sheets)])
        if row is None:
            # The raw bytes first: whatever happens to the sheets, the email itself is kept.
            row = _message_row(
                session, message, _final_state(sheets, parsed_any) if decided else None
            )
        audit(session, actor, "message.record", "message", row.id, sheets=len(sheets))
        outcome = RecordOutcome(message_pk=row.id)
        recorder = _SheetRecorder(session, outcome, message, now, actor)
        known = recorder.known_attachments(sheets)
        for sheet in sheets:
            recorder.record(sheet, row.id, body_references, known)
        if not sheets and body_references:
            parsed_any = recorder.body_only(body_references)
        state, error = _final_state(sheets, parsed_any)
        if row.state is not state:
            row.state = state
        if error is not None and not row.last_error:
            row.last_error = error
        outcome.crossings = _evaluate(session, outcome.case_ids, now, thresholds)
    return outcome


def _evaluate(
    session: Session, case_ids: set[int], now: dt.datetime, thresholds: ThresholdSettings
) -> list[ThresholdCrossing]:
    # What is still unwritten here (case summaries, the message's state) is nothing the rules
    # read, since every incident is flushed: written with the crossings, a case changed by
    # both is one UPDATE instead of two.
    with session.no_autoflush:
        return evaluate(session, case_ids=case_ids, now=now, settings=thresholds)


def _final_state(sheets: Sequence[SheetInput], parsed_any: bool) -> tuple[MessageState, str | None]:
    """The state a message ends in, and the reason to show when it needs a person."""
    if parsed_any:
        return MessageState.RECORDED, None
    return MessageState.REVIEW, _review_reason(sheets)


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
        store_blobs(session, [message.raw])
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


def _message_row(
    session: Session, message: SourceMessage, final: tuple[MessageState, str | None] | None = None
) -> Message:
    """The message's row; its blob must be stored already. `final` is its state and error
    when they are known already, to write the row once."""
    state, error = final if final is not None else (MessageState.RECEIVED, None)
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
        sha256=sha256(message.raw),
        state=state,
        last_error=error,
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
    with audit_batch(session):
        store_blobs(session, [sheet.data])
        recorder = _SheetRecorder(session, outcome, source, now, actor)
        recorder.record(sheet, None, (), recorder.known_attachments([sheet]))
        outcome.crossings = _evaluate(session, outcome.case_ids, now, thresholds)
    return outcome


def _existing_message(session: Session, message: SourceMessage, digest: str) -> Message | None:
    """The message stored with these bytes, else the one at this mailbox UID: one query."""
    by_bytes = Message.sha256 == digest
    clause = by_bytes
    if message.uid is not None:
        clause = or_(
            by_bytes,
            and_(
                Message.mailbox == message.mailbox,
                Message.folder == message.folder,
                Message.uidvalidity == message.uidvalidity,
                Message.uid == message.uid,
            ),
        )
    rows = list(session.scalars(select(Message).where(clause).order_by(Message.id)))
    return next((row for row in rows if row.sha256 == digest), rows[0] if rows else None)


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
        # Digests recorded for this message: a file attached twice to one email is one sheet.
        self.recorded_here: set[str] = set()

    def known_attachments(self, sheets: Sequence[SheetInput]) -> dict[str, int | None]:
        """For each sheet's bytes recorded before: the message of its first attachment."""
        digests = sorted({sha256(sheet.data) for sheet in sheets})
        if not digests:
            return {}
        rows = self.session.execute(
            select(Attachment.sha256, Attachment.message_pk)
            .where(Attachment.sha256.in_(digests))
            .order_by(Attachment.id)
        )
        known: dict[str, int | None] = {}
        for digest, message_pk in rows:
            known.setdefault(digest, message_pk)
        return known

    def record(
        self,
        sheet: SheetInput,
        message_pk: int | None,
        body_refs: Sequence[ParsedReference],
        known: dict[str, int | None],
    ) -> None:
        """Record one sheet whose bytes are stored; `known` is from `known_attachments`."""
        digest = sha256(sheet.data)
        if digest in self.recorded_here:
            return
        self.recorded_here.add(digest)
        seen_before = digest in known
        if seen_before and (message_pk is None or known[digest] == message_pk):
            return  # the same bytes again: nothing changes
        known.setdefault(digest, message_pk)
        attachment = self._attachment(sheet, message_pk, digest)
        if seen_before or sheet.result.status is not Status.PARSED:
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
        resident, new_resident = resolve_resident_created(
            session, sender=self.message.sender, complainant=result.complainant, actor=self.actor
        )
        person_links = _PersonLinks(session, result, resident.id, self.actor)
        # Persons first, in row order (each row's lookup sees the persons linked before it),
        # then every case, incident, source and reference of the sheet in one flush each.
        links = [person_links.for_incident(parsed) for parsed in result.incidents]
        person_ids = [link.person_id if link else None for link in links]
        cases = open_cases(
            session,
            resident_id=resident.id,
            person_ids=person_ids,
            now=self.now,
            actor=self.actor,
            resident_is_new=new_resident,
        )
        rows = [
            Row(
                parsed=parsed,
                case_id=cases[person_id].id,
                person_id=person_id,
                person_confirmed=link.confirmed if link else False,
            )
            for parsed, link, person_id in zip(result.incidents, links, person_ids, strict=True)
        ]
        recorded = record_incidents(
            session,
            rows,
            resident_id=resident.id,
            attachment_id=attachment.id,
            reported_on=self.message.received_at.date(),
            resident_is_new=new_resident,
        )
        for parsed, done in zip(result.incidents, recorded, strict=True):
            ids = self.outcome.new_incident_ids if done.new else self.outcome.repeated_incident_ids
            ids.append(done.incident.id)
            audit(
                session,
                self.actor,
                "incident.record" if done.new else "incident.repeat",
                "incident",
                done.incident.id,
                attachment_id=attachment.id,
                source=parsed.source,
            )
        self._references(result, body_refs, recorded, list(cases.values()), new_resident)
        refresh_cases(session, list(cases.values()), needs_review=person_links.unconfirmed)
        self.outcome.case_ids.update(case.id for case in cases.values())

    def _references(
        self,
        result: SheetResult,
        body_refs: Sequence[ParsedReference],
        recorded: Sequence[Recorded],
        cases: Sequence[Case],
        new_resident: bool,
    ) -> None:
        """Each row's references linked to its incident, the header's and the email body's to
        every case of the sheet; each link once."""
        details = {ref.text: ref for ref in result.reference_details}
        row_refs = [
            (done.incident.id, _detail(details, text))
            for parsed, done in zip(result.incidents, recorded, strict=True)
            for text in parsed.police_references
        ]
        case_refs = [
            (ReferenceSource.SHEET_HEADER, _detail(details, t)) for t in result.police_references
        ]
        case_refs += [(ReferenceSource.EMAIL_BODY, ref) for ref in body_refs]
        if not row_refs and not case_refs:
            return
        stored = references.upsert_references(
            self.session,
            [(parsed, None) for _, parsed in row_refs]
            + [(parsed, result.officer) for _, parsed in case_refs],
        )
        # New incidents and cases have no links yet; only the others are looked up.
        links = references.LinkSet(
            self.session,
            sorted({row.id for row in stored.values()}),
            case_ids=[] if new_resident else sorted(case.id for case in cases),
            incident_ids=sorted({done.incident.id for done in recorded if not done.new}),
        )
        for incident_id, parsed in row_refs:
            links.link(stored[parsed.text], ReferenceSource.INCIDENT_ROW, incident_id=incident_id)
        for source, parsed in case_refs:
            for case in cases:
                links.link(stored[parsed.text], source, case_id=case.id)
        links.write()

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
        stored = references.upsert_references(self.session, [(ref, None) for ref in body_refs])
        links = references.LinkSet(
            self.session,
            sorted({row.id for row in stored.values()}),
            case_ids=sorted(case.id for case in cases),
        )
        for parsed in body_refs:
            for case in cases:
                links.link(stored[parsed.text], ReferenceSource.EMAIL_BODY, case_id=case.id)
        links.write()
        self.outcome.case_ids.update(case.id for case in cases)
        return True


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
        # Each person linked earlier on this sheet has a case for this resident by the time
        # this row is recorded, so is a candidate, as the resident's other cases' persons are.
        return resolve_person(
            self.session,
            names=names,
            address=address,
            resident_id=self.resident_id,
            actor=self.actor,
            also={link.person_id for link in self.cache.values() if link is not None},
        )

    def _is_subject(self, written: str, subject_name: str) -> bool:
        """Within one sheet, "Wayne" under a header naming "Wayne Tolley" is Wayne Tolley: the
        resident wrote both. Across sheets that evidence is weaker, and persons.py decides."""
        assert self.subject is not None
        if compare(written, subject_name, self.subject.address).strong:
            return True
        written_words = set(name_key(written).split())
        return bool(written_words) and written_words <= set(name_key(subject_name).split())
