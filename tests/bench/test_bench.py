"""`python -m bench` at a tiny size with no injected latency: the harness runs end to end and writes sane
results. Nothing here asserts how fast anything is (the figures come from `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.procs import ROOT

TINY = ["--items", "300", "--products", "1000", "--sales-orders", "200", "--qbo-latency", "0", "--finale-latency", "0"]


def test_tiny_benchmark_writes_sane_results(tmp_path: Path) -> None:
    readme = (Path(ROOT) / "README.md").read_text(encoding="utf-8")
    args = [*TINY, "--ack-requests", "5", "--ack-interval", "0.2", "--out", str(tmp_path), "--readme", "no"]
    args.append("--no-reminders")  # a minute-long run of its own; the replica tests cover its logic
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    for key in ("wall_s", "lower_bound_s", "baseline_s", "requests", "peak_rss_mb", "ack_p50_ms", "ack_p99_ms"):
        assert key in results, key
    assert results["wall_s"] > 0 and results["lower_bound_s"] > 0 and results["baseline_s"] > 0
    assert results["service_wall_s"] >= results["wall_s"]
    assert 0 < results["peak_rss_mb"] < 100_000
    assert results["requests"]["qbo"] >= results["requests"]["qbo_minimum"] > 0
    assert results["requests"]["finale"] > 0
    assert results["requests"]["by_path"]["qbo"] and results["requests"]["by_path"]["finale"]
    assert 0 < results["ack_p50_ms"] <= results["ack_p99_ms"]
    assert results["ack"]["non_200"] == 0
    assert results["sizes"] == {"qbo_items": 300, "finale_products": 1000, "finale_sales_orders": 200}
    assert results["machine"]["cores"] >= 1 and results["machine"]["python"].startswith("CPython")
    assert set(results["phases"]) >= {"load_snapshot_s", "qbo_s", "finale_s", "checks_s", "store_s"}
    assert {r["slug"] for r in results["check_results"]} >= {"deactivation", "negative-qoh", "revenue-invoices"}
    assert set(results["targets"]) == {
        "wall_within_1.5x_lower_bound",
        "10x_faster_than_baseline",
        "peak_rss_under_500_mb",
        "ack_p99_under_100_ms",
    }
    assert results["baseline"]["rows"]["Item"] == 300
    for gap in results["gaps"]:
        assert gap["why"] and gap["what_would_close_it"]
    assert "| full check, wall time" in (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert (Path(ROOT) / "README.md").read_text(encoding="utf-8") == readme  # --readme no
