"""A checklist's connections to QBO and Finale as the sources need them, and how readers are built from them.

Kept apart from the service so that a worker process (bot/checklist/workers.py) needs only this to read
the sources and store rotated tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from checks.sources.loader import FinaleReader, QboReader
from storage.repositories.connections import update_qbo_tokens


@dataclass(frozen=True)
class QboConnectionData:
    realm_id: str
    access_token: str | None
    refresh_token: str
    access_token_expires_at: datetime | None
    connected_at: datetime | None = None  # a reconnect starts re-checks over from a full read


@dataclass(frozen=True)
class FinaleConnectionData:
    account: str
    base_url: str
    api_key: str
    api_secret: str
    report_urls: dict[str, str]
    connected_at: datetime | None = None


class SourceFactory(Protocol):
    """Builds the QBO and Finale readers for a checklist's stored connections."""

    def qbo(
        self, data: QboConnectionData, on_tokens: Callable[[str | None, str, datetime | None], None]
    ) -> QboReader: ...

    def finale(self, data: FinaleConnectionData) -> AbstractAsyncContextManager[FinaleReader]: ...

    def qbo_authorization_url(self, state: str) -> str: ...

    def qbo_exchange_code(self, code: str, realm_id: str) -> QboConnectionData: ...

    async def finale_check_credentials(self, data: FinaleConnectionData) -> None: ...


def store_qbo_tokens(
    sessions: sessionmaker[Session], checklist_id: int, access: str | None, refresh: str, expires: datetime | None
) -> None:
    """Save tokens QBO just handed out, at once and in their own transaction: QBO rotates refresh tokens, and
    losing the new one loses the connection."""
    update_qbo_tokens(
        sessions, checklist_id, access_token=access, refresh_token=refresh, access_token_expires_at=expires
    )
