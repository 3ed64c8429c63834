"""QBO's per-company limit (10 requests a second) kept across replicas on PostgreSQL.

checks/ paces each process on its own; with several `preflight serve` replicas (and their check worker
processes) on one PostgreSQL, each request also takes a token from the company's bucket row in the database.
On SQLite Preflight is one process: nothing is shared and the process's own pace is the whole story.
"""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from checks.sources.qbo.pacing import share_pace
from storage.repositories.qbo_pace import take_token


class DatabasePace:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def turn(self, realm_id: str, per_second: float) -> float:
        with self.sessions.begin() as s:
            return take_token(s, realm_id, per_second, time.time())


def share_qbo_pace(sessions: sessionmaker[Session]) -> None:
    """Share QBO's pace through the database when it is PostgreSQL (several replicas); else pace alone."""
    bind = sessions.kw.get("bind")
    dialect = getattr(getattr(bind, "dialect", None), "name", "")
    share_pace(DatabasePace(sessions) if dialect == "postgresql" else None)
