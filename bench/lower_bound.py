"""The fastest a full check could possibly read its data, from first principles.

QBO: every request costs one injected latency, and QBO accepts at most `rate` requests a second per company,
so the last of `n` requests cannot leave before `(n - 1) / rate` seconds and answers one latency later: with
100 ms and 10/s that is `n` rounds of one latency, one request in flight at a time, back to back. The fewest
requests the data needs:

- CompanyInfo and Preferences (book close date, quantity-on-hand setting): 2;
- every Item, 1,000 a page (QBO's maximum): `ceil(items / 1000)` pages, plus one request to learn where the
  list ends (a COUNT, or the empty page after a full last page);
- Accounts, and the transactions the checks read (purchase orders, bills, invoices, sales receipts and
  inventory adjustments dated on or after the enable date): `ceil(rows / 1000)` pages each, at least one;
- the InventoryValuationSummary and BalanceSheet reports: 1 each.

Finale has no published rate limit, so its reads run in parallel and cost one latency per round of requests
that depend on each other: round 1 asks for every collection and both reports at once; when the sales-order
answer reaches Finale's 120,000-entity cap, round 2 reads the orders again in 30-day windows (in parallel).

The two APIs are read at the same time, so the bound is the longer of the two paths. It leaves out the time
to transfer and decode the bodies and to run the checks: no client can do better than this.
"""

from __future__ import annotations

import math
from typing import Any


def _pages(rows: int, page: int = 1000) -> int:
    return max(1, math.ceil(rows / page))


def lower_bound(inputs: dict[str, Any], *, qbo_latency: float, finale_latency: float, rate: int = 10) -> dict[str, Any]:
    items = int(inputs["qbo_items"])
    accounts = int(inputs["qbo_accounts"])
    txns: dict[str, int] = {k: int(v) for k, v in inputs["qbo_transactions_since_enable"].items()}
    qbo_requests = {
        "CompanyInfo + Preferences": 2,
        "Item pages (1,000 rows)": _pages(items),
        "Item end of list (COUNT)": 1,
        "Account pages": _pages(accounts),
        "InventoryValuationSummary": 1,
        "BalanceSheet": 1,
        **{f"{entity} pages": _pages(n) for entity, n in txns.items()},
    }
    n_qbo = sum(qbo_requests.values())
    # The last of n requests leaves (n - 1) / rate seconds after the first and answers one latency later;
    # the item pages wait for nothing but the rate (the COUNT answers while the first pages are in flight).
    qbo_s = (n_qbo - 1) / rate + qbo_latency
    qbo_rounds = math.ceil(qbo_s / qbo_latency - 1e-9) if qbo_latency > 0 else n_qbo
    orders = int(inputs["finale_sales_orders_read"])
    cap = int(inputs["finale_entity_cap"])
    finale_rounds = 1 if orders < cap else 2
    finale_requests = {"product": 1, "inventoryitem": 1, "facility": 1, "order": 1, "reports": 2}
    finale_s = finale_rounds * finale_latency
    return {
        "lower_bound_s": round(max(qbo_s, finale_s), 3),
        "qbo": {
            "requests": qbo_requests,
            "total_requests": n_qbo,
            "rate_per_s": rate,
            "rounds": qbo_rounds,
            "seconds": round(qbo_s, 3),
        },
        "finale": {
            "requests_first_round": finale_requests,
            "sales_orders_read": orders,
            "entity_cap": cap,
            "rounds": finale_rounds,
            "seconds": round(finale_s, 3),
        },
        "model": (
            "max(QBO, Finale): QBO = (requests - 1) / (10 per s) + latency; "
            "Finale = dependent rounds x latency (everything in parallel)"
        ),
    }
