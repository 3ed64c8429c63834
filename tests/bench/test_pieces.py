"""The benchmark's arithmetic, and the piecewise JSON decoding the Finale client relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from bench.lower_bound import lower_bound
from bench.machine import TreeMemory
from bench.probes import percentile
from checks.sources.finale.jsonstream import _loads

INPUTS = {
    "qbo_items": 50_000,
    "qbo_accounts": 13,
    "qbo_transactions_since_enable": {"PurchaseOrder": 20, "Bill": 0, "Invoice": 20, "SalesReceipt": 50},
    "finale_sales_orders_read": 155_555,
    "finale_entity_cap": 120_000,
}


def test_lower_bound_from_first_principles() -> None:
    bound = lower_bound(INPUTS, qbo_latency=0.1, finale_latency=0.15)
    # 2 company calls + 50 item pages + 1 end-of-list + 1 account page + 2 reports + 4 transaction pages
    assert bound["qbo"]["total_requests"] == 60
    assert bound["qbo"]["seconds"] == pytest.approx(59 / 10 + 0.1)
    assert bound["finale"]["rounds"] == 2  # the order answer reaches the cap: windows in a second round
    assert bound["lower_bound_s"] == pytest.approx(6.0)


def test_percentile_is_nearest_rank() -> None:
    values = sorted(float(n) for n in range(1, 101))
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0 and percentile([], 99) == 0.0


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b' { "a" : [1, 2.50, "x", null, true], "b": {"c": [1e3]} } ',
        b'{"a": 1, "a": 2}',
        '\ufeff{"é": ["ü"]}'.encode(),
        b'[{"Product ID": "P1", "Average cost": "1.25"}, {"Product ID": "P2"}]',
        b'"text"',
    ],
)
def test_piecewise_decoding_equals_json(body: bytes) -> None:
    assert _loads(body) == json.loads(body, parse_float=Decimal)


@pytest.mark.parametrize("body", [b'{"a": 1,}', b'{"a": 1} x', b"{", b"", b'{"a" 1}'])
def test_piecewise_decoding_fails_like_json(body: bytes) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        _loads(body)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(body)
    assert str(ours.value) == str(theirs.value)


def test_tree_memory_counts_this_process_and_its_children() -> None:
    if not os.path.exists("/proc/self/smaps_rollup"):
        pytest.skip("PSS is read from Linux's /proc")
    holds = "import sys; block = b'x' * 64_000_000; print('ready', flush=True); sys.stdin.read()"
    child = subprocess.Popen([sys.executable, "-c", holds], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"  # 64 MB written
        memory = TreeMemory(interval=0.02)
        with memory:
            time.sleep(0.2)
        report = memory.report()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)
    # The child and this process are both in the total, each under its own name.
    by_process = report["peak_pss_by_process_mb"]
    assert by_process[f"child {child.pid}"] >= 60 and by_process["this process"] > 0
    assert report["peak_total_pss_mb"] >= by_process[f"child {child.pid}"] + by_process["this process"] - 0.5
