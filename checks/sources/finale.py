"""The Finale Inventory client: REST collections and saved reports, read-only, over aiohttp.

Finale's facts this client relies on (research/finale.md): `/{account}/api/{collection}/` with HTTP Basic
auth (API key and secret); collections come back column-major (`{"productId": [...], ...}`) and are
transposed with `zip(*columns)`; `filter=` is Base64 JSON of `{field: [lo, hi]}`; an answer holds at most
120,000 entities and `lastUpdatedDate` filters span at most 30 days, so large order books are read in
30-day `lastUpdatedDate` windows; average cost and the inventory asset value come from reports the owner
builds in Finale, fetched through the Reporting API (`pivotTable`, `format=jsonObject`), whose values are
display strings ("1,234.50", "--").

Money and quantities are Decimal, parsed from the JSON text (never through float). Messages of the errors
raised are written for the person in the chat; the API key and secret never appear in them or in logs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import functools
import json
import logging
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import repeat
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import aiohttp
from yarl import URL

from checks.snapshot import FinaleProduct, SalesOrder, StockRow
from checks.sources.errors import ConfigurationError, FinaleAuthError, FinaleError

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BASE_URL = "https://app.finaleinventory.com"
ENTITY_CAP = 120_000
UPDATED_WINDOW = timedelta(days=30)
# The report filter that sets the as-of date (a real Finale stock-report filter name, finale.md 2.9).
AS_OF_FILTER = "stockEffectiveDate"
TIMESTAMP = "%Y-%m-%dT%H:%M:%S"

AUTH_MESSAGE = (
    "Finale rejected the API key and secret. In Finale open Application settings > Users > API keys, "
    "create a new key (the secret is shown only once), then enter both again with `connect finale`."
)
RETRY_LATER = "Try again in a few minutes; nothing was changed."


def _report_missing(what: str, setting: str) -> str:
    return (
        f"Preflight has no Finale report for {what} yet. In Finale, build a report with that column "
        "(Reports > create or open a report, add the column, save it), copy the report's address from the "
        f"browser and put it in {setting}."
    )


class FinaleSource:
    """Reads one Finale account. Use as `async with FinaleSource(...) as finale:` or call `aclose()`."""

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

    def __repr__(self) -> str:  # never shows the key or secret
        return f"FinaleSource(account={self.account!r}, base={self._origin!r})"

    # ------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FinaleSource:
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
                connector=aiohttp.TCPConnector(limit=self._max_connections), timeout=self._timeout
            )
        return self._session

    # ------------------------------------------------------------ public reads

    async def check_credentials(self) -> None:
        """One cheap call (the small facility list) that proves the account, key and secret work."""
        payload = await self._collection("facility")
        for _ in transpose(payload, "facility list", ("facilityUrl",)):
            pass

    async def products(self) -> list[FinaleProduct]:
        payload = await self._collection("product", keep=PRODUCT_COLUMNS)
        return await _off_loop(self._products_from, payload)

    def _products_from(self, payload: Any) -> list[FinaleProduct]:
        return [
            FinaleProduct(
                product_id=str(pid),
                name=str(name) if name is not None else str(pid),
                active=status == "PRODUCT_ACTIVE",
                product_url=str(url) if url is not None else self._resource_path("product", str(pid)),
            )
            for pid, url, name, status in transpose(
                payload, "product list", ("productId",), ("productUrl", "internalName", "statusId")
            )
        ]

    async def stock(self) -> list[StockRow]:
        """On-hand rows of inventoryitem (no order, quantityOnHand set), named after their sublocation."""
        items, facilities = await asyncio.gather(
            self._collection("inventoryitem", keep=STOCK_COLUMNS), self._collection("facility")
        )
        rows = await _off_loop(_stock_rows, items)
        product_ids: dict[str, str] = {}
        if any(r[2] is None and r[5] is None and r[1] is not None for r in rows):
            # No productId: productUrl is not always /product/{productId}, so resolve it via the catalogue.
            product_ids = {p.product_url: p.product_id for p in await self.products()}
        return await _off_loop(self._stock_from, facilities, rows, product_ids)

    def _stock_from(self, facilities: Any, rows: list[tuple[Any, ...]], product_ids: dict[str, str]) -> list[StockRow]:
        names = {
            url: str(name) if name is not None else str(url)
            for url, name in transpose(facilities, "facility list", ("facilityUrl",), ("facilityName",))
        }
        result = []
        for facility_url, qoh, pid, product_url, lot_id, order_url in rows:
            if order_url is not None or qoh is None:
                continue
            product_id = pid if pid is not None else product_ids.get(product_url) or _last_segment(product_url)
            result.append(
                StockRow(
                    product_id=str(product_id),
                    sublocation=str(facility_url),
                    sublocation_name=names.get(facility_url, str(facility_url)),
                    lot_id=str(lot_id) if lot_id not in (None, "") else None,
                    quantity_on_hand=to_decimal(qoh, "quantityOnHand"),
                )
            )
        return result

    async def sales_orders(self, since: date | None) -> list[SalesOrder]:
        """Sales orders dated on or after `since` (all of them when None), each exactly once.

        One filtered request usually answers. When the answer is cut at the entity cap, the orders are read
        again in `lastUpdatedDate` windows of at most 30 days (concurrently, bounded), each window halved
        again while its own answer is still cut, and merged by orderId.
        """
        spec: dict[str, list[Any]] = {"orderTypeId": ["SALES_ORDER", "SALES_ORDER"]}
        if since is not None:
            spec["orderDate"] = [datetime.combine(since, datetime.min.time()).strftime(TIMESTAMP), None]
        # Each answer becomes SalesOrders as soon as it arrives (off the event loop), so the raw rows of one
        # answer are gone before the next is decoded. Merged by orderId, a later answer's row wins and keeps
        # the first one's position; an order dated before `since` is dropped (None) wherever it is seen.
        merged, n_rows, span = await self._collection(
            "order", spec, convert=lambda payload: _orders_from(payload, since, self.entity_cap), keep=ORDER_COLUMNS
        )
        if n_rows >= self.entity_cap:
            assert span is not None
            start, end = span
            log.info("Finale order answer hit the %d-entity cap; reading %s..%s in windows", n_rows, start, end)
            bounds = []
            lo = start
            while lo < end:
                bounds.append((lo, min(lo + UPDATED_WINDOW, end)))
                lo += UPDATED_WINDOW
            for window in await asyncio.gather(*(self._order_window(spec, since, a, b) for a, b in bounds)):
                merged.update(window)
        # Then the invoices (after the orders, so the two large answers are never decoded at once): an order's
        # invoice list can name a cancelled invoice, and an invoice may name its order without being listed.
        live, cancelled = await self._invoice_links(since)
        return await _off_loop(_with_invoices, [o for o in merged.values() if o is not None], live, cancelled)

    async def _invoice_links(self, since: date | None) -> tuple[dict[str, set[str]], set[str]]:
        """Invoices by the order they belong to (its id), and the URLs of cancelled invoices."""
        spec: dict[str, list[Any]] = {}
        if since is not None:
            # An order's invoice is never dated before the order.
            spec["invoiceDate"] = [datetime.combine(since, datetime.min.time()).strftime(TIMESTAMP), None]
        rows: list[tuple[Any, ...]] = await self._collection(
            "invoice", spec or None, convert=_invoice_rows, keep=INVOICE_COLUMNS
        )
        if len(rows) >= self.entity_cap:
            # Cut at the cap: read again in lastUpdatedDate windows, as for orders.
            lo, end = _window_range((r[3] for r in rows), since)
            windows = []
            while lo < end:
                hi = min(lo + UPDATED_WINDOW, end)
                window = {**spec, "lastUpdatedDate": [lo.strftime(TIMESTAMP), hi.strftime(TIMESTAMP)]}
                windows.append(self._collection("invoice", window, convert=_invoice_rows, keep=INVOICE_COLUMNS))
                lo = hi
            rows = [row for part in await asyncio.gather(*windows) for row in part]
        return await _off_loop(_invoice_index, rows)

    async def average_costs(self, as_of: date) -> dict[str, Decimal | None]:
        """Average cost per product id on `as_of` from the configured report; None where Finale shows "--"."""
        url = self._report_url(self._average_cost_report_url, as_of, "average cost", "FINALE_AVERAGE_COST_REPORT_URL")
        rows = await self._report(url, "average cost report")
        return await _off_loop(_average_costs_from, rows)

    async def inventory_value(self, on: date) -> Decimal:
        """Finale's inventory asset value on `on`: the report's "TOTAL:" value, else the sum of its rows."""
        url = self._report_url(
            self._inventory_value_report_url, on, "the inventory value", "FINALE_INVENTORY_VALUE_REPORT_URL"
        )
        rows = await self._report(url, "inventory value report")
        return await _off_loop(_inventory_value_from, rows)

    # ------------------------------------------------------------ orders in windows

    async def _order_window(
        self, spec: Mapping[str, list[Any]], since: date | None, lo: datetime, hi: datetime
    ) -> dict[str, SalesOrder | None]:
        window = {**spec, "lastUpdatedDate": [lo.strftime(TIMESTAMP), hi.strftime(TIMESTAMP)]}
        orders, n_rows, _ = await self._collection(
            "order", window, convert=lambda p: _orders_from(p, since), keep=ORDER_COLUMNS
        )
        if n_rows < self.entity_cap:
            return orders
        if hi - lo <= timedelta(minutes=1):
            raise FinaleError(
                "Finale has more sales orders changed within one minute than its API returns at once, so "
                "Preflight cannot list them all. Contact Finale support.",
                detail=f"order window {lo}..{hi} still at the {self.entity_cap}-entity cap",
            )
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        halves = await asyncio.gather(
            self._order_window(spec, since, lo, mid), self._order_window(spec, since, mid, hi)
        )
        return {**halves[0], **halves[1]}

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

    # ------------------------------------------------------------ reports

    def _report_url(self, configured: str | None, as_of: date, what: str, setting: str) -> str:
        if not configured or not configured.strip():
            raise ConfigurationError(_report_missing(what, setting))
        return report_data_url(
            configured.strip(),
            as_of,
            origin=self._origin,
            prefix=self._prefix,
            account=self.account,
            setting=setting,
        )


# ---------------------------------------------------------------- helpers (pure, tested through the client)


# The columns the reads below use; an answer's other columns are dropped as they are decoded.
PRODUCT_COLUMNS = frozenset({"productId", "productUrl", "internalName", "statusId"})
STOCK_COLUMNS = frozenset({"facilityUrl", "quantityOnHand", "productId", "productUrl", "lotId", "orderUrl"})
ORDER_COLUMNS = frozenset(
    {"orderId", "statusId", "orderDate", "saleSourceId", "invoiceUrlList", "total", "lastUpdatedDate"}
)
INVOICE_COLUMNS = frozenset({"invoiceUrl", "primaryOrderUrl", "statusId", "lastUpdatedDate"})
CANCELLED_INVOICE = "INVOICE_CANCELLED"

# Answers at least this large are decoded and converted on a worker thread, never on the event loop.
OFF_LOOP_BYTES = 256 * 1024

_DECODER = json.JSONDecoder(parse_float=Decimal)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


# One thread for decoding and converting large answers: the work is CPU-bound (one GIL), so a second thread
# would not finish it sooner, but would hold a second set of intermediates (peak memory). Its own pool also
# keeps it from queueing behind the QBO reads, which hold the default executor's threads while they wait.
_CONVERTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="finale-decode")


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run CPU work on the converter thread, so that the chat's event loop keeps answering meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_CONVERTER, fn, *args)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A Python-level hook gives other threads the interpreter between objects (a C decoder would not).
    return dict(pairs)


def _loads(body: bytes, keep: frozenset[str] | None = None) -> Any:
    """`json.loads(body, parse_float=Decimal)`, decoded in pieces so that no single step holds the GIL long.

    A column-major collection (`{"orderId": [...200,000 ids...], ...}`) is decoded one column at a time; a
    report (a list of row objects) with a Python hook per row. Either way other threads, above all the
    event loop answering the chat, get the interpreter every few milliseconds. Anything unusual falls back
    to `json.loads`, so results and errors are exactly json's.
    """
    text = body.decode(json.detect_encoding(body), "surrogatepass")
    try:
        return _loads_members(text, keep)
    except (ValueError, IndexError):
        return json.loads(text, parse_float=Decimal, object_pairs_hook=_pairs)


def _loads_members(text: str, keep: frozenset[str] | None = None) -> dict[str, Any]:
    """A top-level JSON object, member by member; ValueError when `text` is anything else.

    With `keep`, the values of other members are checked and dropped at once (their names stay, with None):
    a 200,000-order answer carries columns no check reads, and holding them all would only raise the peak."""
    i = _skip(text, 0)
    if text[i] != "{":
        raise ValueError("not an object")
    out: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i] != "}":
        while True:
            if text[i] != '"':
                raise ValueError("expected a member name")
            key, i = _scanstring(text, i + 1)
            i = _skip(text, i)
            if text[i] != ":":
                raise ValueError("expected ':'")
            value, i = _DECODER.raw_decode(text, _skip(text, i + 1))
            out[key] = value if keep is None or key in keep else None
            i = _skip(text, i)
            if text[i] == ",":
                i = _skip(text, i + 1)
                continue
            if text[i] != "}":
                raise ValueError("expected ',' or '}'")
            break
    if _skip(text, i + 1) != len(text):
        raise ValueError("extra data")
    return out


def _skip(text: str, i: int) -> int:
    """The index of the first non-whitespace character at or after `i` (JSON's whitespace)."""
    match = _WHITESPACE.match(text, i)
    return i if match is None else match.end()


def encode_filter(spec: Mapping[str, list[Any]]) -> str:
    return base64.b64encode(json.dumps(spec, separators=(",", ":")).encode()).decode()


def transpose(
    payload: Any, what: str, required: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[Any, ...]]:
    """Rows of a column-major collection as tuples (required columns first, then optional ones; a missing
    optional column reads as None). An empty object is an empty collection."""
    if not isinstance(payload, dict):
        raise FinaleError(
            f"Finale returned {what} in an unexpected shape. {RETRY_LATER}",
            detail=f"{what}: expected a column table, got {type(payload).__name__}",
        )
    if not payload:
        return iter(())
    missing = [k for k in required if k not in payload]
    if missing:
        raise FinaleError(
            f"Finale returned {what} without the {', '.join(missing)} column. {RETRY_LATER}",
            detail=f"{what}: columns {sorted(payload)[:20]}",
        )
    columns: list[Any] = []
    lengths: dict[str, int] = {}
    for key in (*required, *optional):
        column = payload.get(key)
        if column is None and key not in required:
            columns.append(repeat(None))
            continue
        if not isinstance(column, list):
            raise FinaleError(
                f"Finale returned {what} with a malformed {key} column. {RETRY_LATER}",
                detail=f"{what}: {key} is {type(column).__name__}",
            )
        lengths[key] = len(column)
        columns.append(column)
    if len(set(lengths.values())) > 1:
        raise FinaleError(
            f"Finale returned {what} whose columns have different lengths, so rows cannot be matched up. {RETRY_LATER}",
            detail=f"{what}: column lengths {lengths}",
        )
    # Lengths were checked above; repeat(None) stands in for absent optional columns, so strict is off.
    return zip(*columns)  # noqa: B905


def to_decimal(value: Any, what: str) -> Decimal:
    """A JSON number (parsed as Decimal or int) or numeric text as Decimal; never through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        parsed = parse_display_decimal(value, what)
        if parsed is not None:
            return parsed
    raise FinaleError(f"Finale returned {value!r} where a number ({what}) was expected.", detail=what)


def parse_display_decimal(value: Any, what: str) -> Decimal | None:
    """A number as Finale's UI shows it: "1,234.50", "$12.00", "(3.00)" or "-3.00"; "--" and "" are None."""
    if value is None:
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if text in ("", "--", "-", "—"):
        return None
    negative = text.startswith("(") and text.endswith(")")
    cleaned = text.strip("()").replace(",", "").replace("$", "").replace("\u00a0", "").replace(" ", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise FinaleError(
            f"Finale's report shows {text!r} in the {what!r} column, which is not a number.",
            detail=f"unparsable {what}: {text!r}",
        ) from None
    if not number.is_finite():
        raise FinaleError(f"Finale's report shows {text!r} in the {what!r} column.", detail=what)
    return -number if negative else number


def report_data_url(configured: str, as_of: date, *, origin: str, prefix: str, account: str, setting: str) -> str:
    """The data form of a report address a person copied from Finale: `/pivotTableStream/` becomes
    `/pivotTable/` (the stream form is a web page), `format=jsonObject`, and the as-of date filter set."""
    parts = urlsplit(configured)
    if not parts.scheme and configured.startswith("/"):
        parts = urlsplit(origin + configured)
    if parts.scheme not in ("http", "https") or "/doc/report/" not in parts.path:
        raise ConfigurationError(
            f"{setting} is not a Finale report address. Open the report in Finale, copy the address from the "
            "browser (it contains /doc/report/) and paste it again."
        )
    # The API key goes with this request, so it must go to the Finale server, never to another host.
    if f"{parts.scheme}://{parts.netloc}".lower() != origin.lower():
        raise ConfigurationError(
            f"{setting} points to {parts.netloc}, but Finale is at {urlsplit(origin).netloc}. Copy the "
            "report address from your Finale account again."
        )
    path = parts.path.replace("/pivotTableStream/", "/pivotTable/")
    if not path.startswith(f"{prefix}/{account}/doc/report/"):
        raise ConfigurationError(
            f"{setting} belongs to another Finale account than {account!r}. Copy the report address from the "
            f"{account} account."
        )
    head, _, name = path.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    path = f"{head}/{stem or 'Report'}.json"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("format", "filters")]
    raw_filters = dict(parse_qsl(parts.query, keep_blank_values=True)).get("filters")
    filters = [f for f in _decode_report_filters(raw_filters, setting) if not (f and f[0] == AS_OF_FILTER)]
    filters.append([AS_OF_FILTER, [None, as_of.isoformat()], None])
    query += [("format", "jsonObject"), ("filters", encode_filter_list(filters))]
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def encode_filter_list(filters: list[list[Any]]) -> str:
    return base64.b64encode(json.dumps(filters, separators=(",", ":")).encode()).decode()


def _decode_report_filters(raw: str | None, setting: str) -> list[list[Any]]:
    if not raw:
        return []
    # A pasted URL may carry the Base64 '+' unencoded, which query parsing turns into a space.
    text = raw.strip().replace(" ", "+").replace("-", "+").replace("_", "/")
    try:
        decoded = json.loads(base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, list) or not all(isinstance(f, list) for f in decoded):
        raise ConfigurationError(
            f"The filters in {setting} could not be read. Copy the report address from Finale again."
        )
    return decoded


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


def _order_rows(payload: Any) -> list[tuple[Any, ...]]:
    return list(
        transpose(
            payload,
            "sales order list",
            ("orderId",),
            ("statusId", "orderDate", "saleSourceId", "invoiceUrlList", "total", "lastUpdatedDate"),
        )
    )


def _orders_from(
    payload: Any, since: date | None, cap: int | None = None
) -> tuple[dict[Any, SalesOrder | None], int, tuple[datetime, datetime] | None]:
    """An order answer as ({orderId: SalesOrder, or None when dated before `since`}, rows, window span).

    The span to re-read in windows (`_window_range`) is worked out only when the answer reached `cap`,
    while its rows are at hand. This runs once per order of a large company: it stays lean (dates and
    statuses shared between the orders that have the same text, positional construction)."""
    rows = _order_rows(payload)
    span = _window_range((r[6] for r in rows), since) if cap is not None and len(rows) >= cap else None
    days: dict[Any, date | None] = {}  # orders share their dates: parse each text once
    texts: dict[Any, str] = {}  # and their statuses and sale sources
    orders: dict[Any, SalesOrder | None] = {}
    make = SalesOrder
    for order_id, status, order_date, source, invoice_urls, total, _updated in rows:
        try:
            day = days[order_date]
        except (KeyError, TypeError):  # TypeError: not hashable, so not a date either
            day = _parse_day(order_date)
            if isinstance(order_date, str):
                days[order_date] = day
        if day is None or (since is not None and day < since):
            orders[order_id] = None  # merged by the raw id, as the rows were
            continue
        status_text = texts.get(status)
        if status_text is None:
            status_text = texts[status] = str(status)
        if source is None or source == "":
            source_text = None
        else:
            source_text = texts.get(source)
            if source_text is None:
                source_text = texts[source] = str(source)
        orders[order_id] = make(
            order_id if type(order_id) is str else str(order_id),
            status_text,
            day,
            source_text,
            _urls(invoice_urls),
            None if total is None else total if type(total) is Decimal else to_decimal(total, "total"),
        )
    return orders, len(rows), span


def _urls(value: Any) -> tuple[str, ...]:
    return tuple(map(str, value)) if value else ()  # str() of a str is the same object


def _invoice_rows(payload: Any) -> list[tuple[Any, ...]]:
    return list(transpose(payload, "invoice list", ("invoiceUrl",), ("primaryOrderUrl", "statusId", "lastUpdatedDate")))


def _invoice_index(rows: Sequence[tuple[Any, ...]]) -> tuple[dict[str, set[str]], set[str]]:
    live: dict[str, set[str]] = {}
    cancelled: set[str] = set()
    for url, order_url, status, _updated in rows:
        if status == CANCELLED_INVOICE:
            cancelled.add(str(url))
        elif order_url:
            live.setdefault(_last_segment(order_url), set()).add(str(url))
    return live, cancelled


def _with_invoices(orders: list[SalesOrder], live: Mapping[str, set[str]], cancelled: set[str]) -> list[SalesOrder]:
    """Each order with the invoices that count: its own list and the invoices naming it, less cancelled ones."""
    out = []
    for order in orders:
        linked = live.get(order.order_id)
        if not linked and not cancelled:
            out.append(order)
            continue
        urls = {u for u in order.invoice_urls if u not in cancelled} | (linked or set())
        if urls == set(order.invoice_urls):
            out.append(order)
        else:
            out.append(replace(order, invoice_urls=tuple(sorted(urls))))
    return out


def _stock_rows(payload: Any) -> list[tuple[Any, ...]]:
    return list(
        transpose(
            payload,
            "stock list",
            ("facilityUrl", "quantityOnHand"),
            ("productId", "productUrl", "lotId", "orderUrl"),
        )
    )


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo is not None else parsed


def _parse_day(value: Any) -> date | None:
    parsed = _parse_datetime(value)
    return parsed.date() if parsed is not None else None


def _window_range(updated: Iterable[Any], since: date | None) -> tuple[datetime, datetime]:
    """The `lastUpdatedDate` span to read in windows: from the earliest change seen (or the start date, when
    earlier: a future-dated order may not have changed since) to tomorrow or the latest change seen."""
    distinct = {u for u in updated if isinstance(u, str)}  # many orders share a timestamp: parse each once
    seen = [d for d in (_parse_datetime(u) for u in distinct) if d is not None]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    start = min([*seen, now] + ([datetime.combine(since, datetime.min.time())] if since else []))
    end = max([*seen, now])
    return start.replace(hour=0, minute=0, second=0) - timedelta(days=1), end + timedelta(days=1)


def _last_segment(url: Any) -> str:
    return unquote(str(url).rstrip("/").rpartition("/")[2])


def _norm(title: str) -> str:
    return " ".join(title.replace("\n", " ").split()).lower()


def _columns(rows: Sequence[Any], what: str, id_titles: Sequence[str], value_titles: Sequence[str]) -> tuple[str, str]:
    """The report's product-id and value column titles (matched loosely: layouts are the owner's)."""
    titles: list[str] = []
    for row in rows:
        if isinstance(row, dict):
            titles.extend(k for k in row if k not in titles)
    if not titles:
        return id_titles[0], value_titles[0]  # an empty report: nothing to read
    id_col = next((t for want in id_titles for t in titles if _norm(t) == want), None)
    value_col = next((t for want in value_titles for t in titles if _norm(t) == want), None)
    if value_col is None:
        value_col = next((t for want in value_titles for t in titles if want in _norm(t)), None)
    if id_col is None or value_col is None:
        need = "Product ID" if id_col is None else value_titles[0].capitalize()
        raise ConfigurationError(
            f"The {what} has no {need!r} column (it has {', '.join(repr(t) for t in titles[:8])}). Add the "
            "column to the report in Finale, save it and copy its address again."
        )
    return id_col, value_col


def _average_costs_from(rows: list[Any]) -> dict[str, Decimal | None]:
    id_col, cost_col = _columns(rows, "average cost report", ("product id", "product"), ("average cost",))
    costs: dict[str, Decimal | None] = {}
    for row in _data_rows(rows, id_col, cost_col):
        product_id = str(row[id_col]).strip()
        cost = parse_display_decimal(row.get(cost_col), cost_col)
        if costs.get(product_id) is None:  # grouped reports may list a product once per group
            costs[product_id] = cost
    return costs


def _inventory_value_from(rows: list[Any]) -> Decimal:
    id_col, value_col = _columns(rows, "inventory value report", ("product id", "product"), ("value",))
    for row in rows:
        if isinstance(row, dict) and any(_is_total(v) for v in row.values()):
            total = parse_display_decimal(row.get(value_col), value_col)
            if total is not None:
                return total
    values = (parse_display_decimal(r.get(value_col), value_col) for r in _data_rows(rows, id_col, value_col))
    return sum((v for v in values if v is not None), Decimal(0))


def _is_total(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper().startswith("TOTAL")


def _data_rows(rows: Sequence[Any], id_col: str, value_col: str) -> Iterator[dict[str, Any]]:
    """Product rows only: skips header rows (titles repeated), group headers (no value) and TOTAL rows."""
    for row in rows:
        if not isinstance(row, dict):
            continue
        ident = row.get(id_col)
        if ident is None or not str(ident).strip() or _is_total(ident):
            continue
        if any(_is_total(v) for v in row.values()):
            continue
        if all(isinstance(k, str) and v == k for k, v in row.items()):
            continue
        if value_col not in row or row[value_col] == "":
            continue
        yield row
