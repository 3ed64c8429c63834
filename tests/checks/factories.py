"""Builders for Snapshots and Answers: real data objects, no mocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from checks import registry as registry_module
from checks.answers import Answers, Confirmation
from checks.results import CheckResult
from checks.snapshot import (
    FinaleProduct,
    Need,
    QboAccount,
    QboCompany,
    QboItem,
    Ref,
    Snapshot,
)

TODAY = date(2025, 6, 20)
NOW = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)
REGISTRY = registry_module.registry

ASSET = Ref("81", "Inventory Asset")
COGS = Ref("80", "Cost of Goods Sold")


def D(text: str) -> Decimal:
    return Decimal(text)


def company(**kw: object) -> QboCompany:
    base: dict[str, object] = {"realm_id": "9130", "name": "Acme Goods"}
    base.update(kw)
    return QboCompany(**base)  # type: ignore[arg-type]


def item(
    id: str,
    name: str,
    *,
    type: str = "Inventory",
    active: bool = True,
    sku: str | None = None,
    qty: str | None = None,
    cost: str | None = None,
    created: datetime | None = None,
    asset: Ref | None = ASSET,
    expense: Ref | None = COGS,
) -> QboItem:
    return QboItem(
        id=id,
        name=name,
        type=type,
        active=active,
        sku=sku,
        qty_on_hand=None if qty is None else Decimal(qty),
        purchase_cost=None if cost is None else Decimal(cost),
        asset_account=asset if type == "Inventory" else None,
        expense_account=expense,
        created=created,
    )


def product(product_id: str, name: str | None = None, *, active: bool = True) -> FinaleProduct:
    return FinaleProduct(
        product_id=product_id,
        name=name or f"Product {product_id}",
        active=active,
        product_url=f"/acme/api/product/{product_id}",
    )


def account(id: str, name: str, sub_type: str = "Inventory", *, type: str = "Other Current Asset") -> QboAccount:
    classification = "Asset" if type == "Other Current Asset" else "Expense"
    return QboAccount(
        id=id,
        name=name,
        account_type=type,
        account_sub_type=sub_type,
        classification=classification,
        active=True,
    )


def snapshot(**kw: object) -> Snapshot:
    base: dict[str, object] = {"fetched_at": NOW}
    base.update(kw)
    return Snapshot(**base)  # type: ignore[arg-type]


def confirmation(slug: str, value: str = "yes", *, at: datetime = NOW, kind: str = "confirm") -> Confirmation:
    return Confirmation(slug=slug, kind=kind, value=value, user_id="U1", user_name="Dana Owner", recorded_at=at)


def answers(
    *,
    confirm: Iterable[str] = (),
    confirm_at: datetime = NOW,
    ack: dict[str, str] | None = None,
    not_applicable: dict[str, str] | None = None,
    **kw: object,
) -> Answers:
    base: dict[str, object] = {"today": TODAY}
    base.update(kw)
    base["confirmations"] = {s: confirmation(s, at=confirm_at) for s in confirm}
    base["acknowledgements"] = {s: confirmation(s, v, kind="acknowledge") for s, v in (ack or {}).items()}
    base["not_applicable"] = {s: confirmation(s, v, kind="not_applicable") for s, v in (not_applicable or {}).items()}
    return Answers(**base)  # type: ignore[arg-type]


def run(slug: str, snap: Snapshot, ans: Answers) -> CheckResult:
    """Through the registry, as the product runs it (errors, not applicable and `cleared` included).

    Every result of every scenario must carry one of its check's declared ids, of its status' letter."""
    spec = REGISTRY.get(slug)
    result = spec.run(snap, ans)
    assert result.id in spec.all_outcomes(), (slug, result.id, result.summary)
    assert registry_module.id_matches_status(result.id, result.status), (result.id, result.status)
    return result


def needs(slug: str, ans: Answers) -> frozenset[Need]:
    return REGISTRY.get(slug).needs(ans)
