"""Builds the QBO and Finale readers for a checklist's stored connections (the SourceFactory)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from bot.checklist.connections import FinaleConnectionData, QboConnectionData
from bot.settings import Settings
from checks.sources.errors import ConfigurationError
from checks.sources.finale import FinaleSource
from checks.sources.loader import FinaleReader, QboReader
from checks.sources.qbo import QboConfig, QboSource, QboTokens

AVERAGE_COST_REPORT = "average_cost"
INVENTORY_VALUE_REPORT = "inventory_value"


class LiveSources:
    """Readers for real QBO and Finale, or for the sandbox when the settings point at it."""

    def __init__(self, settings: Settings, *, qbo_overrides: dict[str, object] | None = None) -> None:
        self.settings = settings
        self._qbo_overrides = dict(qbo_overrides or {})

    def qbo_config(self, realm_id: str | None = None) -> QboConfig:
        s = self.settings
        if not s.qbo_client_id or s.qbo_client_secret is None:
            raise ConfigurationError(
                "QBO_CLIENT_ID and QBO_CLIENT_SECRET are not set. Create an app at developer.intuit.com "
                "(Keys & credentials) and put both in the environment or .env."
            )
        redirect = s.qbo_redirect_uri or s.public_url.rstrip("/") + "/qbo/callback"
        return QboConfig(
            client_id=s.qbo_client_id,
            client_secret=s.qbo_client_secret.get_secret_value(),
            redirect_uri=redirect,
            realm_id=realm_id,
            environment=s.qbo_environment,
            api_base=s.qbo_api_base,
            **self._qbo_overrides,  # type: ignore[arg-type]
        )

    def qbo(self, data: QboConnectionData, on_tokens: Callable[[str | None, str, datetime | None], None]) -> QboReader:
        tokens = QboTokens(data.access_token, data.refresh_token, data.access_token_expires_at)

        def persist(new: QboTokens) -> None:
            on_tokens(new.access_token, new.refresh_token, new.access_expires_at)

        return QboSource(self.qbo_config(data.realm_id), tokens, persist)

    def finale(self, data: FinaleConnectionData) -> AbstractAsyncContextManager[FinaleReader]:
        return self._finale(data)

    @asynccontextmanager
    async def _finale(self, data: FinaleConnectionData) -> AsyncIterator[FinaleReader]:
        source = FinaleSource(
            data.base_url,
            data.account,
            data.api_key,
            data.api_secret,
            average_cost_report_url=data.report_urls.get(AVERAGE_COST_REPORT),
            inventory_value_report_url=data.report_urls.get(INVENTORY_VALUE_REPORT),
        )
        async with source:
            yield source

    def qbo_authorization_url(self, state: str) -> str:
        return QboSource(self.qbo_config(), None).authorization_url(state)

    def qbo_exchange_code(self, code: str, realm_id: str) -> QboConnectionData:
        tokens = QboSource(self.qbo_config(realm_id), None).exchange_code(code, realm_id)
        return QboConnectionData(realm_id, tokens.access_token, tokens.refresh_token, tokens.access_expires_at)

    async def finale_check_credentials(self, data: FinaleConnectionData) -> None:
        async with self._finale(data) as source:
            assert isinstance(source, FinaleSource)
            await source.check_credentials()
