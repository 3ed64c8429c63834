"""The baseline: how a typical integration script reads the same data, one request after another.

QBO through python-quickbooks the way its README shows: `Item.all()`-style queries of 100 rows a page
(`SELECT *, Sku FROM Item ... STARTPOSITION n MAXRESULTS 100`, with `Active IN (true, false)` so that inactive
items come too, as the checks need), each page turned into python-quickbooks objects, then the accounts, the
transactions since the enable date (100 a page), CompanyInfo, Preferences and the two reports. A 429 is
waited out (Retry-After) and retried, as such scripts do. Then Finale with `requests`, one collection after
another (`.json()`), the sales orders re-read in the same 30-day windows Preflight uses when the answer is cut
at the entity cap, and the two reports.

It only reads: the checks themselves are not run, which flatters the baseline. Run by `python -m bench` in a
process of its own (JSON lines on stdin/stdout, like `bench.check`).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.purchaseorder import PurchaseOrder
from quickbooks.objects.salesreceipt import SalesReceipt

from bench.machine import cpu_seconds, peak_rss_mb
from checks.sources.finale import UPDATED_WINDOW, encode_filter, report_data_url
from sandbox.runtime import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

T = TypeVar("T")
PAGE = 100  # python-quickbooks' default page (`all(max_results=100)`)


class Script:
    """State of the baseline script: its QBO client, its counters."""

    def __init__(self, env: dict[str, Any]) -> None:
        qbo = env["qbo"]
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the simulator is plain http on loopback
        auth = AuthClient(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            redirect_uri="http://localhost/callback",
            environment=qbo["discovery_url"],
            access_token=qbo["access_token"],
            refresh_token=qbo["refresh_token"],
        )
        self.qb = QuickBooks(
            auth_client=auth, refresh_token=qbo["refresh_token"], company_id=qbo["realm_id"], minorversion=75
        )
        self.qb.api_url_v3 = qbo["api_base"]  # the simulator, instead of Intuit's host
        self.env = env
        self.retries = 0
        self.qbo_requests = 0
        self.finale_requests = 0
        self.rows: dict[str, int] = {}

    def qbo(self, call: Callable[[], T]) -> T:
        """One QBO request; a 429 (rate limit) is waited out and retried."""
        while True:
            self.qbo_requests += 1
            try:
                return call()
            except QuickbooksException as exc:
                if "429" not in str(exc.message):
                    raise
                self.retries += 1
                time.sleep(1.0)

    def pages(self, name: str, fetch: Callable[[int], list[Any]]) -> list[Any]:
        """Every page of 100 until a short one, as `while len(page) == 100: start += 100` scripts do."""
        out: list[Any] = []
        start = 1
        while True:
            page = self.qbo(lambda s=start: fetch(s))  # type: ignore[misc]
            out.extend(page)
            if len(page) < PAGE:
                break
            start += PAGE
        self.rows[name] = len(out)
        return out

    def read_qbo(self) -> None:
        qb = self.qb
        realm = self.env["qbo"]["realm_id"]
        enable = self.env.get("enable_date")
        self.qbo(lambda: CompanyInfo.get(realm, qb=qb))
        self.qbo(lambda: Preferences.get(qb=qb))
        self.pages(
            "Item",
            lambda s: Item.query(
                f"SELECT *, Sku FROM Item WHERE Active IN (true, false) STARTPOSITION {s} MAXRESULTS {PAGE}", qb=qb
            ),
        )
        self.pages(
            "Account", lambda s: Account.where("Active IN (true, false)", start_position=s, max_results=PAGE, qb=qb)
        )
        today = self.env["today"]
        self.qbo(lambda: qb.get_report("InventoryValuationSummary", {"report_date": today}))
        since = f"TxnDate >= '{enable}'" if enable else ""
        for cls in (PurchaseOrder, Bill, Invoice, SalesReceipt):
            self.pages(cls.qbo_object_name, lambda s, c=cls: c.where(since, start_position=s, max_results=PAGE, qb=qb))  # type: ignore[misc]
        if enable:
            d1 = (date.fromisoformat(enable) - timedelta(days=1)).isoformat()
            self.qbo(lambda: qb.get_report("BalanceSheet", {"end_date": d1}))
            # python-quickbooks has no InventoryAdjustment class: a raw query, as scripts do. QBO does not filter
            # inventory adjustments by TxnDate, so all of them are read.
            self.pages(
                "InventoryAdjustment",
                lambda s: qb.query(f"SELECT * FROM InventoryAdjustment STARTPOSITION {s} MAXRESULTS {PAGE}")[
                    "QueryResponse"
                ].get("InventoryAdjustment", []),
            )

    def read_finale(self) -> None:
        finale = self.env["finale"]
        session = requests.Session()
        session.auth = (finale["api_key"], finale["api_secret"])
        base = f"{finale['base_url']}/{finale['account']}/api"

        def get(url: str) -> Any:
            self.finale_requests += 1
            response = session.get(url, timeout=300)
            response.raise_for_status()
            return response.json()

        for collection in ("product", "inventoryitem", "facility"):
            payload = get(f"{base}/{collection}/")
            self.rows[f"finale {collection}"] = len(next(iter(payload.values()), []))
        since = date.fromisoformat(self.env["lower_bound_inputs"]["finale_orders_since"])
        spec: dict[str, list[Any]] = {
            "orderTypeId": ["SALES_ORDER", "SALES_ORDER"],
            "orderDate": [datetime.combine(since, datetime.min.time()).strftime("%Y-%m-%dT%H:%M:%S"), None],
        }
        first = get(f"{base}/order/?filter={encode_filter(spec)}")
        orders = {order_id: n for n, order_id in enumerate(first.get("orderId", []))}
        cap = int(self.env["lower_bound_inputs"]["finale_entity_cap"])
        if len(orders) >= cap:
            updated = [datetime.fromisoformat(v) for v in first.get("lastUpdatedDate", []) if v]
            lo = min([*updated, datetime.combine(since, datetime.min.time())]).replace(hour=0, minute=0, second=0)
            lo -= timedelta(days=1)
            hi = max([*updated, datetime.now()]) + timedelta(days=1)
            while lo < hi:
                window = {
                    **spec,
                    "lastUpdatedDate": [
                        lo.strftime("%Y-%m-%dT%H:%M:%S"),
                        min(lo + UPDATED_WINDOW, hi).strftime("%Y-%m-%dT%H:%M:%S"),
                    ],
                }
                part = get(f"{base}/order/?filter={encode_filter(window)}")
                orders.update({order_id: 0 for order_id in part.get("orderId", [])})
                lo += UPDATED_WINDOW
        self.rows["finale sales orders"] = len(orders)
        enable = self.env.get("enable_date")
        as_of = date.fromisoformat(enable) if enable else date.fromisoformat(self.env["today"])
        origin = finale["base_url"]
        for name, on in (("average_cost", as_of), ("inventory_value", as_of - timedelta(days=1))):
            url = report_data_url(
                finale["report_urls"][name], on, origin=origin, prefix="", account=finale["account"], setting=name
            )
            self.rows[f"finale {name} report"] = len(get(url))


def run(env: dict[str, Any]) -> dict[str, Any]:
    script = Script(env)
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    script.read_qbo()
    qbo_s = time.perf_counter() - started
    script.read_finale()
    wall = time.perf_counter() - started
    return {
        "wall_s": round(wall, 3),
        "qbo_s": round(qbo_s, 3),
        "finale_s": round(wall - qbo_s, 3),
        "cpu_s": round(cpu_seconds() - cpu_before, 2),
        "peak_rss_mb": peak_rss_mb(),
        "qbo_requests": script.qbo_requests,
        "qbo_retries_after_429": script.retries,
        "finale_requests": script.finale_requests,
        "rows": script.rows,
        "qbo_pages_expected": sum(
            math.ceil(max(n, 1) / PAGE) for k, n in script.rows.items() if not k.startswith("finale")
        ),
    }


def _lines() -> Iterator[str]:
    for line in sys.stdin:
        if line.strip():
            yield line


def main() -> None:
    lines = _lines()
    env = json.loads(next(lines))
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    next(lines)  # "go"
    sys.stdout.write(json.dumps(run(env)) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
