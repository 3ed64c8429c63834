"""What the QBO simulator remembers besides the companies: OAuth grants, tokens, faults to inject, counters.

The aiohttp handlers run on the server's own thread while tests poke the state from theirs, so everything
here that both sides touch is guarded by one lock.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.company import QboCompanyRec, QboItemRec

ACCESS_TOKEN_TTL = 3600.0
REFRESH_TOKEN_TTL = 100 * 86400.0  # rolling, extended on every use
# Intuit: "The previous refresh_token is now stale and expires after 24 hours."
STALE_REFRESH_GRACE = 86400.0
MIN_MINOR_VERSION = 75


@dataclass
class _Grant:
    """One connection of an app to a realm: a chain of refresh tokens, the newest being `current`."""

    realm_id: str
    current: str
    current_since: float = 0.0  # when `current` was issued
    stale: dict[str, float] = field(default_factory=dict)  # rotated-out token -> when it went stale
    refresh_expires_at: float = 0.0
    revoked: bool = False


@dataclass
class _Access:
    grant: _Grant
    expires_at: float


@dataclass(frozen=True, slots=True)
class RequestRecord:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    realm_id: str | None
    client: str = ""  # the User-Agent: which program sent it


class ItemIndex:
    """Items sorted by numeric Id and keyed by Id, rebuilt when the company's item list changes shape.

    The company model is mutated in place by tests and the demo (append an item, flip `active`): attribute
    changes need no rebuild, since the index holds the records themselves.
    """

    def __init__(self) -> None:
        self._fingerprint: tuple[int, int, int, int] | None = None
        self._sorted: list[QboItemRec] = []
        self._by_id: dict[str, QboItemRec] = {}

    def _refresh(self, items: list[QboItemRec]) -> None:
        fp = (id(items), len(items), id(items[0]) if items else 0, id(items[-1]) if items else 0)
        if fp != self._fingerprint:
            self._sorted = sorted(items, key=lambda r: id_key(r.id))
            self._by_id = {r.id: r for r in items}
            self._fingerprint = fp

    def sorted(self, company: QboCompanyRec) -> list[QboItemRec]:
        self._refresh(company.items)
        return self._sorted

    def get(self, company: QboCompanyRec, item_id: str) -> QboItemRec | None:
        self._refresh(company.items)
        return self._by_id.get(item_id)


def id_key(value: str) -> tuple[int, int | str]:
    """Numeric Ids sort as numbers (QBO Ids are numeric strings), anything else after them."""
    return (0, int(value)) if value.isdigit() else (1, value)


class QboSandboxState:
    """The simulator's companies, OAuth clients and test hooks.

    `QboSandboxState(companies=[rec])`, then `make_qbo_app(state)` and serve it with `BackgroundServer`.
    Use `issue_tokens(realm_id)` to skip the consent round trip, or drive `/authorize` + the token endpoint.
    """

    def __init__(
        self,
        companies: list[QboCompanyRec] | None = None,
        *,
        client_id: str = "sandbox-client-id",
        client_secret: str = "sandbox-client-secret",
        access_token_ttl: float = ACCESS_TOKEN_TTL,
        stale_refresh_grace: float = STALE_REFRESH_GRACE,
        latency: float = 0.0,
        enforce_rate_limits: bool = False,
        strict_minor_version: bool = False,
        rotate_after: float = 0.0,
    ) -> None:
        self.companies: dict[str, QboCompanyRec] = {}
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token_ttl = access_token_ttl
        self.stale_refresh_grace = stale_refresh_grace
        # A refresh returns a new refresh token once the current one is this old (Intuit: about a day, so most
        # refreshes hand back the same one); 0 rotates on every refresh.
        self.rotate_after = rotate_after
        self.token_requests = 0  # every call of the token endpoint, answered or refused
        self.latency = latency  # seconds added to every v3 request
        self.enforce_rate_limits = enforce_rate_limits
        # Benchmarks: build query and report answers on a worker thread, so that the server's event loop
        # notices (and timestamps, for the rate limits) the next request while a large page is rendered.
        self.answer_in_thread = False
        # Benchmarks: render each query and report answer once and give it again until the company is written
        # to through the API, as a remote QBO would answer, without spending the benchmark machine's CPU (nor
        # the moment the simulator notices the next request, which its rate limit counts) on rendering it.
        # A remembered answer keeps the `time` it was first rendered at.
        self.remember_answers = False
        self._answers: dict[tuple[str, ...], bytes] = {}
        self.per_second_limit = 10
        self.per_minute_limit = 500
        self.strict_minor_version = strict_minor_version
        self.requests: Counter[str] = Counter()  # request path -> count
        self.request_log: list[RequestRecord] = []
        self.minor_versions: list[str | None] = []  # `minorversion` of each v3 request, in order
        self.refresh_count = 0  # successful refresh_token grants
        # Called (on the server thread) for every v3 request before it is answered: lets a test change the
        # company between two calls of a client, e.g. add items while it pages.
        self.on_request: Callable[[RequestRecord], None] | None = None
        self.lock = threading.RLock()
        self._clock_offset = 0.0
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Grant] = {}
        self._codes: dict[str, tuple[str, str]] = {}  # code -> (realm id, redirect uri)
        self._inject: deque[tuple[int, float | None]] = deque()  # (status, Retry-After)
        self._windows: dict[str, deque[float]] = {}
        self._item_indexes: dict[str, ItemIndex] = {}
        for company in companies or []:
            self.add_company(company)

    # ------------------------------------------------------------ companies

    def add_company(self, company: QboCompanyRec) -> None:
        with self.lock:
            self.companies[company.realm_id] = company
            self._item_indexes[company.realm_id] = ItemIndex()

    @property
    def default_realm_id(self) -> str:
        return next(iter(self.companies))

    def item_index(self, realm_id: str) -> ItemIndex:
        return self._item_indexes[realm_id]

    def remembered(self, key: tuple[str, ...]) -> bytes | None:
        with self.lock:
            return self._answers.get(key) if self.remember_answers else None

    def remember(self, key: tuple[str, ...], body: bytes) -> None:
        with self.lock:
            if self.remember_answers:
                self._answers[key] = body

    def forget_answers(self) -> None:
        """The company changed: every remembered answer may be stale."""
        with self.lock:
            self._answers.clear()

    # ------------------------------------------------------------ clock

    def now(self) -> float:
        """Wall-clock seconds as the token store sees them; `advance_clock` moves it forward."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self._clock_offset += seconds

    # ------------------------------------------------------------ OAuth

    def _new_access(self, grant: _Grant) -> str:
        token = "at_" + secrets.token_urlsafe(32)
        self._access[token] = _Access(grant, self.now() + self.access_token_ttl)
        return token

    def _token_response(self, grant: _Grant, access: str) -> dict[str, object]:
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": grant.current,
            "expires_in": int(self.access_token_ttl),
            "x_refresh_token_expires_in": int(max(grant.refresh_expires_at - self.now(), 0)),
        }

    def issue_tokens(self, realm_id: str) -> dict[str, object]:
        """Start a new connection to `realm_id` and return its token JSON, as the token endpoint would."""
        with self.lock:
            if realm_id not in self.companies:
                raise KeyError(realm_id)
            now = self.now()
            grant = _Grant(
                realm_id,
                "rt_" + secrets.token_urlsafe(32),
                current_since=now,
                refresh_expires_at=now + REFRESH_TOKEN_TTL,
            )
            self._refresh[grant.current] = grant
            return self._token_response(grant, self._new_access(grant))

    def new_authorization_code(self, realm_id: str, redirect_uri: str) -> str:
        with self.lock:
            code = "code_" + secrets.token_urlsafe(24)
            self._codes[code] = (realm_id, redirect_uri)
            return code

    def redeem_code(self, code: str, redirect_uri: str) -> dict[str, object] | None:
        with self.lock:
            found = self._codes.pop(code, None)  # codes are single-use
            if found is None or found[1] != redirect_uri:
                return None
            return self.issue_tokens(found[0])

    def refresh(self, refresh_token: str) -> dict[str, object] | None:
        """The refresh_token grant: rotate (on every use, or once the current token is `rotate_after` seconds
        old); a rotated-out token works for a grace window."""
        with self.lock:
            grant = self._refresh.get(refresh_token)
            now = self.now()
            if grant is None or grant.revoked or now > grant.refresh_expires_at:
                return None
            if refresh_token == grant.current and now - grant.current_since >= self.rotate_after:
                grant.stale[refresh_token] = now
                grant.current, grant.current_since = "rt_" + secrets.token_urlsafe(32), now
                self._refresh[grant.current] = grant
            elif refresh_token != grant.current and now - grant.stale[refresh_token] > self.stale_refresh_grace:
                return None
            grant.refresh_expires_at = now + REFRESH_TOKEN_TTL
            self.refresh_count += 1
            return self._token_response(grant, self._new_access(grant))

    def realm_for_access_token(self, token: str) -> str | None:
        """The realm an access token opens, or None when it is unknown, expired or revoked."""
        with self.lock:
            access = self._access.get(token)
            if access is None or access.grant.revoked or self.now() >= access.expires_at:
                return None
            return access.grant.realm_id

    def revoke(self, token: str) -> bool:
        """Revoke the connection a refresh or access token belongs to (Intuit's revoke endpoint)."""
        with self.lock:
            grant = self._refresh.get(token)
            if grant is None and token in self._access:
                grant = self._access[token].grant
            if grant is None:
                return False
            grant.revoked = True
            return True

    # ------------------------------------------------------------ test hooks

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now (the next v3 call answers 401)."""
        with self.lock:
            now = self.now()
            for access in self._access.values():
                access.expires_at = min(access.expires_at, now)

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """The owner disconnected the app in QBO: refresh gives invalid_grant, access tokens stop working."""
        if not self.revoke(refresh_token):
            raise KeyError("unknown refresh token")

    def current_refresh_token(self, realm_id: str) -> str | None:
        with self.lock:
            for grant in self._refresh.values():
                if grant.realm_id == realm_id and not grant.revoked:
                    return grant.current
            return None

    def inject_429(self, count: int = 1, *, retry_after: float | None = None) -> None:
        with self.lock:
            self._inject.extend([(429, retry_after)] * count)

    def inject_500(self, count: int = 1) -> None:
        with self.lock:
            self._inject.extend([(500, None)] * count)

    def take_injected(self) -> tuple[int, float | None] | None:
        with self.lock:
            return self._inject.popleft() if self._inject else None

    def record(self, method: str, path: str, realm_id: str | None, client: str = "") -> None:
        record = RequestRecord(time.monotonic(), method, path, realm_id, client)
        with self.lock:
            self.requests[path] += 1
            self.request_log.append(record)
        if self.on_request is not None and realm_id is not None:
            self.on_request(record)

    def writes(self) -> list[RequestRecord]:
        """Every v3 request that was not a read (a GET, or a POST of a query)."""
        with self.lock:
            return [
                r
                for r in self.request_log
                if r.path.startswith("/v3/") and not (r.method == "GET" or r.path.rstrip("/").endswith("/query"))
            ]

    def request_times(self, realm_id: str) -> list[float]:
        """Arrival times (monotonic) of the v3 requests for one realm, for rate-limit assertions."""
        with self.lock:
            return [r.at for r in self.request_log if r.realm_id == realm_id]

    def throttled(self, realm_id: str, arrived: float | None = None) -> bool:
        """QBO's limits, 10 requests per second and 500 per minute per realm, as sliding windows.

        `arrived` (time.monotonic()) is when the request reached the server: QBO counts requests as they come
        in, not once the (simulated) latency has passed and other requests have been answered."""
        if not self.enforce_rate_limits:
            return False
        with self.lock:
            now = time.monotonic() if arrived is None else arrived
            window = self._windows.setdefault(realm_id, deque())
            while window and now - window[0] >= 60:
                window.popleft()
            last_second = sum(1 for t in window if now - t < 1)
            if last_second >= self.per_second_limit or len(window) >= self.per_minute_limit:
                return True
            window.append(now)
            return False

    def reset_counters(self) -> None:
        with self.lock:
            self.requests.clear()
            self.request_log.clear()
            self.minor_versions.clear()
