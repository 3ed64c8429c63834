"""Requests a surface acknowledged: each changes state once, and none is lost when a replica dies.

A surface admits a request under an idempotency key before acknowledging it (a retry, a replay or a double
submission finds the key and changes nothing), together with what it needs to run the request again. The
replica that admitted it holds a lease while it works and marks it done at the end; the transaction that
records the request's state change marks it `applied` too (`current_request`), so a request run again after
a crash tells the person what happened without recording it twice. A lapsed lease (the replica was killed)
is taken over by any replica's `RequestLog.lapsed` sweep.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from storage.models import utcnow
from storage.repositories import requests as repo

# The key of the request whose turn is running in this context (None outside one).
current_request: contextvars.ContextVar[str | None] = contextvars.ContextVar("preflight_request", default=None)

DONE_KEPT = timedelta(days=1)  # Slack retries for about 5 minutes and refuses signatures older than 5


def mark_applied(session: Session) -> None:
    """Inside the transaction that records a state change: the running request's change is now committed."""
    key = current_request.get()
    if key is not None:
        repo.mark_applied(session, key)


@dataclass(frozen=True)
class Unfinished:
    key: str
    intent: str
    payload: str
    placeholder: str | None
    applied: bool
    attempts: int


class RequestLog:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        owner: str,
        lease: timedelta = timedelta(seconds=60),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.owner = owner
        self.lease = lease
        self.clock = clock

    def seen(self, key: str, platform: str) -> bool:
        """Record a request with nothing to run again (an event); True when it was recorded before."""
        with self.sessions.begin() as s:
            return not repo.admit(s, key, platform=platform, received_at=self.clock())

    def admit(self, key: str, platform: str, intent: str, payload: str) -> bool:
        """Record a request to run, leased to this replica; False when the key was seen before."""
        now = self.clock()
        with self.sessions.begin() as s:
            return repo.admit(
                s,
                key,
                platform=platform,
                intent=intent,
                payload=payload,
                owner=self.owner,
                lease_until=now + self.lease,
                received_at=now,
            )

    def placeholder(self, key: str, ref: str) -> None:
        with self.sessions.begin() as s:
            repo.set_placeholder(s, key, ref)

    def renew(self, key: str) -> bool:
        with self.sessions.begin() as s:
            return repo.renew(s, key, self.owner, self.clock() + self.lease)

    def finish(self, key: str) -> None:
        with self.sessions.begin() as s:
            repo.finish(s, key)

    def hand_back(self, key: str) -> None:
        """Stopping before the request finished: another replica may take it at once."""
        with self.sessions.begin() as s:
            repo.hand_back(s, key, self.owner, self.clock() - timedelta(seconds=1))

    def lapsed(self, platform: str, limit: int = 20) -> list[Unfinished]:
        """Unfinished requests whose replica stopped renewing: taken over by this one, oldest first."""
        now = self.clock()
        taken: list[Unfinished] = []
        with self.sessions() as s:
            keys = repo.lapsed(s, platform, now, limit)
        for key in keys:
            with self.sessions.begin() as s:
                row = repo.take_over(s, key, self.owner, now, now + self.lease)
                if row is None:
                    continue
                if not row.payload:
                    repo.finish(s, key)
                    continue
                taken.append(Unfinished(key, row.intent, row.payload, row.placeholder, row.applied, row.attempts))
        return taken

    def purge(self) -> int:
        with self.sessions.begin() as s:
            return repo.purge(s, self.clock() - DONE_KEPT)
