"""How Preflight reaches a QuickBooks Online company: the app's settings, and the OAuth tokens it holds."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from intuitlib.client import AuthClient

from checks.sources.errors import ConfigurationError

PRODUCTION_API = "https://quickbooks.api.intuit.com/v3"
SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3"
MINOR_VERSION = 75


@dataclass(frozen=True)
class QboConfig:
    """How to reach QBO. `environment`: "sandbox", "production" or an OpenID discovery URL."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    realm_id: str | None = None
    environment: str = "sandbox"
    # v3 base URL, e.g. http://127.0.0.1:9001/v3; by default from the environment (discovery origin + /v3).
    api_base: str | None = None
    minor_version: int = MINOR_VERSION
    timeout: float = 60.0  # seconds per HTTP request; QBO itself gives up after 120
    max_workers: int = 4  # concurrent pages per call
    max_retries: int = 4  # for 429 and 5xx
    backoff_base: float = 1.0  # seconds; doubled per retry, with jitter
    backoff_max: float = 60.0
    requests_per_second: int = 10  # QBO: 10/s and 500/min per realm
    requests_per_minute: int = 500

    def resolved_api_base(self) -> str:
        if self.api_base:
            return self.api_base.rstrip("/")
        env = self.environment.lower()
        if env in ("sandbox", "sand"):
            return SANDBOX_API
        if env in ("production", "prod"):
            return PRODUCTION_API
        parts = urlsplit(self.environment)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                "QBO_ENVIRONMENT must be sandbox, production or the URL of an OpenID discovery document."
            )
        return f"{parts.scheme}://{parts.netloc}/v3"


@dataclass(frozen=True, repr=False)
class QboTokens:
    access_token: str | None
    refresh_token: str
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None

    def __repr__(self) -> str:
        access = "set" if self.access_token else "none"
        expires = self.access_expires_at
        return f"QboTokens(access_token=<{access}>, refresh_token=<set>, access_expires_at={expires!r})"

    @classmethod
    def from_auth_client(cls, client: AuthClient) -> QboTokens:
        now = datetime.now(UTC)
        expires_in = getattr(client, "expires_in", None)
        refresh_in = getattr(client, "x_refresh_token_expires_in", None)
        return cls(
            access_token=client.access_token,
            refresh_token=client.refresh_token,
            access_expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
            refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
        )


def is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
