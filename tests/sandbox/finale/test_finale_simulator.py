"""The Finale simulator over real HTTP: shapes, auth, filters and limits, reports, and the test hooks."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox.finale import (
    AVERAGE_COST_REPORT_ID,
    INVENTORY_VALUE_REPORT_ID,
    average_cost_report_url,
    inventory_value_report_url,
    report_url,
)
from tests.sandbox.finale.accounts import QUOTED, UNICODE_ID, busy_account
from tests.sandbox.finale.conftest import Sim


def b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def columns(resp: requests.Response) -> dict[str, list[Any]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body: dict[str, list[Any]] = json.loads(resp.text, parse_float=Decimal)
    lengths = {len(v) for v in body.values()}
    assert len(lengths) == 1, f"ragged columns: { {k: len(v) for k, v in body.items()} }"
    return body


# ---------------------------------------------------------------- shapes


def test_product_collection_is_column_major(sim: Sim) -> None:
    body = columns(sim.get("/acmegoods/api/product/"))
    assert set(body) >= {
        "productId",
        "productUrl",
        "internalName",
        "statusId",
        "productTypeId",
        "lastUpdatedDate",
    }
    assert body["productId"] == ["W-100", "B-3/8", UNICODE_ID, "LATE-1", "NOCOST", "OLD-9"]
    assert body["internalName"][1] == QUOTED
    assert body["statusId"][-1] == "PRODUCT_INACTIVE" and body["statusId"][0] == "PRODUCT_ACTIVE"
    assert body["productUrl"][1] == "/acmegoods/api/product/B-3%2F8"
    assert body["lastUpdatedDate"][0] == "2020-01-01T09:00:00"


def test_single_resources_are_row_major_and_follow_their_urls(sim: Sim) -> None:
    urls = columns(sim.get("/acmegoods/api/product/"))["productUrl"]
    for url, pid in zip(urls, ["W-100", "B-3/8", UNICODE_ID], strict=False):
        row = sim.get(url).json()
        assert row["productId"] == pid
    order = json.loads(sim.get("/acmegoods/api/order/SO-1").text, parse_float=Decimal)
    assert order["orderTypeId"] == "SALES_ORDER" and order["total"] == Decimal("39.98")
    assert order["orderItemList"][0]["unitPrice"] == Decimal("19.99")
    assert order["invoiceUrlList"] == ["/acmegoods/api/invoice/INV-1"]
    assert sim.get("/acmegoods/api/order/NOPE").status_code == 404


def test_inventoryitem_rows_keep_quantities_exact_and_ignore_filters(sim: Sim) -> None:
    resp = sim.get("/acmegoods/api/inventoryitem/", filter=b64({"productId": ["W-100", "W-100"]}))
    assert '"quantityOnHand":[10,-3.25,0.125,-0.001,null,null]' in resp.text
    body = columns(resp)
    assert len(body["productId"]) == 6  # the filter was ignored: inventoryitem cannot be filtered
    assert body["orderUrl"][4] == "/acmegoods/api/order/PO-1" and body["quantityOnOrder"][4] == Decimal(50)
    assert body["quantityReserved"][5] == Decimal(2) and body["lotId"][2] == "LOT-7"
    assert body["facilityUrl"][1] == "/acmegoods/api/facility/10001"


def test_facilities_name_sublocations_and_their_parents(sim: Sim) -> None:
    body = columns(sim.get("/acmegoods/api/facility/"))
    names = dict(zip(body["facilityUrl"], body["facilityName"], strict=True))
    assert names["/acmegoods/api/facility/10001"] == "Back room «B»"
    parents = dict(zip(body["facilityName"], body["parentFacilityUrl"], strict=True))
    assert names[parents["Annex"]] == "Overflow"
    assert parents["Main warehouse"] is None


def test_order_and_invoice_fields(sim: Sim) -> None:
    orders = columns(sim.get("/acmegoods/api/order/"))
    i = orders["orderId"].index("SO-1")
    assert orders["orderDate"][i] == "2024-02-01T10:30:00"
    assert orders["saleSourceId"][i] == "Shopify" and orders["total"][i] == Decimal("39.98")
    assert orders["shipmentUrlList"][i] == []
    invoices = columns(sim.get("/acmegoods/api/invoice/"))
    assert invoices["primaryOrderUrl"] == ["/acmegoods/api/order/SO-1"]
    assert invoices["statusId"] == ["INVOICE_APPROVED"] and invoices["invoiceDate"] == ["2024-02-03T09:00:00"]


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize("auth", [None, ("key-3f9a", "wrong"), ("wrong", "secret-8c21-do-not-show")])
def test_every_call_needs_the_accounts_key_and_secret(sim: Sim, auth: tuple[str, str] | None) -> None:
    for path in ("/acmegoods/api/product/", "/acmegoods/api/order/SO-1", report_path(sim)):
        resp = sim.get(path, auth=auth)
        assert resp.status_code == 401
        assert "Basic" in resp.headers["WWW-Authenticate"]


def test_unknown_account_is_not_found(sim: Sim) -> None:
    assert sim.get("/otheraccount/api/product/").status_code == 404


def report_path(sim: Sim) -> str:
    return urlsplit(average_cost_report_url(sim.url, "acmegoods", stream=False)).path


# ---------------------------------------------------------------- filters and limits


def test_filter_equality_and_date_ranges(sim: Sim) -> None:
    def ids(spec: dict[str, Any]) -> list[str]:
        return columns(sim.get("/acmegoods/api/order/", filter=b64(spec)))["orderId"]

    sales = {"orderTypeId": ["SALES_ORDER", "SALES_ORDER"]}
    assert ids(sales) == ["SO-1", "SO-2", "SO-OLD", 'SO "Ω" 3']
    assert ids({**sales, "orderDate": ["2024-02-01T00:00:00", None]}) == ["SO-1", "SO-2", 'SO "Ω" 3']
    # A date-only upper bound includes its whole day.
    assert ids({**sales, "orderDate": [None, "2024-02-29"]}) == ["SO-1", "SO-2", "SO-OLD"]
    assert ids({"statusId": ["ORDER_LOCKED", "ORDER_LOCKED"]}) == ["SO-2", "PO-1"]
    assert ids({"total": ["39.98", "500"]}) == ["SO-1", "PO-1"]
    assert ids({"orderDate": ["2024-02-10T00:00:00Z", "2024-02-10T00:00:00Z"]}) == ["PO-1"]


def test_filter_with_url_safe_base64_without_padding(sim: Sim) -> None:
    raw = base64.urlsafe_b64encode(json.dumps({"productId": ["OLD-9", "OLD-9"]}).encode()).decode().rstrip("=")
    assert columns(sim.get("/acmegoods/api/product/", filter=raw))["productId"] == ["OLD-9"]


def test_last_updated_filter_must_be_closed_and_at_most_30_days(sim: Sim) -> None:
    def get(lo: str | None, hi: str | None) -> requests.Response:
        return sim.get("/acmegoods/api/order/", filter=b64({"lastUpdatedDate": [lo, hi]}))

    assert get("2024-02-01T00:00:00", "2024-03-03T00:00:00").status_code == 400
    assert "30 days" in get("2024-02-01T00:00:00", "2024-03-03T00:00:00").text
    assert get(None, "2024-02-15T00:00:00").status_code == 400
    assert get("2024-02-01T00:00:00", None).status_code == 400
    assert columns(get("2024-02-01T00:00:00", "2024-03-02T00:00:00"))["orderId"] == ["SO-1", "SO-2", "PO-1"]
    # Without a lastUpdatedDate filter there is no such limit.
    assert sim.get("/acmegoods/api/order/", filter=b64({"orderDate": ["2000-01-01", None]})).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        "not base64!",
        b64(["a", "list"]),
        b64({"orderId": ["1"]}),
        b64({"orderItemList": [None, None]}),
        b64({"nosuchfield": [None, None]}),
        b64({"orderDate": ["yesterday", None]}),
    ],
)
def test_malformed_filters_are_400(sim: Sim, raw: str) -> None:
    assert sim.get("/acmegoods/api/order/", filter=raw).status_code == 400


def test_entity_cap_cuts_the_answer_and_limit_applies_after_it() -> None:
    from sandbox.finale import FinaleSimState, create_finale_app
    from sandbox.server import BackgroundServer

    account = busy_account(1200, spread_days=100)
    state = FinaleSimState(account, entity_cap=500)
    with BackgroundServer(create_finale_app(state)) as server:
        sim = Sim(state, server, account)
        sales = b64({"orderTypeId": ["SALES_ORDER", "SALES_ORDER"]})
        assert len(columns(sim.get("/bigshop/api/order/", filter=sales))["orderId"]) == 500
        assert len(columns(sim.get("/bigshop/api/order/", filter=sales, limit="7"))["orderId"]) == 7
        # A lastUpdatedDate window is applied before the cap, so a window under it is complete.
        window = b64(
            {
                "lastUpdatedDate": ["2024-01-01T00:00:00", "2024-01-21T00:00:00"],
                **json.loads(base64.b64decode(sales)),
            }
        )
        ids = columns(sim.get("/bigshop/api/order/", filter=window))["orderId"]
        expected = [
            o.order_id
            for o in account.orders
            if o.order_type == "SALES_ORDER" and o.last_updated <= datetime(2024, 1, 21)
        ]
        assert ids == expected and 0 < len(ids) < 500
        assert sim.get("/bigshop/api/order/", limit="x").status_code == 400


# ---------------------------------------------------------------- reports


def test_report_stream_form_is_a_web_page(sim: Sim) -> None:
    resp = sim.get(urlsplit(average_cost_report_url(sim.url, "acmegoods")).path)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert resp.text.lstrip().startswith("<!DOCTYPE html>")


def test_copied_report_urls_look_like_finales(sim: Sim) -> None:
    url = average_cost_report_url(sim.url, "acmegoods")
    parts = urlsplit(url)
    assert parts.path == f"/acmegoods/doc/report/pivotTableStream/{AVERAGE_COST_REPORT_ID}/Reports.pdf"
    query = parse_qs(parts.query)
    assert query["format"] == ["pdf"] and query["data"] == ["product"]
    assert json.loads(base64.b64decode(query["filters"][0]))[-1] == ["stockEffectiveDate", None, None]
    assert f"/pivotTable/{INVENTORY_VALUE_REPORT_ID}/Report.json" in inventory_value_report_url(
        sim.url, "acmegoods", stream=False
    )


def report(sim: Sim, report_id: str, filters: list[Any] | None, fmt: str = "jsonObject") -> requests.Response:
    path = f"/acmegoods/doc/report/pivotTable/{report_id}/Report.json"
    params = {"format": fmt, "data": "product"}
    if filters is not None:
        params["filters"] = b64(filters)
    return sim.get(path, query=params)


def test_average_cost_report_honours_the_as_of_date(sim: Sim) -> None:
    rows = report(sim, AVERAGE_COST_REPORT_ID, [["stockEffectiveDate", [None, "2024-02-29"], None]]).json()
    costs = {r["Product ID"]: r["Average cost"] for r in rows}
    assert costs == {
        "W-100": "1,234.50",
        "B-3/8": "0.1275",
        UNICODE_ID: "12.00",
        "LATE-1": "--",
        "NOCOST": "--",
        "OLD-9": "2.50",
    }
    assert rows[1] == {
        "Product ID": "B-3/8",
        "Description": QUOTED,
        "Status": "Active",
        "Average cost": "0.1275",
    }
    later = report(sim, AVERAGE_COST_REPORT_ID, [["stockEffectiveDate", "3/15/2024", None]]).json()
    assert {r["Product ID"]: r["Average cost"] for r in later}["LATE-1"] == "5.00"
    active = report(sim, AVERAGE_COST_REPORT_ID, [["productStatus", ["PRODUCT_ACTIVE"], None]]).json()
    assert "OLD-9" not in {r["Product ID"] for r in active}


def test_inventory_value_report_has_header_rows_and_the_total_of_the_day(sim: Sim) -> None:
    for day, total in [("2024-01-30", "1,000.00"), ("2024-01-31", "1,234.50"), ("2024-03-31", "98,765.43")]:
        rows = report(sim, INVENTORY_VALUE_REPORT_ID, [["stockEffectiveDate", [None, day], None]]).json()
        assert rows[0] == {
            "Product ID": "Product ID",
            "Description": "Description",
            "Units\nQoH": "Units\nQoH",
            "Value": "Value",
        }
        assert rows[-1]["Product ID"] == "TOTAL:" and rows[-1]["Value"] == total
    rows = report(sim, INVENTORY_VALUE_REPORT_ID, [["stockEffectiveDate", [None, "2023-01-01"], None]]).json()
    assert rows[-1]["Value"] == "0.00"  # nothing recorded yet
    by_id = {r["Product ID"]: r for r in rows[1:-1]}
    assert by_id["W-100"]["Units\nQoH"] == "6.75"


def test_report_errors(sim: Sim) -> None:
    assert report(sim, "999", None).status_code == 404
    assert report(sim, AVERAGE_COST_REPORT_ID, None, fmt="pdf").status_code == 400
    assert report(sim, AVERAGE_COST_REPORT_ID, [["stockEffectiveDate", "someday", None]]).status_code == 400
    csv_text = report(sim, AVERAGE_COST_REPORT_ID, None, fmt="csv").text
    assert csv_text.splitlines()[0] == "Product ID,Description,Status,Average cost"


# ---------------------------------------------------------------- test hooks


def test_injected_429_500_and_dropped_connections_then_normal_service(sim: Sim) -> None:
    path = "/acmegoods/api/product/"
    sim.state.inject_429(1, retry_after=7)
    sim.state.inject_500(1)
    sim.state.inject_drop(1)
    first = sim.get(path)
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert sim.get(path).status_code == 500
    with pytest.raises(requests.ConnectionError, match="without response"):
        sim.get(path)
    assert sim.get(path).status_code == 200
    assert sim.state.request_count(path) == 4 and sim.state.pending_faults == 0


def test_faults_can_target_a_path(sim: Sim) -> None:
    sim.state.inject_500(2, path_contains="/doc/report/")
    assert sim.get("/acmegoods/api/facility/").status_code == 200
    assert report(sim, AVERAGE_COST_REPORT_ID, None).status_code == 500
    assert sim.state.pending_faults == 1


def test_latency_is_added_to_every_request(sim: Sim) -> None:
    sim.state.latency = 0.2
    started = time.perf_counter()
    sim.get("/acmegoods/api/facility/")
    assert time.perf_counter() - started >= 0.2


def test_account_changes_show_at_once_and_cached_answers_wait_for_invalidate(sim: Sim) -> None:
    path = "/acmegoods/api/product/"
    sim.account.products[0].active = False
    assert columns(sim.get(path))["statusId"][0] == "PRODUCT_INACTIVE"
    sim.state.cache_responses = True
    columns(sim.get(path))
    sim.account.products[0].active = True
    assert columns(sim.get(path))["statusId"][0] == "PRODUCT_INACTIVE"  # served from the cache
    sim.state.invalidate()
    assert columns(sim.get(path))["statusId"][0] == "PRODUCT_ACTIVE"


def test_report_url_helper_keeps_given_filters() -> None:
    url = report_url("http://x", "a", "1", data="stock", title="T", stream=False, filters=[["productStatus", None]])
    assert json.loads(base64.b64decode(parse_qs(urlsplit(url).query)["filters"][0])) == [["productStatus", None]]
