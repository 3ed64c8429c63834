"""The QBO and Finale simulators for one generated company, in processes of their own.

`python -m bench.simulators --items 50000 --products 100000 --sales-orders 200000` generates the company,
then serves the QBO simulator in this process and the Finale simulator in a forked one (each with its own
interpreter lock: a Finale answer being rendered never delays the moment QBO's simulator sees a request
arrive, which is what its rate limit counts). It prints one JSON line saying how to reach them (ports,
realm, tokens, Finale credentials and report addresses, the planted enable date), then answers JSON
commands, one a line on stdin, with one JSON line on stdout:

- `{"cmd": "latency", "qbo": 0.1, "finale": 0.15}` sets the injected latency per request (seconds);
- `{"cmd": "limits", "enforce": false}` turns QBO's rate limits off (for the warm-up) or back on;
- `{"cmd": "counts"}` returns the requests served so far per API and path (and QBO's 429s);
- `{"cmd": "reset"}` forgets the counts (and QBO's rate-limit windows);
- `{"cmd": "tokens"}` issues a fresh QBO connection (access and refresh token);
- `{"cmd": "rss"}` returns the simulators' peak RSS;
- `{"cmd": "quit"}` (or end of input) stops.

Running the fake APIs apart keeps their memory out of the Preflight process's peak RSS and their CPU out of
its GIL, so the figures measure Preflight alone.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from bench.machine import peak_rss_mb
from checks.sources.qbo import ITEM_TXN_ENTITIES
from sandbox.company import FinaleInvoiceRec, SandboxCompany
from sandbox.finale.app import create_finale_app
from sandbox.finale.reports import average_cost_report_url, inventory_value_report_url
from sandbox.finale.state import DEFAULT_ENTITY_CAP, FinaleSimState
from sandbox.generate import large_company
from sandbox.qbo.app import make_qbo_app
from sandbox.qbo.state import QboSandboxState
from sandbox.runtime import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from sandbox.server import BackgroundServer


def _group(counter: Counter[str]) -> dict[str, int]:
    """Request counts per path with ids folded, e.g. `/v3/company/{realm}/query`."""
    out: Counter[str] = Counter()
    for path, n in counter.items():
        parts = path.split("/")
        if len(parts) > 3 and parts[1] == "v3" and parts[2] == "company":
            parts[3] = "{realm}"
            if len(parts) > 5 and parts[4] == "companyinfo":
                parts[5] = "{id}"
        if len(parts) > 2 and parts[2] in ("api", "doc"):
            parts[1] = "{account}"
        out["/".join(parts)] += n
    return dict(sorted(out.items()))


# ------------------------------------------------------------------ Finale, in a forked process


def _serve_finale(company: SandboxCompany, conn: Connection) -> None:
    state = FinaleSimState(company.finale, cache_responses=True)
    server = BackgroundServer(create_finale_app(state)).start()
    conn.send({"url": server.url})
    try:
        while True:
            try:
                command: dict[str, Any] = conn.recv()
            except EOFError:
                break
            cmd = command.get("cmd")
            if cmd == "quit":
                conn.send({"ok": True})
                break
            if cmd == "latency":
                state.latency = float(command["finale"])
                conn.send({"ok": True})
            elif cmd == "counts":
                conn.send({"counts": dict(state.requests)})
            elif cmd == "reset":
                state.reset_counts()
                conn.send({"ok": True})
            elif cmd == "rss":
                conn.send({"peak_rss_mb": peak_rss_mb()})
            elif cmd == "change":
                conn.send({"changed": invoice_orders(company, int(command.get("orders", 0)))})
                state.invalidate()
            else:
                conn.send({"error": f"unknown command {cmd!r}"})
    finally:
        server.stop()


class Simulators:
    """The QBO simulator here, the Finale simulator in a child process."""

    def __init__(self, company: SandboxCompany, *, enforce_rate_limits: bool) -> None:
        self.company = company
        self.qbo_state = QboSandboxState(
            [company.qbo],
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            enforce_rate_limits=enforce_rate_limits,
        )
        self.qbo_state.answer_in_thread = True
        self.qbo_state.remember_answers = True  # each page is rendered once, in the warm-up
        self.throttled = _count_throttles(self.qbo_state)
        # Fork before any thread starts: the child inherits the company without copying or regenerating it.
        context = multiprocessing.get_context("fork")
        self._conn, child_conn = context.Pipe()
        self._finale = context.Process(target=_serve_finale, args=(company, child_conn), daemon=True)
        self._finale.start()
        self.finale_url = str(self._conn.recv()["url"])
        self.qbo_server = BackgroundServer(make_qbo_app(self.qbo_state)).start()

    def finale(self, command: dict[str, Any]) -> dict[str, Any]:
        self._conn.send(command)
        answer: dict[str, Any] = self._conn.recv()
        return answer

    def stop(self) -> None:
        with contextlib.suppress(OSError, EOFError):
            self.finale({"cmd": "quit"})
        self._finale.join(timeout=10)
        self.qbo_server.stop()

    def tokens(self) -> dict[str, str]:
        token = self.qbo_state.issue_tokens(self.company.qbo.realm_id)
        expires = datetime.now(UTC) + timedelta(seconds=int(str(token["expires_in"])))
        return {
            "access_token": str(token["access_token"]),
            "refresh_token": str(token["refresh_token"]),
            "expires_at": expires.isoformat(),
        }

    def hello(self, today: date, generate_s: float) -> dict[str, Any]:
        company = self.company
        enable = company.planted.get("enable_date")
        account = company.finale
        return {
            "ready": True,
            "today": today.isoformat(),
            "enable_date": enable.isoformat() if isinstance(enable, date) else None,
            "generate_s": round(generate_s, 3),
            "qbo": {
                "client_id": SANDBOX_CLIENT_ID,
                "client_secret": SANDBOX_CLIENT_SECRET,
                "api_base": self.qbo_server.url + "/v3",
                "discovery_url": self.qbo_server.url + "/.well-known/openid_configuration",
                "realm_id": company.qbo.realm_id,
                **self.tokens(),
                "rate_limits_enforced": self.qbo_state.enforce_rate_limits,
                "per_second_limit": self.qbo_state.per_second_limit,
                "per_minute_limit": self.qbo_state.per_minute_limit,
            },
            "finale": {
                "base_url": self.finale_url,
                "account": account.account_path,
                "api_key": account.api_key,
                "api_secret": account.api_secret,
                # What an owner copies from Finale's browser: the pivotTableStream form.
                "report_urls": {
                    "average_cost": average_cost_report_url(self.finale_url, account.account_path),
                    "inventory_value": inventory_value_report_url(self.finale_url, account.account_path),
                },
            },
            "lower_bound_inputs": lower_bound_inputs(company, today),
            "sizes": {
                "qbo_items": len(company.qbo.items),
                "qbo_accounts": len(company.qbo.accounts),
                "qbo_transactions": len(company.qbo.transactions),
                "finale_products": len(account.products),
                "finale_stock_rows": len(account.stock),
                "finale_orders": len(account.orders),
                "finale_invoices": len(account.invoices),
            },
        }

    def answer(self, command: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The reply to one command, and whether to go on."""
        cmd = command.get("cmd")
        if cmd == "quit":
            return {"ok": True}, False
        if cmd == "latency":
            self.qbo_state.latency = float(command.get("qbo", 0.0))
            self.finale({"cmd": "latency", "finale": float(command.get("finale", 0.0))})
            return {"ok": True}, True
        if cmd == "limits":  # the warm-up reads with QBO's rate limits off
            self.qbo_state.enforce_rate_limits = bool(command.get("enforce", True))
            return {"ok": True}, True
        if cmd == "counts":
            with self.qbo_state.lock:
                qbo = Counter(self.qbo_state.requests)
            finale: Counter[str] = Counter(self.finale({"cmd": "counts"})["counts"])
            return {
                "qbo": _group(qbo),
                "finale": _group(finale),
                "qbo_total": sum(qbo.values()),
                "qbo_throttled": self.throttled["429"],
                "finale_total": sum(finale.values()),
            }, True
        if cmd == "reset":
            self.qbo_state.reset_counters()
            with self.qbo_state.lock:
                self.qbo_state._windows.clear()  # a fresh second and minute for the next measurement
            self.throttled.clear()
            self.finale({"cmd": "reset"})
            return {"ok": True}, True
        if cmd == "tokens":
            return dict(self.tokens()), True
        if cmd == "change":  # what a team does between two checks: items renamed, orders invoiced
            with self.qbo_state.lock:
                items = rename_items(self.company, int(command.get("items", 0)))
            self.qbo_state.forget_answers()
            orders = self.finale({"cmd": "change", "orders": int(command.get("orders", 0))})["changed"]
            return {"items": items, "orders": orders}, True
        if cmd == "log":  # arrival times of the QBO requests (time.monotonic(), comparable across processes)
            with self.qbo_state.lock:
                return {"times": [(r.at, r.path) for r in self.qbo_state.request_log]}, True
        if cmd == "rss":
            finale_rss = float(self.finale({"cmd": "rss"})["peak_rss_mb"])
            return {"peak_rss_mb": {"qbo": peak_rss_mb(), "finale": finale_rss}}, True
        return {"error": f"unknown command {cmd!r}"}, True


def rename_items(company: SandboxCompany, count: int) -> int:
    """Rename `count` QBO items, as QBO stamps them (LastUpdatedTime now)."""
    qbo = company.qbo
    changed = 0
    for item in qbo.items[:count]:
        item.name += " (renamed)"
        item.sync_token += 1
        item.update_time = qbo.now()
        changed += 1
    return changed


def invoice_orders(company: SandboxCompany, count: int) -> int:
    """Invoice `count` sales orders that have none, as Finale stamps both (lastUpdatedDate now, UTC)."""
    account = company.finale
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    changed = 0
    for order in account.orders:
        if changed >= count:
            break
        if order.order_type != "SALES_ORDER" or order.invoice_ids:
            continue
        invoice_id = f"BENCH-{order.order_id}"
        account.invoices.append(FinaleInvoiceRec(invoice_id, order.order_id, order.order_date, last_updated=now))
        order.invoice_ids.append(invoice_id)
        order.last_updated = now
        changed += 1
    return changed


def lower_bound_inputs(company: SandboxCompany, today: date) -> dict[str, Any]:
    """How many rows each read the checks need holds, for the lower bound (mirrors the loader's dates)."""
    enable = company.planted.get("enable_date")
    enable = enable if isinstance(enable, date) else None
    since_orders = today - timedelta(days=90)
    if enable is not None:
        since_orders = min(since_orders, enable)
    txns: Counter[str] = Counter()
    for txn in company.qbo.transactions:
        if enable is None or txn.txn_date >= enable:
            txns[txn.entity] += 1
    orders = sum(
        1 for o in company.finale.orders if o.order_type == "SALES_ORDER" and o.order_date.date() >= since_orders
    )
    return {
        "qbo_items": len(company.qbo.items),
        "qbo_accounts": len(company.qbo.accounts),
        "qbo_transactions_since_enable": {e: txns[e] for e in (*ITEM_TXN_ENTITIES, "InventoryAdjustment")},
        "finale_sales_orders_read": orders,
        "finale_orders_since": since_orders.isoformat(),
        "finale_entity_cap": DEFAULT_ENTITY_CAP,
    }


def _count_throttles(state: QboSandboxState) -> Counter[str]:
    """Counts the requests the QBO simulator answered 429 because of its rate limits."""
    counter: Counter[str] = Counter()
    check = state.throttled

    def counting(realm_id: str, arrived: float | None = None) -> bool:
        hit = check(realm_id, arrived)
        if hit:
            counter["429"] += 1
        return hit

    state.throttled = counting  # type: ignore[method-assign]
    return counter


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve(args: argparse.Namespace) -> None:
    today = date.fromisoformat(args.today) if args.today else date.today()
    started = time.perf_counter()
    company = large_company(items=args.items, products=args.products, sales_orders=args.sales_orders, today=today)
    generate_s = time.perf_counter() - started
    # The company is millions of objects that live as long as the simulators. Left to the cyclic collector,
    # each full collection walks them all, stalling the simulator for most of a second mid-benchmark: requests
    # then reach it in a burst, which its rate limit (rightly) refuses. A remote QBO does no such thing.
    gc.freeze()
    sims = Simulators(company, enforce_rate_limits=not args.no_rate_limits)
    try:
        _say(sims.hello(today, generate_s))
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                command = json.loads(line)
            except ValueError:
                _say({"error": "not JSON"})
                continue
            reply, go_on = sims.answer(command)
            _say(reply)
            if not go_on:
                break
    finally:
        sims.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.simulators", description=__doc__)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--sales-orders", type=int, default=200_000)
    parser.add_argument("--today", default=None, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--no-rate-limits", action="store_true", help="do not enforce QBO's 10/s and 500/min")
    serve(parser.parse_args(argv))


if __name__ == "__main__":
    main()
