from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checks.results import Pending, Status
from checks.snapshot import FinaleProduct, QboItem, Snapshot
from tests.checks.factories import NOW, answers, company, item, product, run, snapshot

SLUG = "other-apps"
OLD = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)


def snap(items: list[QboItem], products: list[FinaleProduct] | None = None) -> Snapshot:
    return snapshot(company=company(name="Acme Goods"), items=tuple(items), products=tuple(products or []))


def burst(n: int, start: datetime, step: timedelta = timedelta(seconds=20), prefix: str = "B") -> list[QboItem]:
    return [item(f"{prefix}{i}", f"{prefix}-{i}", type="NonInventory", created=start + i * step) for i in range(n)]


def test_no_signs_still_needs_an_owners_confirmation() -> None:
    items = [item(str(i), f"Item {i}", created=OLD + timedelta(days=i)) for i in range(50)]
    result = run(SLUG, snap(items), answers())
    assert result.status is Status.NEEDS_INPUT and result.id == "other-apps.N001"
    assert result.pending is Pending.CONFIRM
    assert "No signs" in result.summary
    for app in ("A2X", "Connex", "Webgility"):
        assert app in result.summary and app in result.ask
    # The check words what an owner confirms, naming the QBO company.
    assert result.ask == (
        "I confirm that no other app (such as A2X, Connex or Webgility) and no marketplace or website pushes new "
        "products into QuickBooks Online company Acme Goods."
    )


def test_the_company_name_is_needed_for_the_words_confirmed() -> None:
    without = snapshot(items=(), products=())
    result = run(SLUG, without, answers())
    assert result.status is Status.ERROR and result.id == "other-apps.E903" and not result.ask


def test_a_burst_is_twenty_items_within_ten_minutes_in_the_last_ninety_days() -> None:
    recent = NOW - timedelta(days=10)
    result = run(SLUG, snap(burst(20, recent, timedelta(seconds=30))), answers())
    bursts = [f for f in result.findings if f.kind == "burst"]
    assert len(bursts) == 1 and bursts[0].extra["items"] == "20"
    assert "1 burst" in result.summary
    assert result.id == "other-apps.N002" and "Acme Goods" in result.ask
    # 19 items are not a burst; nor are 20 spread over more than 10 minutes; nor an old import.
    for items in (
        burst(19, recent),
        burst(20, recent, timedelta(seconds=32)),  # 19 × 32 s = 10 min 8 s
        burst(40, NOW - timedelta(days=91)),
    ):
        assert not [f for f in run(SLUG, snap(items), answers()).findings if f.kind == "burst"]


def test_two_separate_bursts_are_reported_separately() -> None:
    items = burst(25, NOW - timedelta(days=5), prefix="X") + burst(21, NOW - timedelta(days=2), prefix="Y")
    found = [f for f in run(SLUG, snap(items), answers()).findings if f.kind == "burst"]
    assert sorted(f.extra["items"] for f in found) == ["21", "25"]


def test_collisions_with_finale_ids_of_another_type_or_spelling_including_inactive() -> None:
    items = [
        item("1", "SKU-1", type="NonInventory"),
        item("2", "sku 2", type="Inventory"),  # differs only by a space
        item("3", "SKU-3 (deleted)", type="Service", active=False),
        item("4", "SKU-4"),  # an inventory match: deactivation's job, not a hint
        item("6", "SKU-4 (deleted)", active=False),  # a deactivated match: the expected outcome, not a hint
        item("5", "Unrelated"),
    ]
    products = [product("SKU-1"), product("SKU2"), product("SKU-3"), product("SKU-4")]
    result = run(SLUG, snap(items, products), answers())
    hinted = {f.id: f.detail for f in result.findings if f.kind == "qbo_item"}
    assert set(hinted) == {"1", "2", "3"}
    assert "NonInventory" in hinted["1"]
    assert "spacing" in hinted["2"]
    assert hinted["3"].startswith("inactive")


def test_duplicate_names_after_normalising() -> None:
    items = [
        item("1", "Blue  Mug"),
        item("2", "blue mug"),
        item("3", "Ｂｌｕｅ Ｍｕｇ"),
        item("4", "Red mug"),
    ]
    result = run(SLUG, snap(items), answers())
    dup = {f.id for f in result.findings if "duplicate" in f.detail}
    assert dup == {"1", "2", "3"}
    assert "duplicate names" in result.summary


def test_passes_after_confirmation_when_nothing_new_appeared() -> None:
    items = burst(20, NOW - timedelta(days=10))
    result = run(SLUG, snap(items), answers(confirm=[SLUG], confirm_at=NOW - timedelta(days=1)))
    assert result.status is Status.PASS and result.id == "other-apps.I002"
    assert "before that confirmation" in result.summary
    assert result.cleared and not result.ask
    quiet = run(SLUG, snap([]), answers(confirm=[SLUG]))
    assert quiet.status is Status.PASS and quiet.id == "other-apps.I001" and quiet.cleared


def test_a_burst_after_the_confirmation_reopens_the_check() -> None:
    confirmed = NOW - timedelta(days=3)
    items = burst(20, NOW - timedelta(days=1))
    ans = answers(confirm=[SLUG], confirm_at=confirmed)
    result = run(SLUG, snap(items), ans)
    assert result.status is Status.WARN and result.id == "other-apps.W001"
    assert result.pending is Pending.CONFIRM
    assert "since then" in result.summary
    assert "Acme Goods" in result.ask
    assert not result.cleared
    # A generic acknowledgement does not clear it; confirming again (after the burst) does.
    assert not run(SLUG, snap(items), answers(confirm=[SLUG], confirm_at=confirmed, ack={SLUG: "ok"})).cleared
    assert run(SLUG, snap(items), answers(confirm=[SLUG], confirm_at=NOW)).status is Status.PASS


def test_a_colliding_item_created_after_the_confirmation_reopens_it_naive_times_too() -> None:
    naive_confirmation = datetime(2025, 6, 1, 12, 0)  # taken as UTC
    items = [item("1", "SKU-1", type="NonInventory", created=datetime(2025, 6, 2, 8, 0, tzinfo=UTC))]
    result = run(SLUG, snap(items, [product("SKU-1")]), answers(confirm=[SLUG], confirm_at=naive_confirmation))
    assert result.status is Status.WARN
