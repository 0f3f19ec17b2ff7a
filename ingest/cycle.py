"""One poll of the mailbox: fetch what is new, record it, and only then move it on the server.

The order is what makes a crash harmless. For each email, the raw bytes, its sheets' incidents,
the police references, threshold crossings and queued alerts are one database transaction; the
server move comes after the commit, and is itself recorded (`messages.moved_at`) after it
happened. Killed at any point, the next poll finds one of: nothing stored (fetch again), stored
but not moved (move it), moved but not marked (moving again is a no-op). Recording is idempotent
on the email's bytes, so at-least-once fetching gives exactly-once records.

A message whose recording raises is kept (raw bytes, error, try count) in a transaction of its
own and retried on later polls; after `worker.max_attempts` tries it is quarantined: moved to
the review folder and listed by `diarydesk review` with its error.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.config import Settings, seconds
from ingest.mime import MailContent, read_message
from ingest.sheets import read_sheet
from ingest.sources.base import FetchedMessage, MailSource, MessageRef
from parsers.model import PoliceReference, SheetResult
from parsers.police import find_references
from store import locks, worker_state
from store.blobs import sha256
from store.enums import MessageState
from store.models import Message
from store.recording import RecordOutcome, SheetInput, SourceMessage, record_failure, record_message
from store.thresholds import ThresholdSettings
from store.worker_state import Cursor, PollCounts

log = logging.getLogger("diarydesk.worker")

Clock = Callable[[], dt.datetime]
# Called inside the transaction that recorded an email, e.g. to queue its alerts.
AfterRecord = Callable[[Session, RecordOutcome, SourceMessage], None]

# Counts of one poll, by the field names of PollCounts.
Tally = Counter[str]

_SETTLED = (MessageState.RECORDED, MessageState.REVIEW, MessageState.QUARANTINED)
_CLOCK_SKEW = dt.timedelta(minutes=15)
_POLICE_WORDS = re.compile(
    r"\b(police|crime|cad|incident|officer|constable|pc|dc|ps|log|occurrence|collar)\b",
    re.IGNORECASE,
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Poller:
    """Runs poll cycles of one mailbox against one database."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        source: MailSource,
        *,
        holder: str,
        after_record: Sequence[AfterRecord] = (),
        clock: Clock = utc_now,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.source = source
        self.holder = holder
        self.after_record = tuple(after_record)
        self.clock = clock
        self.stop = stop or threading.Event()
        self.thresholds = ThresholdSettings(**settings.thresholds.model_dump())
        self.lock_name = f"mailbox:{source.name}:{source.folder}"
        self.lock_ttl = dt.timedelta(seconds=seconds(settings.worker.lock_ttl))
        self._moves: list[tuple[int | None, MessageRef, str]] = []

    def poll(self) -> PollCounts | None:
        """One cycle; None when another worker holds this mailbox. Raises on mailbox or
        database trouble (the caller records the failure and backs off)."""
        if not self._heartbeat():
            log.info("another worker holds %s; skipping this poll", self.lock_name)
            return None
        self._moves = []  # a poll that failed mid-batch left its moves to _finish_moves
        tally: Tally = Counter()
        with self.source as source:
            uidvalidity = source.uidvalidity()
            cursor = self._cursor(uidvalidity)
            self._finish_moves(source, uidvalidity)
            refs = self._work_list(source, cursor, uidvalidity)
            handled = self._handle_all(source, refs, cursor, tally)
        counts = PollCounts(backlog=len(refs) - handled, **tally)
        log.info(
            "poll done: seen=%d recorded=%d review=%d quarantined=%d unrelated=%d repeat=%d "
            "backlog=%d",
            counts.seen,
            counts.recorded,
            counts.review,
            counts.quarantined,
            counts.left_unrelated,
            counts.already_recorded,
            counts.backlog,
        )
        return counts

    # --- the steps of a cycle -------------------------------------------------------------

    def _cursor(self, uidvalidity: int | None) -> Cursor:
        with self._transaction() as session:
            cursor = worker_state.read_cursor(session, self.source.name, self.source.folder)
        if cursor.uidvalidity != uidvalidity:
            if cursor.after_uid:
                # RFC 3501: a new UIDVALIDITY means every UID we knew is void. Read the folder
                # again from the start; recording is idempotent on bytes, so nothing doubles.
                log.warning("UIDVALIDITY of %s changed: reading it again", self.source.folder)
            cursor = Cursor(uidvalidity=uidvalidity, after_uid=0)
        return cursor

    def _finish_moves(self, source: MailSource, uidvalidity: int | None) -> None:
        """Move what an earlier cycle recorded but did not get to move (it crashed)."""
        with self._transaction() as session:
            rows = session.execute(
                select(Message.id, Message.source_key, Message.uid, Message.state).where(
                    Message.mailbox == source.name,
                    Message.folder == source.folder,
                    Message.moved_at.is_(None),
                    Message.source_key.is_not(None),
                    Message.state.in_(_SETTLED),
                    Message.uidvalidity.is_(None)
                    if uidvalidity is None
                    else Message.uidvalidity == uidvalidity,
                )
            ).all()
        for pk, key, uid, state in rows:
            assert key is not None
            self._move(pk, MessageRef(key=key, uid=uid), self._target(state))
        self._flush_moves(source)

    def _work_list(
        self, source: MailSource, cursor: Cursor, uidvalidity: int | None
    ) -> list[MessageRef]:
        refs = set(source.pending(after_uid=cursor.after_uid))
        if uidvalidity is not None:
            # Failed tries sit below the cursor; ask for them by UID.
            with self._transaction() as session:
                retry = session.execute(
                    select(Message.source_key, Message.uid).where(
                        Message.mailbox == source.name,
                        Message.folder == source.folder,
                        Message.uidvalidity == uidvalidity,
                        Message.state == MessageState.RECEIVED,
                        Message.source_key.is_not(None),
                    )
                ).all()
            refs.update(MessageRef(key=key, uid=uid) for key, uid in retry if key is not None)
        return sorted(refs, key=lambda ref: (ref.uid or 0, ref.key))

    def _handle_all(
        self, source: MailSource, refs: list[MessageRef], cursor: Cursor, tally: Tally
    ) -> int:
        handled = 0
        batch_size = self.settings.mailbox.batch_size
        for start in range(0, len(refs), batch_size):
            batch = refs[start : start + batch_size]
            for fetched in source.fetch(batch):
                if self.stop.is_set():
                    break
                self._handle(fetched, tally)
                if fetched.ref.uid is not None:
                    cursor = Cursor(cursor.uidvalidity, max(cursor.after_uid, fetched.ref.uid))
            handled = min(len(refs), start + len(batch))
            self._flush_moves(source)
            self._save_cursor(cursor)
            if self.stop.is_set():
                log.info("stopping: the rest waits for the next poll")
                break
            if not self._heartbeat():
                log.warning("lost the lease on %s to another worker; stopping", self.lock_name)
                break
        return handled

    def _handle(self, fetched: FetchedMessage, tally: Tally) -> None:
        tally["seen"] += 1
        ref = fetched.ref
        log.debug("fetched %s", ref.key, extra={"event": "fetched", "ref": ref.key})
        content = read_message(fetched.raw)
        now = self.clock()
        received = _received(content.date, fetched.internal_date, now)
        body_refs = find_references(content.text) if content.text else []
        if not content.sheets and body_refs and not _POLICE_WORDS.search(content.text):
            # Without a sheet, a bare number ("account number 43260012345") is no reason to
            # take an enquiry out of the inbox: the email must also talk about the police.
            body_refs = []
        if not content.sheets and not body_refs:
            self._unrelated(ref, tally)
            return
        known = self._known_state(fetched.raw)
        if known is not None:
            # Recorded already (a crash before the move, or the same email twice): move only.
            tally["already_recorded"] += 1
            pk, state = known
            self._move(pk, ref, self._target(state))
            return
        message = self._source_message(fetched, content, received)
        sheets = [
            SheetInput(part.filename, part.data, self._read(part.data, received))
            for part in content.sheets
        ]
        try:
            pk, state = self._record(message, sheets, body_refs, now)
        except Exception as err:  # any failure: keep the email, count the try, go on
            pk, state = self._failed(message, err)
            if state is not MessageState.QUARANTINED:
                return  # still in the folder: the next poll tries it again
        log.debug("stored %s", ref.key, extra={"event": "stored", "ref": ref.key})
        if state is MessageState.RECORDED:
            tally["recorded"] += 1
        elif state is MessageState.QUARANTINED:
            tally["quarantined"] += 1
        else:
            tally["review"] += 1
        self._move(pk, ref, self._target(state))

    # --- pieces ---------------------------------------------------------------------------

    def _read(self, data: bytes, received: dt.datetime) -> SheetResult:
        return read_sheet(data, received=received, settings=self.settings.parser)

    def _known_state(self, raw: bytes) -> tuple[int, MessageState] | None:
        with self._transaction() as session:
            row = session.execute(
                select(Message.id, Message.state).where(Message.sha256 == sha256(raw))
            ).first()
        if row is None or row.state is MessageState.RECEIVED:
            return None
        return row.id, row.state

    def _source_message(
        self, fetched: FetchedMessage, content: MailContent, received: dt.datetime
    ) -> SourceMessage:
        return SourceMessage(
            raw=fetched.raw,
            received_at=received,
            mailbox=self.source.name,
            folder=self.source.folder,
            uidvalidity=self.source.uidvalidity(),
            uid=fetched.ref.uid,
            message_id=content.message_id,
            sender=content.sender,
            subject=content.subject,
            source_key=fetched.ref.key,
        )

    def _record(
        self,
        message: SourceMessage,
        sheets: list[SheetInput],
        body_refs: Sequence[PoliceReference],
        now: dt.datetime,
    ) -> tuple[int, MessageState]:
        with self._transaction() as session:
            outcome = record_message(
                session,
                message,
                sheets,
                body_references=body_refs,
                now=now,
                thresholds=self.thresholds,
            )
            if not outcome.already_recorded:
                for hook in self.after_record:
                    hook(session, outcome, message)
            assert outcome.message_pk is not None
            row = session.get(Message, outcome.message_pk)
            assert row is not None
            return row.id, row.state

    def _failed(self, message: SourceMessage, err: Exception) -> tuple[int, MessageState]:
        # The error's text can quote what a resident wrote: the log gets its type only, the
        # database (which holds that data anyway) the message, for the review queue.
        log.warning(
            "recording %s failed (%s); kept for retry",
            message.source_key,
            type(err).__name__,
        )
        log.debug("recording %s failed", message.source_key, exc_info=err)
        with self._transaction() as session:
            row = record_failure(
                session,
                message,
                error=f"{type(err).__name__}: {err}",
                max_attempts=self.settings.worker.max_attempts,
            )
            return row.id, row.state

    def _unrelated(self, ref: MessageRef, tally: Tally) -> None:
        tally["left_unrelated"] += 1
        if not self.settings.mailbox.leave_unrelated:
            self._move(None, ref, self.settings.mailbox.ignored_folder)

    def _target(self, state: MessageState) -> str:
        mailbox = self.settings.mailbox
        return mailbox.processed_folder if state is MessageState.RECORDED else mailbox.review_folder

    def _move(self, pk: int | None, ref: MessageRef, folder: str) -> None:
        """Queue a recorded message's move; the batch's moves go together (`_flush_moves`)."""
        self._moves.append((pk, ref, folder))

    def _flush_moves(self, source: MailSource) -> None:
        """One MOVE per destination folder for the batch, then one transaction recording them.

        Moving per batch rather than per message costs the server one command instead of
        fifty (Dovecot rescans a maildir after each expunge). It changes nothing for a crash:
        every message queued here is already committed, and one that is not moved yet is moved
        by the next cycle's `_finish_moves`.
        """
        moves, self._moves = self._moves, []
        by_folder: dict[str, list[MessageRef]] = {}
        for _pk, ref, folder in moves:
            by_folder.setdefault(folder, []).append(ref)
        for folder, refs in by_folder.items():
            for ref in refs:
                log.debug("moving %s", ref.key, extra={"event": "moving", "ref": ref.key})
            source.move(refs, folder)
            for ref in refs:
                log.debug("moved %s", ref.key, extra={"event": "moved", "ref": ref.key})
        recorded = {pk: (ref, folder) for pk, ref, folder in moves if pk is not None}
        if not recorded:
            return
        with self._transaction() as session:
            now = self.clock()
            for row in session.scalars(select(Message).where(Message.id.in_(recorded))):
                ref, folder = recorded[row.id]
                if row.source_key == ref.key and row.moved_at is None:
                    row.moved_to, row.moved_at = folder, now

    def _save_cursor(self, cursor: Cursor) -> None:
        if cursor.uidvalidity is None and not cursor.after_uid:
            return
        with self._transaction() as session:
            worker_state.write_cursor(session, self.source.name, self.source.folder, cursor)

    def _heartbeat(self) -> bool:
        with self.sessions() as session:
            now = self.clock()
            if locks.acquire(session, self.lock_name, self.holder, now=now, ttl=self.lock_ttl):
                return True
            stale = locks.holder_of(session, self.lock_name)
            if stale is not None and _dead_local_process(stale):
                log.info(
                    "taking over %s from %s, which is no longer running", self.lock_name, stale
                )
                return locks.take_over(session, self.lock_name, stale, self.holder, now=now)
            return False

    def release(self) -> None:
        with self.sessions() as session:
            locks.release(session, self.lock_name, self.holder)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session


def _dead_local_process(holder: str) -> bool:
    """True when `holder` ("host:pid", see ingest.worker.default_holder) names a process on
    this host that has exited. Any doubt (another host, a pid we may not signal) is False."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _received(
    date: dt.datetime | None, arrived: dt.datetime | None, now: dt.datetime
) -> dt.datetime:
    """The email's Date header (when the resident sent it), unless it claims a time after the
    server received it: a wrong or forged clock must not let "tomorrow" count as the past."""
    latest = (arrived or now) + _CLOCK_SKEW
    if date is None or date > latest:
        return arrived or now
    return date
