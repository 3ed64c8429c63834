"""Preflight's QuickBooks Online client: python-quickbooks for the Accounting API, intuit-oauth for tokens.

Thread-safe by construction: the Snapshot loader calls these methods from worker threads, and each call
builds its own `QuickBooks` client (python-quickbooks keeps per-instance sessions, but `api_url_v3` is a
class attribute, so it is overridden on the instance only). Token state lives here, behind one lock.

Refresh tokens rotate: whenever QBO returns a new one, `on_tokens` is called at once so the caller can store
it (a lost rotation disconnects the company; see research/qbo.md section 12). Tokens never appear in logs,
exception messages or reprs.
"""

from __future__ import annotations

import enum
import heapq
import ipaddress
import itertools
import logging
import math
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session  # type: ignore[import-untyped]
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from checks.snapshot import (
    InventoryAdjustment,
    ItemTransaction,
    QboAccount,
    QboCompany,
    QboItem,
    Ref,
    ValuationLine,
)
from checks.sources.errors import ConfigurationError, QboAuthError, QboError, QboFaultError

log = logging.getLogger(__name__)

T = TypeVar("T")

PRODUCTION_API = "https://quickbooks.api.intuit.com/v3"
SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3"
PAGE_SIZE = 1000  # QBO's maximum page
MINOR_VERSION = 75
CENT = Decimal("0.01")
DELETED_SUFFIX = " (deleted)"
ITEM_TXN_ENTITIES = ("PurchaseOrder", "Bill", "Invoice", "SalesReceipt")

RECONNECT = (
    "QuickBooks Online no longer accepts Preflight's connection (it was revoked or has expired). "
    "An owner must reconnect QuickBooks Online with `connect qbo`."
)
UNREACHABLE = "QuickBooks Online could not be reached. Check the connection and try again in a few minutes."


# ------------------------------------------------------------------ configuration and tokens


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


# ------------------------------------------------------------------ rate limiting


class Rank(enum.IntEnum):
    """Which of the requests waiting for QBO's next slot goes first (lower first).

    QBO's 10 requests a second make a full check of a large company last as long as its item pages take.
    Item pages go first, so that the checks over every item (the heaviest) run while the few small reads
    take QBO's last second; the balance sheet, whose check is the lightest, comes last. CompanyInfo and
    Preferences go before everything: they are two, one after the other, and at the end they would leave a
    slot unused while the second waits for the first. A request alone in the queue goes at once, whatever
    its rank.
    """

    COMPANY = 0
    ITEMS = 1
    ACCOUNTS = 2
    VALUATION = 3
    TRANSACTIONS = 4
    ADJUSTMENTS = 5
    BALANCE_SHEET = 6


class Slot:
    """A request's turn: when it left (its slot's moment until the request reports leaving)."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


class RateLimiter:
    """Sliding windows over the last second and minute, shared by every thread calling one realm.

    Requests are also spaced evenly, on a grid `(1 + margin) / per_second` apart, instead of leaving in bursts
    of `per_second`: a burst queues up in the client (and at the server), so its last request may reach QBO
    tens of milliseconds after its slot was taken, and then share QBO's second with the next burst (HTTP 429
    and a retry a second later). Evenly spaced, the requests keep QBO's rate just as well: the n-th leaves
    `(n - 1) / per_second` seconds after the first either way, give or take the margin.

    QBO counts a request when it arrives, and on a busy machine a request may leave well after its slot
    (waiting for the interpreter or the CPU): each request reports when it actually left (`departed`), and the
    windows count that moment. When several requests wait, the next slot goes to the lowest `Rank`, then to
    the one that came first.
    """

    MAX_MARGIN = 0.1

    def __init__(self, per_second: int, per_minute: int, *, margin: float = 0.02) -> None:
        self.per_second = per_second
        self.per_minute = per_minute
        # A little slack so that network jitter never packs 11 requests into QBO's second.
        self.margin = margin
        self.interval = (1 + margin) / per_second if per_second > 0 else 0.0
        self._cond = threading.Condition()
        self._sent: deque[Slot] = deque()
        self._next = 0.0  # the grid's next slot
        self._queue: list[tuple[int, int]] = []  # (rank, arrival number) of the waiting requests, a heap
        self._arrivals = itertools.count()

    def slow_down(self) -> None:
        """QBO refused a request as too fast (HTTP 429): requests reached it closer together than they left
        here (the network delayed some). Wider spacing from now on, up to 10%."""
        with self._cond:
            if self.margin < self.MAX_MARGIN:
                self.margin = min(max(self.margin * 2, 0.01), self.MAX_MARGIN)
                self.interval = (1 + self.margin) / self.per_second if self.per_second > 0 else 0.0
                log.info("QBO asked Preflight to slow down: requests now leave %.0f ms apart", self.interval * 1000)

    def departed(self, slot: Slot) -> None:
        """The request holding `slot` has just been sent: the windows count it from now."""
        with self._cond:
            slot.at = max(slot.at, time.monotonic())
            self._cond.notify_all()  # the first in line may now have to wait longer

    def _advance(self, now: float) -> None:
        """Schedule the next slot. Slots keep to a grid, `interval` apart: a waiting thread wakes a few
        milliseconds late when others are busy, and 60 late wake-ups would add up to most of a second. The
        next slot makes the lateness up (the windows over the last second and minute still hold). After an
        idle spell the grid starts again from now."""
        if now - self._next > self.interval:
            self._next = now + self.interval
        else:
            self._next += self.interval

    def _wait(self, now: float) -> float:
        """Seconds until the next slot; the caller holds the lock."""
        while self._sent and now - self._sent[0].at >= 60 + self.margin:
            self._sent.popleft()
        wait = self._next - now
        if self.per_second > 0:
            # Requests may have left out of order (one late): count by when they left.
            recent = sorted(slot.at for slot in self._sent if now - slot.at < 1 + self.margin)
            if len(recent) >= self.per_second:
                wait = max(wait, recent[-self.per_second] + 1 + self.margin - now)
        if self.per_minute > 0 and len(self._sent) >= self.per_minute:
            wait = max(wait, min(slot.at for slot in list(self._sent)[-self.per_minute :]) + 60 + self.margin - now)
        return wait

    def acquire(self, rank: int = 0) -> Slot:
        with self._cond:
            ticket = (int(rank), next(self._arrivals))
            heapq.heappush(self._queue, ticket)
            try:
                while True:
                    if self._queue[0] != ticket:
                        self._cond.wait()  # only the first in line works out a wait: the others are woken
                        continue
                    now = time.monotonic()
                    wait = self._wait(now)
                    if wait <= 0:
                        heapq.heappop(self._queue)
                        slot = Slot(now)
                        self._sent.append(slot)
                        self._advance(now)
                        return slot
                    self._cond.wait(wait)
            finally:
                # Whoever is first now (a request that arrived meanwhile, or the next one) works out its wait.
                if ticket in self._queue:
                    self._queue.remove(ticket)
                    heapq.heapify(self._queue)
                self._cond.notify_all()


_limiters: dict[tuple[str, str, int, int], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(api_base: str, realm_id: str, per_second: int, per_minute: int) -> RateLimiter:
    """One limiter per realm and API host in this process, whichever QboSource instance calls it.

    The limits are part of the key so that a benchmark may raise them for the local simulator."""
    with _limiters_lock:
        key = (api_base, realm_id, per_second, per_minute)
        if key not in _limiters:
            _limiters[key] = RateLimiter(per_second, per_minute)
        return _limiters[key]


# ------------------------------------------------------------------ the per-call python-quickbooks client


class _Unauthorized(Exception):
    """HTTP 401 from the API: the access token is expired or revoked."""


# The slot of the request this thread is sending, until the request has left (see _DepartingHTTPConnection).
_leaving = threading.local()


class _DepartingHTTPConnection(HTTPConnection):
    """Tells the rate limiter the moment the request has been written to the socket."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            pending: tuple[RateLimiter, Slot] | None = getattr(_leaving, "slot", None)
            if pending is not None:
                _leaving.slot = None
                pending[0].departed(pending[1])


class _DepartingHTTPSConnection(_DepartingHTTPConnection, HTTPSConnection):
    pass


class _DepartingHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _DepartingHTTPConnection


class _DepartingHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _DepartingHTTPSConnection


class _PacedAdapter(HTTPAdapter):
    """Takes a rate-limiter slot at the last moment before a request goes out, and reports when it left.

    QBO counts a request when it arrives. Taking the slot before requests has prepared the request (cookies,
    proxy and netrc settings) lets that work, and any wait for the GIL while other threads decode pages,
    stretch the time between the slot and the arrival, unevenly from one request to the next; two requests
    a second apart by their slots could then arrive less than a second apart (HTTP 429). What is left of
    that stretch is measured: the connection reports the moment the request was written."""

    def __init__(self, limiter: RateLimiter, rank: Rank) -> None:
        super().__init__()
        self.limiter = limiter
        self.rank = rank

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _DepartingHTTPConnectionPool,
            "https": _DepartingHTTPSConnectionPool,
        }

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: None | float | tuple[float, float] | tuple[float, None] = None,
        verify: bool | str = True,
        cert: None | bytes | str | tuple[bytes | str, bytes | str] = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        _leaving.slot = (self.limiter, self.limiter.acquire(self.rank))
        try:
            return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        finally:
            _leaving.slot = None


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


# ------------------------------------------------------------------ parsing helpers


def _dec(value: Any) -> Decimal | None:
    """JSON numbers arrive as int or Decimal (python-quickbooks parses floats with Decimal)."""
    if type(value) is Decimal:
        return value  # what Decimal(str(value)) would give back, without the round trip through text
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _money(value: Any) -> Decimal | None:
    d = _dec(value)
    return None if d is None else d.quantize(CENT, rounding=ROUND_HALF_UP)


def _ref(value: Any) -> Ref | None:
    if not isinstance(value, dict) or value.get("value") in (None, ""):
        return None
    return _shared_ref(str(value["value"]), str(value.get("name") or ""))


@lru_cache(maxsize=4096)
def _shared_ref(ref_id: str, name: str) -> Ref:
    """One Ref per (id, name): 50,000 items name a handful of accounts, and Ref is immutable."""
    return Ref(id=ref_id, name=name)


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _id_key(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def parse_item(row: dict[str, Any]) -> QboItem:
    active = bool(row.get("Active", True))
    name = str(row.get("Name") or "")
    if not active:
        # QBO renames inactive items "Name (deleted)"; the checks compare the name the item had.
        name = name.removesuffix(DELETED_SUFFIX)
    return QboItem(
        id=str(row["Id"]),
        name=name,
        type=str(row.get("Type") or ""),
        active=active,
        sku=(str(row["Sku"]) if row.get("Sku") not in (None, "") else None),
        fully_qualified_name=row.get("FullyQualifiedName"),
        qty_on_hand=_dec(row.get("QtyOnHand")),
        purchase_cost=_dec(row.get("PurchaseCost")),
        asset_account=_ref(row.get("AssetAccountRef")),
        expense_account=_ref(row.get("ExpenseAccountRef")),
        income_account=_ref(row.get("IncomeAccountRef")),
        created=_datetime((row.get("MetaData") or {}).get("CreateTime")),
        updated=_datetime((row.get("MetaData") or {}).get("LastUpdatedTime")),
    )


def parse_account(row: dict[str, Any]) -> QboAccount:
    return QboAccount(
        id=str(row["Id"]),
        name=str(row.get("Name") or ""),
        account_type=str(row.get("AccountType") or ""),
        account_sub_type=row.get("AccountSubType"),
        classification=row.get("Classification"),
        active=bool(row.get("Active", True)),
        current_balance=_money(row.get("CurrentBalance")) or Decimal("0.00"),
    )


def report_rows(rows: Iterable[Any]) -> Iterable[dict[str, Any]]:
    """Every data row of a report, however deeply the sections nest."""
    for row in rows:
        if not isinstance(row, dict):
            continue
        if "ColData" in row:
            yield row
        inner = (row.get("Rows") or {}).get("Row")
        if inner:
            yield from report_rows(inner)


# ------------------------------------------------------------------ the source


class QboSource:
    """Read access to one QBO company for the checks.

    `QboSource(config, tokens, on_tokens)`: `tokens` may carry no access token (one is fetched with the
    refresh token on first use); `on_tokens(tokens)` is called synchronously whenever the tokens change.
    """

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
        if is_loopback_http(self.api_base):
            # requests-oauthlib refuses plain http; allowed only for the local simulator, never real QBO.
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        elif parts.scheme != "https":
            raise ConfigurationError("The QuickBooks Online API address must use https (plain http only on loopback).")
        self.realm_id = config.realm_id
        self._tokens = tokens
        self._on_tokens = on_tokens
        self._lock = threading.RLock()
        self._generation = 0  # bumped whenever the access token changes
        self._auth: AuthClient | None = None
        self._accounts_lock = threading.Lock()
        self._accounts_flight: Future[list[QboAccount]] | None = None
        self._local = threading.local()  # each thread's HTTP session (see _session)

    def __repr__(self) -> str:
        return f"QboSource(realm_id={self.realm_id!r}, api_base={self.api_base!r})"

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
        client = self._auth_client()
        try:
            client.refresh(refresh_token=self._tokens.refresh_token)
        except AuthClientError as exc:
            if exc.status_code in (400, 401):
                raise QboAuthError(RECONNECT, detail=f"refresh refused: HTTP {exc.status_code}") from exc
            raise QboError(
                "QuickBooks Online could not renew Preflight's access. Try again in a few minutes.",
                detail=f"refresh failed: HTTP {exc.status_code}",
            ) from exc
        except requests.RequestException as exc:
            raise QboError(UNREACHABLE, detail="token endpoint unreachable") from exc
        rotated = client.refresh_token != self._tokens.refresh_token
        log.info("QBO access token refreshed (refresh token %s)", "rotated" if rotated else "unchanged")
        self._adopt(QboTokens.from_auth_client(client))

    def _access(self) -> tuple[int, str]:
        with self._lock:
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
            session = OAuth2Session(self.config.client_id, token={"access_token": access_token, "token_type": "Bearer"})
            local.adapter = _PacedAdapter(limiter, rank)
            session.mount("https://", local.adapter)
            session.mount("http://", local.adapter)
            local.session, local.token = session, access_token
        local.adapter.rank = rank
        return session

    def _call(self, what: str, fn: Callable[[_Client], T], rank: Rank = Rank.ITEMS) -> T:
        generation, token = self._access()
        try:
            return self._run(what, fn, self._client(token, rank))
        except _Unauthorized:
            pass
        self._after_401(generation)
        _, token = self._access()
        try:
            return self._run(what, fn, self._client(token, rank))
        except _Unauthorized as exc:
            raise QboAuthError(RECONNECT, detail=f"401 after a token refresh: {what}") from exc

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

    def _count(self, job: _Job) -> int:
        response = self.query(f"SELECT COUNT(*) FROM {job.entity}{job.where}", job.rank)
        return int(response.get("totalCount") or 0)

    def _fetch_all(self, jobs: list[_Job]) -> dict[str, list[Any]]:
        """Every row of each job, parsed, in Id order (rows seen twice are taken from the later page).

        Pages are parsed as they arrive, on the worker threads, so that raw JSON never piles up and the work
        overlaps the wait for the next page. A job marked `large` asks for its COUNT together with its first
        page and plans every page as soon as the count is known; other jobs read their first page and count
        only when it comes back full (most companies have few accounts or transactions since a date).

        The count fixes what is read: when it fills the last page exactly, no read goes past it (new rows get
        higher Ids, so they could only come after the rows counted, and QBO never deletes items). A page
        fuller than the count left for it shows that rows were added meanwhile: paging then goes on until a
        short page, as it does for jobs that were never counted.
        """
        pages: dict[str, dict[int, list[tuple[str, Any]]]] = {job.entity: {} for job in jobs}
        full: dict[str, dict[int, bool]] = {job.entity: {} for job in jobs}
        planned: dict[str, set[int]] = {job.entity: set() for job in jobs}
        counting: dict[str, bool] = {job.entity: False for job in jobs}
        counted: dict[str, int] = {}
        pending: dict[Future[Any], tuple[_Job, int]] = {}  # start 0: the COUNT
        workers = max(self.config.max_workers, 1)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qbo-page") as pool:

            def submit_page(job: _Job, start: int) -> None:
                planned[job.entity].add(start)
                pending[pool.submit(self._page, job, start)] = (job, start)

            def submit_count(job: _Job) -> None:
                counting[job.entity] = True
                pending[pool.submit(self._count, job)] = (job, 0)

            def advance(job: _Job) -> None:
                """Once the pages planned so far are in, read on while the last one came back full of rows
                the count did not foresee."""
                entity = job.entity
                top = max(planned[entity])
                foreseen = top + PAGE_SIZE - 1 <= counted.get(entity, 0)
                if not counting[entity] and full[entity].get(top) and not foreseen:
                    submit_page(job, top + PAGE_SIZE)

            for job in jobs:
                if job.large:
                    submit_count(job)
                submit_page(job, 1)
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        job, start = pending.pop(future)
                        entity = job.entity
                        if start == 0:
                            count = int(future.result())
                            counting[entity] = False
                            counted[entity] = count
                            for n in range(1, max(math.ceil(count / PAGE_SIZE), 1)):
                                if 1 + n * PAGE_SIZE not in planned[entity]:
                                    submit_page(job, 1 + n * PAGE_SIZE)
                            if full[entity].get(max(planned[entity])):
                                advance(job)
                            continue
                        size, rows = future.result()
                        pages[entity][start] = rows
                        full[entity][start] = size >= PAGE_SIZE
                        if start == 1 and size >= PAGE_SIZE and not job.large and len(planned[entity]) == 1:
                            submit_count(job)  # more than one page: count them, then read the rest at once
                        elif start == max(planned[entity]):
                            advance(job)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        out: dict[str, list[Any]] = {}
        for job in jobs:
            merged: dict[str, Any] = {}
            for start in sorted(pages[job.entity]):
                merged.update(pages[job.entity][start])
            out[job.entity] = [merged[k] for k in sorted(merged, key=_id_key)]
        return out

    def _page(self, job: _Job, start: int) -> tuple[int, list[tuple[str, Any]]]:
        """One page of a job: (rows on it, [(Id, parsed row)])."""
        paging = f" ORDERBY Id STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"
        statement = f"SELECT {job.select} FROM {job.entity}{job.where}{paging}"
        rows = [r for r in self.query(statement, job.rank).get(job.entity) or [] if isinstance(r, dict)]
        return len(rows), [(str(r.get("Id")), job.parse(r)) for r in rows]

    # -------------------------------------------------------------- what the checks read

    def check_connection(self) -> QboCompany:
        """A live CompanyInfo call: proves the connection works (admin-access)."""
        info = self._company_info()
        return QboCompany(
            realm_id=str(self.realm_id),
            name=str(info.get("CompanyName") or info.get("LegalName") or ""),
            country=info.get("Country"),
            offering_sku=_name_value(info, "OfferingSku"),
        )

    def _company_info(self) -> dict[str, Any]:
        realm = str(self.realm_id)
        result = self._call("company info", lambda qb: qb.get_single_object("CompanyInfo", realm), Rank.COMPANY)
        info = result.get("CompanyInfo") if isinstance(result, dict) else None
        if not isinstance(info, dict):
            raise QboError("QuickBooks Online sent no company information.", detail="CompanyInfo missing")
        return info

    def company(self) -> QboCompany:
        info = self._company_info()
        result = self._call(
            "preferences", lambda qb: qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences"), Rank.COMPANY
        )
        p = result.get("Preferences") if isinstance(result, dict) else None
        p = p if isinstance(p, dict) else {}
        products = p.get("ProductAndServicesPrefs") or {}
        qoh = products.get("QuantityOnHand")
        currency = ((p.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value")
        return QboCompany(
            realm_id=str(self.realm_id),
            name=str(info.get("CompanyName") or info.get("LegalName") or ""),
            country=info.get("Country"),
            home_currency=str(currency or "USD"),
            offering_sku=_name_value(info, "OfferingSku"),
            book_close_date=_date((p.get("AccountingInfoPrefs") or {}).get("BookCloseDate")),
            quantity_on_hand_enabled=bool(qoh) if qoh is not None else None,
        )

    def items(self) -> list[QboItem]:
        """Every item, active and inactive, with Sku (plain `SELECT *` leaves Sku out)."""
        job = _Job("Item", "*, Sku", " WHERE Active IN (true, false)", parse_item, Rank.ITEMS, large=True)
        return list(self._fetch_all([job])["Item"])

    def accounts(self) -> list[QboAccount]:
        """Every account. Concurrent callers (the accounts and the inventory balance) share one read."""
        with self._accounts_lock:
            flight = self._accounts_flight
            leader = flight is None
            if flight is None:
                flight = self._accounts_flight = Future()
        if not leader:
            return list(flight.result())
        try:
            job = _Job("Account", "*", " WHERE Active IN (true, false)", parse_account, Rank.ACCOUNTS)
            accounts: list[QboAccount] = self._fetch_all([job])["Account"]
            flight.set_result(accounts)
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        finally:
            with self._accounts_lock:
                self._accounts_flight = None
        return list(accounts)

    def inventory_valuation(self, as_of: date) -> list[ValuationLine]:
        qs = {"report_date": as_of.isoformat()}
        report = self._call(
            "inventory valuation report", lambda qb: qb.get_report("InventoryValuationSummary", qs), Rank.VALUATION
        )
        lines: list[ValuationLine] = []
        for row in report_rows(((report or {}).get("Rows") or {}).get("Row") or []):
            cols = row.get("ColData") or []
            if row.get("group") == "GrandTotal" or not cols or not cols[0].get("id"):
                continue
            values = [c.get("value") for c in cols] + [None] * 5
            sku = (values[1] or "").strip()
            lines.append(
                ValuationLine(
                    item_id=str(cols[0]["id"]),
                    name=str(values[0] or ""),
                    sku=sku or None,
                    qty=_dec(values[2]) or Decimal(0),
                    asset_value=_money(values[3]) or Decimal("0.00"),
                    avg_cost=_dec(values[4]),
                )
            )
        return lines

    def item_transactions(self, since: date | None) -> list[ItemTransaction]:
        """One entry per (transaction, item) on purchase orders, bills, invoices and sales receipts."""
        where = f" WHERE TxnDate >= '{since.isoformat()}'" if since is not None else ""
        jobs = [_Job(entity, "*", where, _txn_parser(entity), Rank.TRANSACTIONS) for entity in ITEM_TXN_ENTITIES]
        fetched = self._fetch_all(jobs)
        return [t for entity in ITEM_TXN_ENTITIES for txn in fetched[entity] for t in txn]

    def inventory_balance(self, on: date) -> dict[str, Decimal]:
        """Balance on `on` of every account whose AccountSubType is Inventory (BalanceSheet, end_date=on)."""
        inventory = [a for a in self.accounts() if a.account_sub_type == "Inventory"]
        qs = {"end_date": on.isoformat()}
        report = self._call("balance sheet", lambda qb: qb.get_report("BalanceSheet", qs), Rank.BALANCE_SHEET)
        wanted = {a.id for a in inventory}
        # An active account with no activity may be left out of the report: its balance is zero.
        out = {a.id: Decimal("0.00") for a in inventory if a.active}
        for row in report_rows(((report or {}).get("Rows") or {}).get("Row") or []):
            cols = row.get("ColData") or []
            account_id = str(cols[0].get("id")) if cols and cols[0].get("id") is not None else None
            if account_id in wanted and len(cols) > 1:
                out[account_id] = _money(cols[1].get("value")) or Decimal("0.00")
        return out

    def adjustments(self, since: date) -> list[InventoryAdjustment]:
        where = f" WHERE TxnDate >= '{since.isoformat()}'"
        job = _Job("InventoryAdjustment", "*", where, parse_adjustment, Rank.ADJUSTMENTS)
        return [a for a in self._fetch_all([job])["InventoryAdjustment"] if a is not None]

    def find_items_by_name(self, name: str) -> list[QboItem]:
        """Items named exactly `name` (active or not); quotes in names are escaped as QBO expects."""
        response = self.query(f"SELECT *, Sku FROM Item WHERE Name = {_quote(name)} AND Active IN (true, false)")
        return [parse_item(r) for r in response.get("Item") or [] if isinstance(r, dict)]


@dataclass(frozen=True)
class _Job:
    """Every row of one entity: `SELECT {select} FROM {entity}{where}`, each row turned into `parse(row)`."""

    entity: str
    select: str
    where: str
    parse: Callable[[dict[str, Any]], Any]
    rank: Rank
    large: bool = False  # count at once, with the first page


def _txn_parser(entity: str) -> Callable[[dict[str, Any]], list[ItemTransaction]]:
    """One ItemTransaction per distinct item on the transaction's lines; none without a date."""

    def parse(txn: dict[str, Any]) -> list[ItemTransaction]:
        txn_date = _date(txn.get("TxnDate"))
        if txn_date is None:
            return []
        out: list[ItemTransaction] = []
        seen: set[str] = set()
        for line in txn.get("Line") or []:
            detail = line.get(line.get("DetailType") or "") if isinstance(line, dict) else None
            item = _ref((detail or {}).get("ItemRef")) if isinstance(detail, dict) else None
            if item is None or item.id in seen:
                continue
            seen.add(item.id)
            out.append(
                ItemTransaction(
                    txn_type=entity,
                    txn_id=str(txn["Id"]),
                    doc_number=txn.get("DocNumber"),
                    txn_date=txn_date,
                    item_id=item.id,
                )
            )
        return out

    return parse


def parse_adjustment(row: dict[str, Any]) -> InventoryAdjustment | None:
    txn_date = _date(row.get("TxnDate"))
    if txn_date is None:
        return None
    item_ids: list[str] = []
    for line in row.get("Line") or []:
        detail = (line or {}).get("ItemAdjustmentLineDetail") if isinstance(line, dict) else None
        item = _ref((detail or {}).get("ItemRef"))
        if item is not None and item.id not in item_ids:
            item_ids.append(item.id)
    return InventoryAdjustment(
        id=str(row["Id"]),
        txn_date=txn_date,
        doc_number=row.get("DocNumber"),
        account=_ref(row.get("AdjustAccountRef")),
        item_ids=tuple(item_ids),
        note=row.get("PrivateNote") or None,
    )


def _name_value(info: dict[str, Any], name: str) -> str | None:
    for pair in info.get("NameValue") or []:
        if isinstance(pair, dict) and pair.get("Name") == name:
            value = pair.get("Value")
            return str(value) if value is not None else None
    return None
