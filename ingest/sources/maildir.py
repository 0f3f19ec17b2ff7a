"""A local Maildir as the mailbox: the embedded default, and what a server's MDA can deliver to.

Written on the file system directly rather than with the stdlib `mailbox.Maildir` because that
has no atomic move: it copies then deletes, so a crash between the two leaves the email in both
folders. A rename within one file system is atomic, and moving twice is moving once.

Folders are Maildir++: "Diarydesk/Processed" is the subfolder `.Diarydesk.Processed`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from ingest.sources.base import FetchedMessage, MailSourceError, MessageRef

_SUBDIRS = ("cur", "new", "tmp")


class MaildirSource:
    def __init__(self, path: Path | str, *, folder: str = "INBOX") -> None:
        self.root = Path(path).resolve()
        self.folder = folder
        self.name = f"maildir:{self.root}"

    def __enter__(self) -> MaildirSource:
        if not self.root.is_dir():
            raise MailSourceError(
                f"The Maildir {self.root} does not exist: create it or set mailbox.path.",
                transient=False,
            )
        self._ensure(self._folder_path(self.folder))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def uidvalidity(self) -> int | None:
        return None

    def pending(self, *, after_uid: int = 0) -> list[MessageRef]:
        files = self._files(self._folder_path(self.folder))
        return [MessageRef(key=key) for key in sorted(files, key=lambda k: _delivered(k, files[k]))]

    def fetch(self, refs: Sequence[MessageRef]) -> Iterator[FetchedMessage]:
        files = self._files(self._folder_path(self.folder))
        for ref in refs:
            path = files.get(ref.key)
            if path is None:
                continue
            try:
                raw = path.read_bytes()
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                continue  # moved by someone else meanwhile
            yield FetchedMessage(ref, raw, dt.datetime.fromtimestamp(mtime, dt.UTC))

    def move(self, refs: Sequence[MessageRef], folder: str) -> None:
        target = self._folder_path(folder)
        self._ensure(target)
        files = self._files(self._folder_path(self.folder))
        for ref in refs:
            path = files.get(ref.key)
            if path is None:
                continue
            # Keep the name (its flags) and the "new"/"cur" distinction: moving is not reading.
            os.replace(path, target / path.parent.name / path.name)

    def _folder_path(self, folder: str) -> Path:
        if folder.upper() == "INBOX":
            return self.root
        parts = [part for part in folder.replace(".", "/").split("/") if part]
        if not parts or any(part in ("..", ".") or os.sep in part for part in parts):
            raise MailSourceError(f"{folder!r} is not a usable folder name.", transient=False)
        return self.root / ("." + ".".join(parts))

    @staticmethod
    def _ensure(folder: Path) -> None:
        for sub in _SUBDIRS:
            (folder / sub).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _files(folder: Path) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for sub in ("new", "cur"):
            directory = folder / sub
            if not directory.is_dir():
                continue
            for entry in os.scandir(directory):
                if entry.is_file() and not entry.name.startswith("."):
                    found[entry.name.split(":", 1)[0]] = Path(entry.path)
        return found


def _delivered(key: str, path: Path) -> tuple[float, str]:
    """Oldest first. A Maildir name starts with its delivery time in seconds (the spec's
    convention, which survives copying and git checkouts); the file's mtime is the fallback."""
    head = key.split(".", 1)[0]
    return (float(head) if head.isdigit() else path.stat().st_mtime, key)
