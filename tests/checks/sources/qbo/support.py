"""Building a QboSource against the QBO simulator, with tiny backoffs."""

from __future__ import annotations

from typing import Any

from checks.sources.qbo import QboConfig, QboSource, QboTokens
from tests.sandbox.qbo.companies import Sandbox

REDIRECT = "http://127.0.0.1:3000/qbo/callback"


def make_source(sb: Sandbox, saved: list[QboTokens] | None = None, **options: Any) -> QboSource:
    issued = sb.state.issue_tokens(sb.realm_id)
    # Tiny backoffs keep the retry tests quick.
    options = {"backoff_base": 0.001, "backoff_max": 0.01, **options}
    config = QboConfig(
        client_id=sb.state.client_id,
        client_secret=sb.state.client_secret,
        redirect_uri=REDIRECT,
        realm_id=sb.realm_id,
        environment=sb.discovery_url,
        **options,
    )
    tokens = QboTokens(access_token=str(issued["access_token"]), refresh_token=str(issued["refresh_token"]))
    return QboSource(config, tokens, saved.append if saved is not None else None)
