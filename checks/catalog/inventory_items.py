"""2. inventory-items: QBO must not keep tracking purchases and sales with its own inventory-type items.

Once Finale pushes, Finale owns inventory: QBO inventory items that Finale does not know about must not be
used on purchase orders, bills, invoices or sales receipts from the enable date on. Items that match a Finale
product are the deactivation check's job; this check only counts them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from checks.answers import Answers
from checks.catalog._common import digest, first, not_loaded, show_date, stale_enable_date
from checks.catalog._matching import matching_product, products_by_key
from checks.money import count
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Pending, Status
from checks.snapshot import ItemTransaction, Need, QboCompany, QboItem, Snapshot

SLUG = "inventory-items"

# The transactions through which QBO would keep tracking stock itself.
TRACKING_TXNS = ("PurchaseOrder", "Bill", "Invoice", "SalesReceipt")
TXN_LABEL = {
    "PurchaseOrder": "purchase order",
    "Bill": "bill",
    "Invoice": "invoice",
    "SalesReceipt": "sales receipt",
}


OUTCOMES = {
    "inventory-items.I001": "QBO has no active inventory-type items",
    "inventory-items.I002": "every active inventory-type item matches a Finale product (deactivation's job)",
    "inventory-items.N001": "items that are not Finale products; the enable date decides whether they block",
    "inventory-items.F001": "items that are not Finale products are used on transactions Finale will push over",
    "inventory-items.W001": "items that are not Finale products, unused from the enable date on",
}


def needs(answers: Answers) -> frozenset[Need]:
    base = {Need.QBO_COMPANY, Need.QBO_ITEMS, Need.FINALE_PRODUCTS}
    # Which transactions count depends on the enable date; before it is chosen they are not fetched.
    if answers.enable_date_decided:
        base.add(Need.QBO_ITEM_TRANSACTIONS)
    return frozenset(base)


def quantity_pref(company: QboCompany) -> str:
    if company.quantity_on_hand_enabled is True:
        return "QBO's inventory tracking (Quantity on hand) preference is on."
    if company.quantity_on_hand_enabled is False:
        return "QBO's inventory tracking (Quantity on hand) preference is off."
    return "QBO did not report its inventory tracking (Quantity on hand) preference."


def window(enable_date: date | None) -> str:
    return f"dated on or after {enable_date.isoformat()}" if enable_date else "of any date (the enable date is blank)"


def _finding(item: QboItem, txns: list[ItemTransaction]) -> Finding:
    if txns:
        refs = [f"{TXN_LABEL.get(t.txn_type, t.txn_type)} {t.doc_number or t.txn_id} ({t.txn_date})" for t in txns]
        detail = f"Not a Finale product; used on {count(len(txns), 'transaction')}: {first(refs)}"
    else:
        detail = "Not a Finale product"
    return Finding(
        kind="qbo_item",
        id=item.id,
        name=item.name,
        detail=detail,
        quantity=item.qty_on_hand,
        extra={"sku": item.sku or "", "transactions": str(len(txns))},
    )


@register(
    slug=SLUG,
    title="No inventory-type items in QBO",
    kind=Kind.AUTOMATIC,
    order=20,
    why=(
        "Once Finale pushes, Finale tracks inventory. QBO must not also track purchase orders and sales "
        "with its own inventory-type items, or stock and its value are counted twice."
    ),
    needs=needs,
    depends_on_enable_date=True,
    outcomes=OUTCOMES,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    company, items, products = snapshot.company, snapshot.items, snapshot.products
    if company is None or items is None or products is None:
        return not_loaded(
            SLUG, answers, {Need.QBO_COMPANY: company, Need.QBO_ITEMS: items, Need.FINALE_PRODUCTS: products}
        )
    pref = quantity_pref(company)
    index = products_by_key(snapshot)
    inventory = [i for i in items if i.active and i.type == "Inventory"]
    matched = [i for i in inventory if matching_product(i, index) is not None]
    others = [i for i in inventory if matching_product(i, index) is None]
    handed = (
        f" Another {count(len(matched), 'active inventory-type item')} "
        f"{'matches a Finale product' if len(matched) == 1 else 'match Finale products'}: "
        f"the deactivation check covers {'it' if len(matched) == 1 else 'them'}."
        if matched
        else ""
    )
    if not inventory:
        return CheckResult(
            slug=SLUG,
            status=Status.PASS,
            summary=f"QBO has no active inventory-type items. {pref}",
            id="inventory-items.I001",
        )
    if not others:
        return CheckResult(
            slug=SLUG,
            status=Status.PASS,
            summary=(
                f"QBO has {count(len(inventory), 'active inventory-type item')}, each matching a Finale "
                "product: "
                f"the deactivation check covers them. {pref}"
            ),
            id="inventory-items.I002",
        )

    verb = "is not a Finale product" if len(others) == 1 else "are not Finale products"
    not_in_finale = f"{count(len(others), 'active inventory-type item')} in QBO {verb}."
    if not answers.enable_date_decided:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=(
                f"{not_in_finale}{handed} Whether they block go-live depends on the enable date, "
                f"which is not chosen yet. {pref}"
            ),
            hint=(
                "Choose the enable date first. Preflight then looks for these items on purchase orders, "
                "bills, "
                "invoices and sales receipts dated from that day on; any such use blocks go-live."
            ),
            findings=tuple(_finding(i, []) for i in others),
            id="inventory-items.N001",
            pending=Pending.ENABLE_DATE,
        )

    stale = stale_enable_date(SLUG, snapshot, answers)
    if stale is not None:
        return stale
    txns = snapshot.item_transactions
    if txns is None:
        return not_loaded(SLUG, answers, {Need.QBO_ITEM_TRANSACTIONS: txns})
    enable_date = answers.enable_date
    by_item: dict[str, list[ItemTransaction]] = defaultdict(list)
    for t in sorted(txns, key=lambda t: (t.txn_date, t.txn_type, t.txn_id)):
        if t.txn_type in TRACKING_TXNS and (enable_date is None or t.txn_date >= enable_date):
            by_item[t.item_id].append(t)
    findings = tuple(_finding(i, by_item.get(i.id, [])) for i in others)
    used = [i for i in others if by_item.get(i.id)]
    if used:
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=(
                f"{not_in_finale} {count(len(used), 'of them is', 'of them are')} used on purchase orders, "
                "bills, "
                f"invoices or sales receipts {window(enable_date)}: {first(i.name for i in used)}.{handed} "
                f"{pref}"
            ),
            hint=(
                "QBO must not track purchases and sales with inventory-type items once Finale pushes. For "
                "each "
                "item listed: add it to Finale as a product (then deactivate it in QBO like the others), or "
                "make "
                "it inactive in QBO (Sales > Products and services > Edit > Make inactive) and use a "
                "Non-inventory or Service item on those transactions. Then run the check again."
            ),
            findings=findings,
            id="inventory-items.F001",
        )
    facts = [i.id for i in others] + [f"enable={show_date(enable_date)}"]
    return CheckResult(
        slug=SLUG,
        status=Status.WARN,
        summary=(
            f"{not_in_finale} None is used on purchase orders, bills, invoices or sales receipts "
            f"{window(enable_date)}.{handed} {pref}"
        ),
        hint=(
            "Make these items inactive in QBO (Sales > Products and services > Edit > Make inactive), or "
            "have an "
            "owner acknowledge that nobody will use them on purchase orders, bills, invoices or sales "
            "receipts "
            "once Finale pushes."
        ),
        findings=findings,
        id="inventory-items.W001",
        ask=(
            f"I understand that {count(len(others), 'active inventory-type item')} in QBO "
            f"{'is not a Finale product' if len(others) == 1 else 'are not Finale products'} "
            f"({first(i.name for i in others)}), and that nobody will use "
            f"{'it' if len(others) == 1 else 'them'} on purchase orders, bills, invoices or sales receipts once "
            "Finale pushes."
        ),
        ack_key=f"{count(len(others), 'item')} {digest(facts)}",
    )
