"""2. inventory-items: QBO must not keep tracking purchases and sales with its own inventory-type items.

Once Finale pushes, Finale owns inventory: QBO inventory items that Finale does not know about must not be
used on purchase orders, bills, invoices or sales receipts from the enable date on. Items that match a Finale
product are the deactivation check's job; this check only counts them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from checks.answers import Answers
from checks.catalog import _moves as moves
from checks.catalog._common import digest, first, not_loaded, show_date, stale_enable_date
from checks.catalog._matching import matching_product, products_by_key
from checks.catalog._moves import Move
from checks.money import ZERO, cents, count, money, plain_money
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
    "inventory-items.F002": "inactive items that are not Finale products are still used from the enable date on",
    "inventory-items.W002": "items that are not Finale products were made inactive: an owner acknowledges the amount",
}


# What values the moves: the write-offs and the valuation reports. Their failure is said, not fatal.
MONEY_NEEDS = (Need.QBO_ACCOUNTS, Need.QBO_INVENTORY_VALUATION, Need.QBO_ADJUSTMENTS, Need.QBO_WRITE_OFF_VALUATION)


def needs(answers: Answers) -> frozenset[Need]:
    base = {Need.QBO_COMPANY, Need.QBO_ITEMS, Need.FINALE_PRODUCTS, *MONEY_NEEDS}
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


def _finding(item: QboItem, txns: list[ItemTransaction], move: Move | None = None, currency: str = "USD") -> Finding:
    if txns:
        refs = [f"{TXN_LABEL.get(t.txn_type, t.txn_type)} {t.doc_number or t.txn_id} ({t.txn_date})" for t in txns]
        detail = f"Not a Finale product; used on {count(len(txns), 'transaction')}: {first(refs)}"
    else:
        detail = "Not a Finale product"
    if move is not None and move.value:
        worth = f"{money(cents(move.value), currency)} from {move.asset_name} to {move.expense_name}"
        detail += (
            f"; QBO wrote off {worth} on {move.txn_date.isoformat()}"
            if move.txn_date
            else f"; making it inactive moves {worth}"
        )
    return Finding(
        kind="qbo_item",
        id=item.id,
        name=item.name,
        detail=detail,
        quantity=item.qty_on_hand,
        amount=move.value if move is not None else None,
        extra={
            "sku": item.sku or "",
            "transactions": str(len(txns)),
            "asset_account": move.asset_name if move else "",
            "expense_account": move.expense_name if move else "",
            "written_off_on": move.txn_date.isoformat() if move and move.txn_date else "",
        },
    )


def money_text(future: list[Move], past: list[Move], currency: str) -> str:
    """What making these items inactive moves, or moved, to expense, by account."""
    out = ""
    if future and moves.total(future):
        out += (
            f" Making {'it' if len(future) == 1 else 'them'} inactive moves {money(moves.total(future), currency)} "
            f"to expense ({moves.routes(future, currency)})."
        )
    if past:
        dates = sorted({m.txn_date.isoformat() for m in past if m.txn_date})
        which = "item that is not a Finale product was" if len(past) == 1 else "items that are not Finale products were"
        out += (
            f" {len(past):,} inventory {which} made inactive ({first(m.item.name for m in past)}): QBO wrote off "
            f"{money(moves.total(past), currency)} ({moves.routes(past, currency)}) with inventory adjustments "
            f"dated {first(dates)}; the opening-balance check says how it is put back."
        )
    return out


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
    handles_failures=MONEY_NEEDS,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    company, items, products = snapshot.company, snapshot.items, snapshot.products
    if company is None or items is None or products is None:
        return not_loaded(
            SLUG, answers, {Need.QBO_COMPANY: company, Need.QBO_ITEMS: items, Need.FINALE_PRODUCTS: products}
        )
    currency = company.home_currency
    pref = quantity_pref(company)
    index = products_by_key(snapshot)
    inventory = [i for i in items if i.active and i.type == "Inventory"]
    matched = [i for i in inventory if matching_product(i, index) is not None]
    others = [i for i in inventory if matching_product(i, index) is None]
    inactive_others = [
        i for i in items if not i.active and i.type == "Inventory" and matching_product(i, index) is None
    ]
    theirs = [m for m in moves.value_moves(snapshot) if m.product is None]
    future = {m.item.id: m for m in theirs if not m.past}
    past = [m for m in theirs if m.past]
    unread = [n for n in (Need.QBO_ADJUSTMENTS, Need.QBO_WRITE_OFF_VALUATION) if n in snapshot.errors]
    unread_text = (
        " Preflight could not read "
        + "; ".join(f"{n.value} ({snapshot.errors[n].message})" for n in unread)
        + ", so write-offs of items made inactive may be missing: run the check again."
        if unread
        else ""
    )
    told = money_text([future[i.id] for i in others if i.id in future], past, currency) + unread_text
    handed = (
        f" Another {count(len(matched), 'active inventory-type item')} "
        f"{'matches a Finale product' if len(matched) == 1 else 'match Finale products'}: "
        f"the deactivation check covers {'it' if len(matched) == 1 else 'them'}."
        if matched
        else ""
    )
    if not others and not answers.enable_date_decided and not past:
        return _no_others(inventory, pref)

    # Which transactions from the enable date on name these items (active or made inactive).
    by_item: dict[str, list[ItemTransaction]] = defaultdict(list)
    enable_date = answers.enable_date
    if answers.enable_date_decided:
        stale = stale_enable_date(SLUG, snapshot, answers)
        if stale is not None:
            return stale
        txns = snapshot.item_transactions
        if txns is None:
            return not_loaded(SLUG, answers, {Need.QBO_ITEM_TRANSACTIONS: txns})
        for t in sorted(txns, key=lambda t: (t.txn_date, t.txn_type, t.txn_id)):
            if t.txn_type in TRACKING_TXNS and (enable_date is None or t.txn_date >= enable_date):
                by_item[t.item_id].append(t)
    used_inactive = [i for i in inactive_others if by_item.get(i.id)]
    past_by_item = {m.item.id: m for m in past}

    def finding(i: QboItem) -> Finding:
        return _finding(i, by_item.get(i.id, []), future.get(i.id) or past_by_item.get(i.id), currency)

    if not others:
        if used_inactive:
            return CheckResult(
                slug=SLUG,
                status=Status.FAIL,
                summary=(
                    f"{count(len(used_inactive), 'inactive inventory-type item')} that "
                    f"{'is not a Finale product is' if len(used_inactive) == 1 else 'are not Finale products are'} "
                    f"still used on purchase orders, bills, invoices or sales receipts {window(enable_date)}: "
                    f"{first(i.name for i in used_inactive)}.{told}{handed} {pref}"
                ),
                hint=(
                    "Making an item inactive does not change the transactions that already name it. Edit each "
                    "transaction listed to use a Non-inventory or Service item (or a Finale product), then run "
                    "the check again."
                ),
                findings=tuple(finding(i) for i in used_inactive),
                id="inventory-items.F002",
            )
        if past:
            total = moves.total(past)
            return CheckResult(
                slug=SLUG,
                status=Status.WARN,
                summary=f"QBO has no active inventory-type item that is not a Finale product.{told}{handed} {pref}",
                hint=(
                    "An owner acknowledges the amount QBO wrote off. The opening-balance check drafts the "
                    "journal entries that put it back."
                ),
                findings=tuple(finding(m.item) for m in past),
                amounts={"written_off": total},
                id="inventory-items.W002",
                ask=(
                    f"I understand that making {count(len(past), 'inventory item')} that "
                    f"{'is not a Finale product' if len(past) == 1 else 'are not Finale products'} inactive "
                    f"moved {money(total, currency)} to expense ({moves.routes(past, currency)}), and that it is "
                    "put back by the opening journal entry, or by a reversing entry for each write-off dated on "
                    "or after the enable date."
                ),
                ack_key=f"written off {plain_money(total)}",
            )
        return _no_others(inventory, pref)

    verb = "is not a Finale product" if len(others) == 1 else "are not Finale products"
    not_in_finale = f"{count(len(others), 'active inventory-type item')} in QBO {verb}."
    if not answers.enable_date_decided:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=(
                f"{not_in_finale}{told}{handed} Whether they block go-live depends on the enable date, "
                f"which is not chosen yet. {pref}"
            ),
            hint=(
                "Choose the enable date first. Preflight then looks for these items on purchase orders, "
                "bills, "
                "invoices and sales receipts dated from that day on; any such use blocks go-live."
            ),
            findings=tuple(finding(i) for i in others),
            id="inventory-items.N001",
            pending=Pending.ENABLE_DATE,
        )

    findings = tuple(finding(i) for i in [*others, *used_inactive])
    used = [i for i in others if by_item.get(i.id)] + used_inactive
    if used:
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=(
                f"{not_in_finale} {count(len(used), 'of them is', 'of them are')} used on purchase orders, "
                "bills, "
                f"invoices or sales receipts {window(enable_date)}: {first(i.name for i in used)}.{told}{handed} "
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
    moving = sum((future[i.id].value for i in others if i.id in future), ZERO)
    facts = [i.id for i in others] + [f"enable={show_date(enable_date)}"]
    if past:
        facts.append(f"written off {plain_money(moves.total(past))}")
    return CheckResult(
        slug=SLUG,
        status=Status.WARN,
        summary=(
            f"{not_in_finale} None is used on purchase orders, bills, invoices or sales receipts "
            f"{window(enable_date)}.{told}{handed} {pref}"
        ),
        hint=(
            "Make these items inactive in QBO (Sales > Products and services > Edit > Make inactive), or "
            "have an "
            "owner acknowledge that nobody will use them on purchase orders, bills, invoices or sales "
            "receipts "
            "once Finale pushes."
        ),
        findings=findings,
        amounts={"to_expense_if_inactive": cents(moving), **({"written_off": moves.total(past)} if past else {})},
        id="inventory-items.W001",
        ask=(
            f"I understand that {count(len(others), 'active inventory-type item')} in QBO "
            f"{'is not a Finale product' if len(others) == 1 else 'are not Finale products'} "
            f"({first(i.name for i in others)}), and that nobody will use "
            f"{'it' if len(others) == 1 else 'them'} on purchase orders, bills, invoices or sales receipts once "
            "Finale pushes."
            + (f" QBO already wrote off {money(moves.total(past), currency)} for items made inactive." if past else "")
        ),
        ack_key=f"{count(len(others), 'item')} {digest(facts)}",
    )


def _no_others(inventory: list[QboItem], pref: str) -> CheckResult:
    if not inventory:
        return CheckResult(
            slug=SLUG,
            status=Status.PASS,
            summary=f"QBO has no active inventory-type items. {pref}",
            id="inventory-items.I001",
        )
    return CheckResult(
        slug=SLUG,
        status=Status.PASS,
        summary=(
            f"QBO has {count(len(inventory), 'active inventory-type item')}, each matching a Finale product: "
            f"the deactivation check covers them. {pref}"
        ),
        id="inventory-items.I002",
    )
