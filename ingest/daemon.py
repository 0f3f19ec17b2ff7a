"""`diarydesk run`: the worker as a long-running process, scheduled with APScheduler 3.

Jobs: poll (every `schedule.poll_every`, first at start), send due alerts (every minute, so a
retry waits no longer than its backoff), and the digest (on `digest.schedule`). Each job is
`max_instances=1` and `coalesce=True`: a slow poll is never overlapped by the next one, and a
machine that slept runs a missed job once, not once per missed slot. The database lease in
`Poller` keeps two processes from polling one mailbox at once.

After a failed poll the next one comes sooner than the schedule, then later and later:
`worker.backoff_initial` doubling to `worker.backoff_max`, with jitter so workers that failed
together do not reconnect together. SIGTERM or SIGINT finish the email in hand and stop.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import signal
import threading
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ingest.config import Settings, seconds
from ingest.worker import Worker

log = logging.getLogger("diarydesk.daemon")

SEND_EVERY_S = 60


def backoff_delay(failures: int, *, initial_s: float, max_s: float, rng: random.Random) -> float:
    """Seconds before the next try after `failures` failed polls in a row ("full jitter":
    uniformly between half and all of the capped exponential delay)."""
    capped = min(max_s, initial_s * 2 ** max(0, failures - 1))
    return rng.uniform(capped / 2, capped)


class Daemon:
    def __init__(self, worker: Worker, settings: Settings) -> None:
        self.worker = worker
        self.settings = settings
        self.stop = worker.stop
        self.failures = 0
        self.rng = random.Random()
        self.scheduler = BlockingScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=3)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300},
            timezone=dt.UTC,
        )
        self.scheduler.add_listener(self._job_error, EVENT_JOB_ERROR)
        self._stopping = threading.Lock()

    def run(self) -> int:
        now = dt.datetime.now(dt.UTC)
        every = seconds(self.settings.schedule.poll_every)
        self.scheduler.add_job(
            self._poll, IntervalTrigger(seconds=every), id="poll", next_run_time=now
        )
        self.scheduler.add_job(
            self.worker.send_due, IntervalTrigger(seconds=SEND_EVERY_S), id="send"
        )
        digest = self.settings.digest
        self.scheduler.add_job(
            self._digest,
            CronTrigger.from_crontab(digest.schedule, timezone=digest.timezone),
            id="digest",
        )
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)
        log.info("diarydesk worker started: polling %s every %ss", self.worker.source.name, every)
        self.scheduler.start()  # blocks until shutdown
        self.worker.release()
        log.info("diarydesk worker stopped")
        return 0

    def _poll(self) -> None:
        if self.stop.is_set():
            return
        result = self.worker.poll()
        if result.error is None:
            self.failures = 0
            self.worker.send_due()
            return
        self.failures += 1
        delay = backoff_delay(
            self.failures,
            initial_s=seconds(self.settings.worker.backoff_initial),
            max_s=seconds(self.settings.worker.backoff_max),
            rng=self.rng,
        )
        log.warning("poll failed %d time(s) in a row; next try in %.0fs", self.failures, delay)
        self.worker.send_due()  # the operational alert, if this failure crossed the limit
        retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        self.scheduler.modify_job("poll", next_run_time=retry_at)

    def _digest(self) -> None:
        self.worker.queue_digest()
        self.worker.send_due()

    def _job_error(self, event: JobExecutionEvent) -> None:
        # The job's exception can quote stored data; the log gets its type only.
        log.error("job %s failed: %s", event.job_id, type(event.exception).__name__)

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the email in hand, then stopping", signum)
        self.stop.set()
        # From the signal handler the scheduler's own thread must not be joined here;
        # shutdown(wait=True) on a helper thread waits for running jobs to return.
        threading.Thread(target=self._shutdown, daemon=True).start()

    def _shutdown(self) -> None:
        with self._stopping:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
