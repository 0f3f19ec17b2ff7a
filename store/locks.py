"""A lease in the `locks` table: with several workers on one database, one polls a mailbox.

A lease rather than a session-scoped advisory lock because it works the same on SQLite and
PostgreSQL, survives connection pooling, and a worker that died (SIGKILL, power cut) loses it
when its heartbeat stops, so another worker takes over without an administrator.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Lock


def acquire(
    session: Session, name: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta
) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's is live.

    Commits: the lease must be visible to other workers at once, not when our work is done.
    """
    try:
        with session.begin_nested():
            session.add(Lock(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
    except IntegrityError:
        # One conditional UPDATE is atomic on both backends: of two workers racing for a
        # lapsed lease, exactly one sees a row updated.
        taken = session.execute(
            update(Lock)
            .where(
                Lock.name == name,
                or_(Lock.holder == holder, Lock.heartbeat_at < now - ttl),
            )
            .values(holder=holder, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(getattr(taken, "rowcount", 0))
    session.commit()
    return True


def release(session: Session, name: str, holder: str) -> None:
    session.query(Lock).filter(Lock.name == name, Lock.holder == holder).delete(
        synchronize_session=False
    )
    session.commit()


def holder_of(session: Session, name: str) -> str | None:
    lock = session.get(Lock, name)
    return lock.holder if lock is not None else None


def take_over(session: Session, name: str, stale: str, holder: str, *, now: dt.datetime) -> bool:
    """Take the lease from `stale`, known dead (a process on this host that no longer exists):
    a restart after a crash need not wait out the TTL. False if someone else got there first."""
    taken = session.execute(
        update(Lock)
        .where(Lock.name == name, Lock.holder == stale)
        .values(holder=holder, acquired_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(taken, "rowcount", 0))
