"""The HTTP side of the Finale client: Basic auth, bounded concurrency, retries of busy or dropped answers,
and status errors written for the person in the chat. The API key and secret never appear in them.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import functools
import logging
import random
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlencode, urlsplit

import aiohttp
from yarl import URL

from checks.sources.errors import ConfigurationError, FinaleAuthError, FinaleError
from checks.sources.finale.jsonstream import RETRY_LATER, _loads
from checks.sources.finale.reports import encode_filter

log = logging.getLogger(__name__)

T = TypeVar("T")


DEFAULT_BASE_URL = "https://app.finaleinventory.com"
ENTITY_CAP = 120_000

AUTH_MESSAGE = (
    "Finale rejected the API key and secret. In Finale open Application settings > Users > API keys, "
    "create a new key (the secret is shown only once), then enter both again with `connect finale`."
)

# Answers at least this large are decoded and converted on a worker thread, never on the event loop.
OFF_LOOP_BYTES = 256 * 1024

# One thread for decoding and converting large answers: the work is CPU-bound (one GIL), so a second thread
# would not finish it sooner, but would hold a second set of intermediates (peak memory). Its own pool also
# keeps it from queueing behind the QBO reads, which hold the default executor's threads while they wait.
_CONVERTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="finale-decode")


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run CPU work on the converter thread, so that the chat's event loop keeps answering meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_CONVERTER, fn, *args)


class FinaleConnection:
    """HTTP to one Finale account: Basic auth, bounded concurrency, retries of busy or dropped answers,
    and errors written for the person in the chat."""

    def __init__(
        self,
        base_url: str,
        account: str,
        api_key: str,
        api_secret: str,
        *,
        average_cost_report_url: str | None = None,
        inventory_value_report_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 300.0,
        connect_timeout: float = 15.0,
        max_connections: int = 8,
        max_concurrency: int = 4,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        entity_cap: int = ENTITY_CAP,
    ) -> None:
        account = (account or "").strip().strip("/")
        if not account:
            raise ConfigurationError(
                "The Finale account is not set. Put the part of your Finale address after "
                "app.finaleinventory.com/ in FINALE_ACCOUNT (or enter it with `connect finale`)."
            )
        if not api_key or not api_secret:
            raise ConfigurationError(
                "The Finale API key or secret is missing. Create one in Finale under Application settings > "
                "Users > API keys and enter both with `connect finale`."
            )
        base = urlsplit((base_url or DEFAULT_BASE_URL).strip())
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ConfigurationError(
                f"FINALE_BASE_URL must be an http(s) address such as {DEFAULT_BASE_URL}, not {base_url!r}."
            )
        self._origin = f"{base.scheme}://{base.netloc}"
        self._prefix = base.path.rstrip("/")
        self.account = account
        # HTTP Basic, built once; kept out of repr, errors and logs.
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
        self._average_cost_report_url = average_cost_report_url
        self._inventory_value_report_url = inventory_value_report_url
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._max_connections = max_connections
        self._limit = asyncio.Semaphore(max_concurrency)
        self._max_retries = max_retries
        self._backoff = backoff
        self._max_wait = max_wait
        self.entity_cap = entity_cap

    # ------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        self._http()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._owns_session:
                raise FinaleError("The connection to Finale was closed.", detail="shared session closed")
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=self._timeout,
                trace_configs=[read_only_trace()],
            )
        return self._session

    # ------------------------------------------------------------ HTTP

    def _resource_path(self, collection: str, resource_id: str) -> str:
        return f"/{self.account}/api/{collection}/{resource_id}"

    async def _collection(
        self,
        collection: str,
        spec: Mapping[str, list[Any]] | None = None,
        *,
        convert: Callable[[Any], Any] | None = None,
        keep: frozenset[str] | None = None,
    ) -> Any:
        """The decoded collection; with `convert`, what `convert(payload)` makes of it (off the event loop)."""
        query = {"filter": encode_filter(spec)} if spec else {}
        url = f"{self._origin}{self._prefix}/{self.account}/api/{collection}/"
        if query:
            url += "?" + urlencode(query)
        payload = await self._get_json(url, f"the {collection} list", keep=keep)
        return payload if convert is None else await _off_loop(convert, payload)

    async def _report(self, url: str, what: str) -> list[Any]:
        payload = await self._get_json(url, f"the {what}", report=True)
        if not isinstance(payload, list):
            raise FinaleError(
                f"Finale's {what} did not come back as a list of rows. Check that the report URL is a saved "
                "report copied from Finale.",
                detail=f"{what}: top-level {type(payload).__name__}",
            )
        return payload

    async def _get_json(self, url: str, what: str, *, report: bool = False, keep: frozenset[str] | None = None) -> Any:
        path = urlsplit(url).path
        attempt = 0
        while True:
            attempt += 1
            wait: float | None = None
            reason = ""
            body: bytes | None = None
            content_type = ""
            try:
                async with self._limit:
                    session = self._http()
                    async with session.get(URL(url, encoded=True), headers=self._headers) as resp:
                        if resp.status == 200:
                            body = await resp.read()
                            content_type = resp.content_type
                        elif resp.status == 429:
                            wait = _retry_after(resp.headers.get("Retry-After"))
                            reason = "busy"
                        elif resp.status >= 500:
                            reason = f"HTTP {resp.status}"
                        else:
                            text = (await resp.text(errors="replace"))[:300]
                            raise _status_error(resp.status, text, what, path, self.account, report=report)
            except aiohttp.ClientConnectorError as exc:
                raise FinaleError(
                    f"Preflight could not connect to Finale at {self._origin}. Check FINALE_BASE_URL and the "
                    f"network, then {RETRY_LATER[0].lower()}{RETRY_LATER[1:]}",
                    detail=f"GET {path}: {type(exc).__name__}: {exc.os_error}",
                ) from None
            except (
                aiohttp.ServerDisconnectedError,
                aiohttp.ClientPayloadError,
                aiohttp.ClientOSError,
            ) as exc:
                reason = f"connection dropped ({type(exc).__name__})"
            except TimeoutError:
                reason = "timed out"
            except aiohttp.ClientError as exc:  # a redirect loop, a malformed answer...: still a FinaleError
                raise FinaleError(
                    f"Preflight could not complete its request to Finale for {what} ({type(exc).__name__}). "
                    + RETRY_LATER,
                    detail=f"GET {path}: {type(exc).__name__}",
                ) from None
            if body is not None:
                if len(body) < OFF_LOOP_BYTES:
                    return _decode(body, content_type, what, path, report=report, keep=keep)
                # A large answer takes a while to decode: on a worker thread, in pieces (see _loads).
                decode = functools.partial(_decode, report=report, keep=keep)
                return await _off_loop(decode, body, content_type, what, path)
            if attempt > self._max_retries:
                busy = reason == "busy"
                raise FinaleError(
                    (
                        f"Finale is busy and asked Preflight to slow down while reading {what}. "
                        if busy
                        else f"Finale could not be reached while reading {what} ({reason}). "
                    )
                    + RETRY_LATER,
                    detail=f"GET {path}: {reason} after {attempt} attempts",
                )
            if wait is None:
                wait = self._backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)
            wait = max(0.0, min(wait, self._max_wait))
            log.info("Finale %s for GET %s; retry %d in %.2fs", reason, path, attempt, wait)
            await asyncio.sleep(wait)


def _decode(
    body: bytes, content_type: str, what: str, path: str, *, report: bool, keep: frozenset[str] | None = None
) -> Any:
    if content_type == "text/html" or body.lstrip()[:1] == b"<":
        hint = (
            "The report address may be the page form (pivotTableStream) of a report that Preflight could not "
            "turn into data; copy it from Finale again."
            if report
            else "Check FINALE_BASE_URL: it should be the Finale server, such as " + DEFAULT_BASE_URL + "."
        )
        raise FinaleError(
            f"Finale answered with a web page instead of data for {what}. {hint}",
            detail=f"GET {path}: HTML answer",
        )
    try:
        return _loads(body, keep)
    except (ValueError, UnicodeDecodeError):
        raise FinaleError(
            f"Finale sent {what} in a form Preflight could not read (cut off or not JSON). {RETRY_LATER}",
            detail=f"GET {path}: invalid JSON ({len(body)} bytes)",
        ) from None


def _status_error(status: int, text: str, what: str, path: str, account: str, *, report: bool) -> FinaleError:
    detail = f"GET {path}: HTTP {status}: {text[:200]}"
    if status == 401:
        return FinaleAuthError(AUTH_MESSAGE, detail=f"GET {path}: HTTP 401")
    if status == 403:
        return FinaleAuthError(
            "Finale refused access with this API key. Check that the key is still active under Application "
            "settings > Users > API keys.",
            detail=detail,
        )
    if status == 404:
        if report:
            return FinaleError(
                f"Finale has no such report for {what}. The saved report may have been deleted; build it "
                "again in Finale and copy its address.",
                detail=detail,
            )
        return FinaleError(
            f"Finale has no account {account!r} (or it does not offer {what}). FINALE_ACCOUNT must be the "
            "part of your Finale address after app.finaleinventory.com/.",
            detail=detail,
        )
    return FinaleError(f"Finale refused the request for {what} (HTTP {status}). {RETRY_LATER}", detail=detail)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def read_only_trace() -> aiohttp.TraceConfig:
    """Preflight only reads Finale: any other method is refused before the request leaves."""

    async def only_get(_: aiohttp.ClientSession, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
        if params.method.upper() not in ("GET", "HEAD"):
            raise FinaleError(
                "Preflight only reads Finale; it did not send that request.", detail=f"refused {params.method}"
            )

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(only_get)
    return trace
