"""Content-addressed raw bytes: a resident's exact email and attachment, stored once each."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from store.models import Blob


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_blob(session: Session, data: bytes) -> str:
    """Keep `data` (if not already kept) and return its SHA-256, the key rows refer to."""
    digest = sha256(data)
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), data=data))
        # No relationship() orders the INSERTs, so the blob goes in before anything citing it.
        session.flush()
    return digest
