"""The worker's jobs, each one call: poll the mailbox, send what is due, send the digest.

`diarydesk poll` runs `poll_and_send` once; `diarydesk run` schedules the same calls. Every
job opens its own sessions and records what happened in the store, so `diarydesk status` and
the digest can tell a healthy worker from one that has been failing since the small hours.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ingest.config import Settings
from ingest.cycle import Clock, Poller, utc_now
from ingest.sources.base import MailSource, MailSourceError
from ingest.sources.maildir import MaildirSource
from notify.acknowledge import queue_acknowledgement
from notify.alerts import queue_alerts, queue_worker_failing
from notify.digest import queue_digest
from notify.outbox import SendReport, send_due
from notify.transport import transport_for
from store import worker_state
from store.recording import RecordOutcome, SourceMessage
from store.worker_state import PollCounts

log = logging.getLogger("diarydesk.worker")


def source_for(settings: Settings) -> MailSource:
    mailbox = settings.mailbox
    if mailbox.kind == "maildir":
        return MaildirSource(Path(mailbox.path), folder=mailbox.folder)
    # Imported here: a Maildir deployment never needs the IMAP client loaded.
    from ingest.sources.imap import ImapSource

    return ImapSource(mailbox)


def default_holder() -> str:
    """Who holds the mailbox lease: host and process, so `status` can say which worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class PollResult:
    counts: PollCounts | None
    error: str | None
    sent: SendReport | None


class Worker:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        source: MailSource | None = None,
        holder: str | None = None,
        clock: Clock = utc_now,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.stop = stop or threading.Event()
        self.source = source or source_for(settings)
        self.poller = Poller(
            settings,
            sessions,
            self.source,
            holder=holder or default_holder(),
            after_record=[self._queue_notifications],
            clock=clock,
            stop=self.stop,
        )
        self._send_lock = threading.Lock()

    def poll(self) -> PollResult:
        """One poll; failures are recorded, logged without personal data, and returned."""
        try:
            counts = self.poller.poll()
        except (MailSourceError, OSError) as err:
            return self._failure(str(err))
        except Exception as err:
            log.debug("poll failed", exc_info=err)
            return self._failure(f"{type(err).__name__}: {err}")
        if counts is not None:
            with self.sessions() as session, session.begin():
                worker_state.record_success(
                    session, self.source.name, now=self.clock(), counts=counts
                )
        return PollResult(counts=counts, error=None, sent=None)

    def poll_and_send(self) -> PollResult:
        result = self.poll()
        return PollResult(result.counts, result.error, self.send_due())

    def send_due(self) -> SendReport:
        # One sender at a time per process: the poll job and the retry job may overlap.
        with self._send_lock, self.sessions() as session:
            return send_due(
                session, transport_for(self.settings.mail_out), self.settings, now=self.clock()
            )

    def queue_digest(self) -> None:
        with self.sessions() as session, session.begin():
            queue_digest(session, self.settings, now=self.clock())

    def release(self) -> None:
        self.poller.release()

    def _failure(self, error: str) -> PollResult:
        log.error("poll of %s failed: %s", self.source.name, error)
        with self.sessions() as session, session.begin():
            now = self.clock()
            state = worker_state.record_failure(session, self.source.name, now=now, error=error)
            limit = self.settings.worker.failed_polls_before_alert
            if state.failing(limit) and state.admin_alerted_at is None:
                queue_worker_failing(session, state, self.settings, now=now)
                worker_state.mark_admin_alerted(session, self.source.name, now=now)
        return PollResult(counts=None, error=error, sent=None)

    def _queue_notifications(
        self, session: Session, outcome: RecordOutcome, message: SourceMessage
    ) -> None:
        now = self.clock()
        queue_alerts(session, outcome, self.settings, now=now)
        if outcome.message_pk is not None:
            queue_acknowledgement(
                session,
                message_pk=outcome.message_pk,
                sender=message.sender,
                outcome=outcome,
                settings=self.settings,
                now=now,
            )
