"""Content-addressed raw bytes: a resident's exact email and attachment, stored once each."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import Blob


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_blobs(session: Session, contents: Sequence[bytes]) -> None:
    """Keep each content's bytes once: one INSERT that skips the ones already kept, so the
    bytes are never read back to find out. Rows cite them by `sha256`."""
    rows = {sha256(data): data for data in contents}
    if not rows:
        return
    statement = (
        sqlite_insert(Blob)
        if session.get_bind().dialect.name == "sqlite"
        else postgresql_insert(Blob)
    )
    session.execute(
        statement.on_conflict_do_nothing(index_elements=[Blob.sha256]),
        [{"sha256": digest, "size": len(data), "data": data} for digest, data in rows.items()],
    )
