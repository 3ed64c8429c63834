"""SandboxRuntime: both simulators for one company, and `fix(...)`, what a person would do in QBO or Finale.

Each fix is verified the way Preflight sees it: through the real QBO and Finale clients and the checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from bot.settings import Settings, with_overrides
from checks.answers import Answers, Confirmation
from checks.registry import registry
from checks.results import CheckResult, Status
from checks.sources.finale import FinaleSource
from checks.sources.loader import LoadPlan, load_snapshot
from checks.sources.qbo import QboConfig, QboSource, QboTokens
from sandbox.generate import demo_company
from sandbox.runtime import FIXES, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxRuntime

TODAY = date.today()
AUTOMATIC = ("inventory-items", "deactivation", "average-cost", "negative-qoh", "revenue-invoices", "opening-balance")


@pytest.fixture
def runtime() -> Iterator[SandboxRuntime]:
    with SandboxRuntime(demo_company(TODAY)) as rt:
        yield rt


def qbo(rt: SandboxRuntime) -> QboSource:
    access, refresh, expires = rt.qbo_tokens()
    config = QboConfig(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        redirect_uri="http://127.0.0.1:3000/qbo/callback",
        realm_id=rt.realm_id,
        environment=rt.qbo_discovery_url,
        api_base=rt.qbo_api_base,
        requests_per_second=10_000,
        requests_per_minute=1_000_000,
    )
    return QboSource(config, QboTokens(access, refresh, expires))


@asynccontextmanager
async def finale(rt: SandboxRuntime) -> AsyncIterator[FinaleSource]:
    a = rt.finale_access()
    async with FinaleSource(
        a.base_url,
        a.account,
        a.api_key,
        a.api_secret,
        average_cost_report_url=a.report_urls["average_cost"],
        inventory_value_report_url=a.report_urls["inventory_value"],
    ) as source:
        yield source


async def results(rt: SandboxRuntime, ack: dict[str, str] | None = None) -> dict[str, CheckResult]:
    answers = Answers(
        today=TODAY,
        enable_date=rt.enable_date,
        enable_date_decided=True,
        revenue_pushed=True,
        acknowledgements={
            slug: Confirmation(slug, "acknowledge", value, "U1", "Dana", datetime.now(UTC))
            for slug, value in (ack or {}).items()
        },
    )
    specs = registry.select(AUTOMATIC)
    plan = LoadPlan(registry.needs(specs, answers), TODAY, rt.enable_date, True)
    async with finale(rt) as f:
        snapshot = await load_snapshot(plan, qbo=qbo(rt), finale=f, now=datetime.now(UTC))
    return {spec.slug: spec.run(snapshot, answers) for spec in specs}


def test_settings_overrides_point_preflight_at_the_simulators(runtime: SandboxRuntime) -> None:
    settings = with_overrides(Settings(_env_file=None), runtime.settings_overrides())  # type: ignore[call-arg]
    assert settings.qbo_api_base == runtime.qbo_api_base and settings.finale_base_url == runtime.finale_server.url
    assert settings.qbo_client_secret is not None
    assert settings.qbo_client_secret.get_secret_value() == SANDBOX_CLIENT_SECRET
    discovery = requests.get(runtime.qbo_discovery_url, timeout=10).json()
    assert discovery["token_endpoint"].startswith(runtime.qbo_server.url)
    assert runtime.enable_date == runtime.company.planted["enable_date"]
    assert qbo(runtime).company().name == runtime.company.qbo.company_name
    first, second = runtime.qbo_tokens(), runtime.qbo_tokens()
    assert first[1] != second[1] and first[2] > datetime.now(UTC)  # a new connection each time


async def test_each_fix_clears_its_planted_problem(runtime: SandboxRuntime) -> None:
    rt = runtime
    before = await results(rt)
    assert {slug: r.status for slug, r in before.items()} == {slug: Status.FAIL for slug in AUTOMATIC}

    said = rt.fix("deactivate", today=TODAY)
    assert said.startswith(f"Made {len(rt.planted_list('items_to_deactivate'))} QBO inventory items inactive")
    assert rt.fix("deactivate", today=TODAY).startswith("Made 0 ")  # a second time changes nothing
    said = rt.fix("unknown-items", today=TODAY)
    unknown = rt.planted_list("inventory_items_not_in_finale_fail") + rt.planted_list(
        "inventory_items_not_in_finale_warn"
    )
    assert said.startswith(f"Made {len(unknown)} ")
    assert "a non-inventory item in their place on 2 transactions" in said
    now = await results(rt)
    # The write-offs QBO recorded are stated to the cent, and wait for an owner's acknowledgement.
    total = rt.company.planted["total_to_expense"]
    assert now["deactivation"].status is Status.WARN and now["deactivation"].id == "deactivation.W001"
    assert now["deactivation"].amounts["total_to_expense"] == total and now["deactivation"].ack_key == f"{total:f}"
    others = now["inventory-items"]
    assert others.status is Status.WARN and others.id == "inventory-items.W002"
    written_off = sum((Decimal(str(r["asset_value"])) for r in unknown), Decimal(0))
    assert others.amounts["written_off"] == written_off and others.ack_key == f"written off {written_off:f}"
    ack = {"deactivation": f"{total:f}", "inventory-items": f"written off {written_off:f}"}
    now = await results(rt, ack)
    assert now["deactivation"].status is Status.PASS and now["inventory-items"].cleared
    assert now["negative-qoh"].status is Status.FAIL  # the others are untouched

    pairs = len(rt.planted_list("negative_stock"))
    assert rt.fix("stock", today=TODAY) == (
        f"Recorded stock takes for {pairs} product/sublocation pairs with negative stock."
    )
    assert rt.fix("costs", today=TODAY) == (
        f"Entered an Average Cost Change for {len(rt.planted_list('products_without_average_cost'))} products."
    )
    orders = rt.company.planted["orders_without_invoice"]
    assert isinstance(orders, dict)
    assert rt.fix("invoices", today=TODAY) == (
        f"Posted {sum(len(v) for v in orders.values())} invoices for completed sales orders."
    )
    difference = rt.company.planted["opening_balance_difference"]
    d1 = rt.enable_date - timedelta(days=1)  # type: ignore[operator]
    assert rt.fix("journal", today=TODAY) == (
        f"Posted the opening journal entry dated {d1.isoformat()} for {abs(difference):,.2f}."
    )
    assert rt.fix("journal", today=TODAY) == "The balances already agree."

    after = await results(rt, ack)
    for slug in ("deactivation", "average-cost", "negative-qoh", "revenue-invoices"):
        assert after[slug].status is Status.PASS, (slug, after[slug].summary)
    assert after["inventory-items"].cleared
    opening = after["opening-balance"]
    assert opening.amounts["difference"] == 0
    assert opening.amounts["qbo_balance"] == rt.company.planted["finale_inventory_value_d1"]
    # The deactivations are dated today, after D-1: each needs a reversing entry, drafted to the cent.
    assert opening.status is Status.FAIL and opening.id == "opening-balance.F002"
    assert opening.amounts["to_reverse"] == total + written_off
    drafted = [f for f in opening.findings if f.kind == "journal_entry"]
    assert sum((f.amount or Decimal(0) for f in drafted), Decimal(0)) == total + written_off
    assert rt.fix("reverse", today=TODAY).startswith(f"Posted {len(drafted)} reversing journal entries")
    assert rt.fix("reverse", today=TODAY).startswith("Posted 0 ")  # a second time changes nothing
    final = await results(rt, ack)
    assert final["opening-balance"].status is Status.PASS and final["opening-balance"].id == "opening-balance.I002"


def test_an_unknown_fix_is_refused(runtime: SandboxRuntime) -> None:
    with pytest.raises(ValueError, match="unknown fix 'everything'"):
        runtime.fix("everything")
    assert "everything" not in FIXES
