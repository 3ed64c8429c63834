"""Preflight's QuickBooks Online client: python-quickbooks for the Accounting API, intuit-oauth for tokens.

Thread-safe by construction: the Snapshot loader calls these methods from worker threads, and each call
builds its own `QuickBooks` client (python-quickbooks keeps per-instance sessions, but `api_url_v3` is a
class attribute, so it is overridden on the instance only). Token state lives here, behind one lock.

Refresh tokens rotate: whenever QBO returns a new one, `on_tokens` is called at once so the caller can store
it (a lost rotation disconnects the company; see research/qbo.md section 12). Tokens never appear in logs,
exception messages or reprs.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from requests_oauthlib import OAuth2Session  # type: ignore[import-untyped]

from checks.sources.errors import ConfigurationError, QboAuthError, QboError, QboFaultError
from checks.sources.qbo.config import QboConfig, QboTokens, is_loopback_http
from checks.sources.qbo.pacing import Rank, RateLimiter, _PacedAdapter, limiter_for
from checks.sources.qbo.session import ReadOnlySession

log = logging.getLogger(__name__)

T = TypeVar("T")


RECONNECT = (
    "QuickBooks Online no longer accepts Preflight's connection (it was revoked or has expired). "
    "An owner must reconnect QuickBooks Online with `connect qbo`."
)
UNREACHABLE = "QuickBooks Online could not be reached. Check the connection and try again in a few minutes."


class _Unauthorized(Exception):
    """HTTP 401 from the API: the access token is expired or revoked."""


class _Client(QuickBooks):
    """A QuickBooks client for one call: own base URL, rate limit, retries and timeouts."""

    limiter: RateLimiter
    policy: QboConfig

    def process_request(
        self, request_type: str, url: str, headers: Any = "", params: Any = "", data: Any = ""
    ) -> requests.Response:
        headers = dict(headers or {})
        headers["Authorization"] = "Bearer " + self.session.access_token
        policy = self.policy
        attempt = 0
        while True:
            # The rate limiter's slot is taken by the session's adapter, right before the request is sent.
            try:
                response: requests.Response = self.session.request(
                    request_type, url, headers=headers, params=params, data=data, timeout=policy.timeout
                )
            except requests.Timeout as exc:
                raise QboError(UNREACHABLE, detail=f"timeout after {policy.timeout}s: {_path(url)}") from exc
            except requests.ConnectionError as exc:
                raise QboError(UNREACHABLE, detail=f"connection failed: {_path(url)}") from exc
            except requests.RequestException as exc:  # an answer cut off, a redirect loop...: still a QboError
                raise QboError(
                    "QuickBooks Online's answer broke off or led nowhere. Check the connection and try again in a "
                    "few minutes.",
                    detail=f"{type(exc).__name__}: {_path(url)}",
                ) from exc
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt >= policy.max_retries:
                    if status == 429:
                        raise QboError(
                            "QuickBooks Online is limiting how fast Preflight may ask (HTTP 429). "
                            "Try again in a minute.",
                            detail=f"429 after {attempt} retries: {_path(url)}",
                        )
                    raise QboError(
                        f"QuickBooks Online had a server error (HTTP {status}). Try again in a few minutes.",
                        detail=f"{status} after {attempt} retries: {_path(url)}",
                    )
                if status == 429:
                    self.limiter.slow_down()
                delay = _retry_delay(response, attempt, policy)
                log.info("QBO answered %s for %s; retrying in %.2fs", status, _path(url), delay)
                time.sleep(delay)
                attempt += 1
                continue
            if status == 401:
                raise _Unauthorized()
            if status == 403:
                raise QboAuthError(
                    "QuickBooks Online refused access (HTTP 403). The company's subscription may not "
                    "allow it, or the user who connected Preflight lacks permission. An owner may need to "
                    "reconnect as a QBO admin.",
                    detail=f"403: {_path(url)}",
                )
            if status != 200 and "Fault" not in _json_or_empty(response):
                raise QboError(
                    f"QuickBooks Online answered with an unexpected error (HTTP {status}).",
                    detail=f"{status}: {_path(url)}: {response.text[:300]}",
                )
            return response


def _path(url: str) -> str:
    return urlsplit(url).path


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_delay(response: requests.Response, attempt: int, policy: QboConfig) -> float:
    header = response.headers.get("Retry-After")
    if header:
        try:
            return min(max(float(header), 0.0), policy.backoff_max)
        except ValueError:
            pass
    base = min(policy.backoff_base * (2**attempt), policy.backoff_max)
    return base * (0.5 + random.random() / 2)


class QboConnection:
    """The connection to one QBO company: OAuth tokens (refreshed once for every call that saw a 401), and for
    each call a python-quickbooks client with its own base URL, pacing, retries and timeouts."""

    def __init__(
        self,
        config: QboConfig,
        tokens: QboTokens | None,
        on_tokens: Callable[[QboTokens], None] | None = None,
    ) -> None:
        if not config.client_id or not config.client_secret:
            raise ConfigurationError("QBO_CLIENT_ID and QBO_CLIENT_SECRET must be set to connect QuickBooks Online.")
        self.config = config
        self.api_base = config.resolved_api_base()
        parts = urlsplit(self.api_base)
        # Plain http only for the loopback simulator, and only in its own sessions (see session.py).
        if parts.scheme != "https" and not is_loopback_http(self.api_base):
            raise ConfigurationError("The QuickBooks Online API address must use https (plain http only on loopback).")
        self.realm_id = config.realm_id
        self._tokens = tokens
        self._on_tokens = on_tokens
        self._lock = threading.RLock()
        self._generation = 0  # bumped whenever the access token changes
        # Set when Intuit refused the refresh token (invalid_grant): final, so every later call fails at once
        # instead of asking the token endpoint again for each read.
        self.auth_failure: QboAuthError | None = None
        self._auth: AuthClient | None = None
        self._local = threading.local()  # each thread's HTTP session (see _session)
        self.first_answer_time: datetime | None = None  # QBO's `time` on its earliest answer (see _answered)

    # -------------------------------------------------------------- OAuth

    def _auth_client(self) -> AuthClient:
        """The one intuit-oauth client, used only under the lock (it is a requests.Session)."""
        if self._auth is None:
            try:
                self._auth = AuthClient(
                    client_id=self.config.client_id,
                    client_secret=self.config.client_secret,
                    redirect_uri=self.config.redirect_uri,
                    environment=self.config.environment,
                )
            except AuthClientError as exc:
                raise QboError(
                    "Preflight could not read Intuit's sign-in configuration. Try again in a few minutes.",
                    detail=f"discovery document: HTTP {exc.status_code}",
                ) from exc
            except requests.RequestException as exc:
                raise QboError(UNREACHABLE, detail="discovery document unreachable") from exc
        return self._auth

    def authorization_url(self, state: str) -> str:
        """Where to send an owner to connect QBO (accounting scope); `state` comes back on the redirect."""
        with self._lock:
            return str(self._auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state))

    def exchange_code(self, code: str, realm_id: str) -> QboTokens:
        """Trade the redirect's code for tokens; this source then uses them and `on_tokens` is called."""
        with self._lock:
            client = self._auth_client()
            try:
                client.get_bearer_token(code, realm_id=realm_id)
            except AuthClientError as exc:
                if exc.status_code in (400, 401):
                    raise QboAuthError(
                        "QuickBooks Online did not accept the connection (the link may have expired). "
                        "Start `connect qbo` again.",
                        detail=f"token endpoint: HTTP {exc.status_code}",
                    ) from exc
                raise QboError(
                    "QuickBooks Online could not complete the connection. Try again in a few minutes.",
                    detail=f"token endpoint: HTTP {exc.status_code}",
                ) from exc
            except requests.RequestException as exc:
                raise QboError(UNREACHABLE, detail="token endpoint unreachable") from exc
            self.realm_id = realm_id
            return self._adopt(QboTokens.from_auth_client(client))

    def _adopt(self, tokens: QboTokens) -> QboTokens:
        self._tokens = tokens
        self._generation += 1
        if self._on_tokens is not None:
            self._on_tokens(tokens)
        return tokens

    def _refresh(self) -> None:
        """Exchange the refresh token; the caller holds the lock."""
        if self._tokens is None:
            raise QboAuthError("QuickBooks Online is not connected yet. An owner can connect it with `connect qbo`.")
        self._raise_if_refused()
        client = self._auth_client()
        try:
            client.refresh(refresh_token=self._tokens.refresh_token)
        except AuthClientError as exc:
            if exc.status_code in (400, 401):
                self.auth_failure = QboAuthError(RECONNECT, detail=f"refresh refused: HTTP {exc.status_code}")
                raise self.auth_failure from exc
            raise QboError(
                "QuickBooks Online could not renew Preflight's access. Try again in a few minutes.",
                detail=f"refresh failed: HTTP {exc.status_code}",
            ) from exc
        except requests.RequestException as exc:
            raise QboError(UNREACHABLE, detail="token endpoint unreachable") from exc
        rotated = client.refresh_token != self._tokens.refresh_token
        log.info("QBO access token refreshed (refresh token %s)", "rotated" if rotated else "unchanged")
        self._adopt(QboTokens.from_auth_client(client))

    def _raise_if_refused(self) -> None:
        if self.auth_failure is not None:
            raise QboAuthError(self.auth_failure.message, detail=self.auth_failure.detail)

    def _access(self) -> tuple[int, str]:
        with self._lock:
            self._raise_if_refused()
            if self._tokens is None:
                raise QboAuthError(
                    "QuickBooks Online is not connected yet. An owner can connect it with `connect qbo`."
                )
            if self._tokens.access_token is None:
                self._refresh()
            assert self._tokens is not None and self._tokens.access_token is not None
            return self._generation, self._tokens.access_token

    def _after_401(self, generation: int) -> None:
        with self._lock:
            # Another thread may have refreshed already; one refresh serves every page that saw the 401.
            if generation == self._generation:
                self._refresh()

    # -------------------------------------------------------------- calls

    def _client(self, access_token: str, rank: Rank) -> _Client:
        if not self.realm_id:
            raise ConfigurationError("No QuickBooks Online company (realm id) is configured. Connect QBO first.")
        client = _Client(company_id=self.realm_id, minorversion=self.config.minor_version, use_decimal=True)
        client.api_url_v3 = self.api_base  # instance attribute: the class one is shared process-wide
        client.policy = self.config
        client.limiter = limiter_for(
            self.api_base, self.realm_id, self.config.requests_per_second, self.config.requests_per_minute
        )
        client.session = self._session(access_token, client.limiter, rank)
        return client

    def _session(self, access_token: str, limiter: RateLimiter, rank: Rank) -> OAuth2Session:
        """This thread's session for this access token. It keeps its connections to QBO open from one call to
        the next: a new TLS connection per request would cost round trips, and time between taking a rate
        slot and the request reaching QBO."""
        local = self._local
        session: OAuth2Session | None = getattr(local, "session", None)
        if session is None or local.token != access_token:
            if session is not None:
                session.close()
            token = {"access_token": access_token, "token_type": "Bearer"}
            session = ReadOnlySession(self.config.client_id, token=token)
            local.adapter = _PacedAdapter(limiter, rank)
            session.mount("https://", local.adapter)
            session.mount("http://", local.adapter)
            local.session, local.token = session, access_token
        local.adapter.rank = rank
        return session

    def _call(self, what: str, fn: Callable[[_Client], T], rank: Rank = Rank.ITEMS) -> T:
        generation, token = self._access()
        try:
            return self._answered(self._run(what, fn, self._client(token, rank)))
        except _Unauthorized:
            pass
        self._after_401(generation)
        _, token = self._access()
        try:
            return self._answered(self._run(what, fn, self._client(token, rank)))
        except _Unauthorized as exc:
            raise QboAuthError(RECONNECT, detail=f"401 after a token refresh: {what}") from exc

    def _answered(self, result: T) -> T:
        """Notes QBO's own time of the answer (its `time`): the earliest one tells incremental re-checks what
        a full read is current as of, by QBO's clock rather than ours."""
        stamp = result.get("time") if isinstance(result, dict) else None
        if isinstance(stamp, str):
            try:
                moment = datetime.fromisoformat(stamp)
            except ValueError:
                return result
            if moment.tzinfo is not None:
                with self._lock:
                    if self.first_answer_time is None or moment < self.first_answer_time:
                        self.first_answer_time = moment
        return result

    @staticmethod
    def _run(what: str, fn: Callable[[_Client], T], client: _Client) -> T:
        try:
            return fn(client)
        except QuickbooksException as exc:
            message = str(getattr(exc, "message", "") or "")
            if exc.error_code == 10000 and message.startswith("Error reading json response"):
                raise QboError(
                    "QuickBooks Online sent an answer Preflight could not read. Try again in a few minutes.",
                    detail=f"{what}: unreadable response",
                ) from exc
            detail = str(getattr(exc, "detail", "") or "")
            code = str(exc.error_code) if exc.error_code not in (None, "") else None
            text = f"QuickBooks Online rejected Preflight's request ({what}): {message}"
            if detail and detail != message:
                text += f" — {detail}"
            if code:
                text += f" (code {code})"
            raise QboFaultError(text, code=code, detail=detail or None) from exc

    def query(self, statement: str, rank: Rank = Rank.ITEMS) -> dict[str, Any]:
        """One raw query; returns the QueryResponse object."""
        result = self._call("query", lambda qb: qb.query(statement), rank)
        response = result.get("QueryResponse") if isinstance(result, dict) else None
        return response if isinstance(response, dict) else {}
