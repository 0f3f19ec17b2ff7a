"""The interface the poll cycle drives: list what is waiting, fetch it unread, move it on.

A source is a context manager: entering connects (or opens the folder), leaving disconnects,
so every poll is one bounded connect -> pass -> logout and no connection lives for days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol


class MailSourceError(Exception):
    """The mailbox could not be reached or refused an operation; the message says which and why.

    `transient` is True for network trouble worth retrying with backoff, False for mistakes
    an administrator must fix (wrong password, missing folder that cannot be created).
    """

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, order=True)
class MessageRef:
    """One message in the watched folder.

    `uid` is the IMAP UID (None for a Maildir); `key` is the source's own handle for it
    (str(uid) for IMAP, the file's Maildir key for a Maildir).
    """

    key: str
    uid: int | None = None


@dataclass(frozen=True)
class FetchedMessage:
    ref: MessageRef
    raw: bytes
    # The server's arrival time (IMAP INTERNALDATE, the Maildir file's mtime), UTC.
    internal_date: dt.datetime | None = None


class MailSource(Protocol):
    # Identity of the account in the store, e.g. "imap://enquiries@mail.example.org" or
    # "maildir:/srv/mail"; never contains a password.
    name: str
    folder: str

    def __enter__(self) -> MailSource: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def uidvalidity(self) -> int | None:
        """The watched folder's UIDVALIDITY (None where UIDs do not exist)."""
        ...

    def pending(self, *, after_uid: int = 0) -> list[MessageRef]:
        """Messages in the watched folder, oldest first; IMAP: only UIDs above `after_uid`."""
        ...

    def fetch(self, refs: Sequence[MessageRef]) -> Iterator[FetchedMessage]:
        """The exact bytes of each message, without marking it read; fetched in bounded
        batches. A message that vanished meanwhile (another client moved it) is skipped."""
        ...

    def move(self, refs: Sequence[MessageRef], folder: str) -> None:
        """Move messages out of the watched folder into `folder` (created when missing).
        Refs already gone are not an error: moving twice is moving once."""
        ...
