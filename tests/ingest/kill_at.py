"""Run `diarydesk ARGS...` and SIGKILL the process at the Nth worker event of a kind.

The worker logs "fetched", "stored", "moving" and "moved" events (DEBUG) at each step of a
message's cycle; killing on one of them is a crash at exactly that step, with no test hook in
the worker itself. Usage: python kill_at.py EVENT N -- diarydesk arguments...
"""

from __future__ import annotations

import logging
import os
import signal
import sys


class _Killer(logging.Handler):
    def __init__(self, event: str, nth: int) -> None:
        super().__init__(level=logging.DEBUG)
        self.event, self.nth, self.count = event, nth, 0

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "event", None) == self.event:
            self.count += 1
            if self.count == self.nth:
                os.kill(os.getpid(), signal.SIGKILL)


def main() -> int:
    event, nth, separator, *rest = sys.argv[1:]
    assert separator == "--"
    worker_log = logging.getLogger("diarydesk.worker")
    worker_log.setLevel(logging.DEBUG)
    worker_log.addHandler(_Killer(event, int(nth)))
    from ingest.cli import main as diarydesk

    return diarydesk(rest)


if __name__ == "__main__":
    sys.exit(main())
