"""The HTTP session every QuickBooks call goes through: read-only by construction.

Preflight promises to read QuickBooks and never write to it. The session enforces it: GET, or POST to the
query endpoint (python-quickbooks sends its SQL-like queries as POST .../query); anything else raises before
a byte leaves. Plain http is allowed for this session alone when it talks to the loopback simulator
(requests-oauthlib otherwise wants OAUTHLIB_INSECURE_TRANSPORT for the whole process).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests_oauthlib import OAuth2Session  # type: ignore[import-untyped]

from checks.sources.errors import SourceError
from checks.sources.qbo.config import is_loopback_http


class WriteRefused(SourceError):
    """Preflight tried something other than reading QuickBooks: refused (a bug, never sent)."""


def allowed(method: str, url: str) -> bool:
    method = method.upper()
    return method == "GET" or (method == "POST" and urlsplit(url).path.rstrip("/").endswith("/query"))


class ReadOnlySession(OAuth2Session):
    def request(
        self,
        method: str,
        url: str,
        data: Any = None,
        headers: dict[str, str] | None = None,
        withhold_token: bool = False,
        client_id: str | None = None,
        client_secret: str | None = None,
        files: Any = None,
        **kwargs: Any,
    ) -> requests.Response:
        if not allowed(method, url):
            raise WriteRefused(f"Preflight only reads QuickBooks: refused {method.upper()} {urlsplit(url).path}")
        if is_loopback_http(url):
            # The simulator: the same Bearer header, without requests-oauthlib's https-only check.
            sent = dict(headers or {})
            if not withhold_token:
                sent["Authorization"] = f"Bearer {self.token['access_token']}"
            return requests.Session.request(self, method, url, data=data, headers=sent, files=files, **kwargs)
        response: requests.Response = super().request(
            method, url, data, headers, withhold_token, client_id, client_secret, files, **kwargs
        )
        return response
