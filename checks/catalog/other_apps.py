"""4. other-apps: no other software may push new products into QBO.

Preflight cannot see which app created an item (QBO does not expose it), so it looks for signs: bursts of
items created within minutes (what an import or a sync does), QBO items whose names collide with Finale
product ids, and duplicate names. An owner confirms after seeing them. Signs that appear after that
confirmation re-open the check: something created items since the owner looked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from checks.answers import Answers
from checks.catalog._common import first, not_loaded, utc
from checks.catalog._matching import base_name, key, loose_key, products_by_key, products_by_loose_key
from checks.money import count
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Pending, Status
from checks.snapshot import FinaleProduct, Need, QboItem, Snapshot

SLUG = "other-apps"

# A burst: at least BURST_SIZE items created within BURST_SPAN of each other, in the last BURST_LOOKBACK.
# People create items one by one; 20 in 10 minutes is an import or an app syncing a catalog.
BURST_SIZE = 20
BURST_SPAN = timedelta(minutes=10)
BURST_LOOKBACK = timedelta(days=90)

KNOWN_APPS = "A2X, Connex or Webgility"

OUTCOMES = {
    "other-apps.N001": "no signs of another app; an owner must confirm none pushes products",
    "other-apps.N002": "signs of another app found; an owner must confirm none pushes products",
    "other-apps.W001": "confirmed, but colliding or bursty items were created since: confirm again",
    "other-apps.I001": "an owner confirmed no other app pushes products; no signs",
    "other-apps.I002": "an owner confirmed no other app pushes products; the signs predate the confirmation",
}


@dataclass(frozen=True, slots=True)
class Burst:
    items: tuple[QboItem, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Hint:
    item: QboItem
    why: str
    product: FinaleProduct | None = None


def find_bursts(items: tuple[QboItem, ...], now: datetime) -> list[Burst]:
    end = utc(now)
    since = end - BURST_LOOKBACK
    # Only the items made in the lookback are sorted.
    timed = [(t, i) for i in items if i.created is not None and since <= (t := utc(i.created)) <= end]
    timed.sort(key=lambda p: (p[0], p[1].id))
    in_burst = [False] * len(timed)
    left = 0
    for right in range(len(timed)):
        while timed[right][0] - timed[left][0] > BURST_SPAN:
            left += 1
        if right - left + 1 >= BURST_SIZE:
            for k in range(left, right + 1):
                in_burst[k] = True
    bursts: list[Burst] = []
    run: list[tuple[datetime, QboItem]] = []
    for k, (t, item) in enumerate(timed):
        if in_burst[k] and run and t - run[-1][0] <= BURST_SPAN:
            run.append((t, item))
            continue
        if run:
            bursts.append(Burst(tuple(i for _, i in run), run[0][0], run[-1][0]))
        run = [(t, item)] if in_burst[k] else []
    if run:
        bursts.append(Burst(tuple(i for _, i in run), run[0][0], run[-1][0]))
    return bursts


def find_collisions(
    items: tuple[QboItem, ...], strict: Mapping[str, FinaleProduct], loose: Mapping[str, FinaleProduct]
) -> list[Hint]:
    """QBO items, active or not, named like a Finale product id (`strict`: by `key`, `loose`: by `loose_key`)
    but of another type or written differently."""
    hints: list[Hint] = []
    for item in items:
        name = base_name(item)
        product = strict.get(key(name)) or loose.get(loose_key(name))
        if product is None:
            continue
        state = "active" if item.active else "inactive"
        if item.type != "Inventory":
            why = f"{state} {item.type} item named like Finale product {product.product_id}"
        elif key(name) != key(product.product_id):
            why = f"{state} item whose name differs from Finale product {product.product_id} only by spacing"
        else:
            continue  # an inventory item matching a product: the deactivation check's job
        if name.strip() != product.product_id.strip() and key(name) == key(product.product_id):
            why += " (and by upper/lower case)"
        hints.append(Hint(item, why, product))
    return hints


def find_duplicates(items: tuple[QboItem, ...]) -> list[Hint]:
    """QBO items whose names are equal once case and whitespace are ignored (QBO refuses exact ones)."""
    groups: dict[str, list[QboItem]] = defaultdict(list)
    for item in items:
        if item.type == "Category":
            continue
        groups[loose_key(item.name)].append(item)
    hints: list[Hint] = []
    for group in groups.values():
        if len(group) > 1:
            names = ", ".join(repr(i.name) for i in group)
            hints.extend(Hint(i, f"duplicate name: {names}") for i in group)
    return hints


def _burst_finding(b: Burst) -> Finding:
    return Finding(
        kind="burst",
        id=f"burst-{b.start.isoformat()}",
        name=f"{count(len(b.items), 'item')} created between {_when(b.start)} and {_when(b.end)}",
        detail=f"For example: {first(i.name for i in b.items)}",
        quantity=None,
        extra={"first": b.start.isoformat(), "last": b.end.isoformat(), "items": str(len(b.items))},
    )


def _hint_finding(h: Hint) -> Finding:
    extra = {"type": h.item.type, "active": "yes" if h.item.active else "no"}
    if h.product is not None:
        extra["finale_product"] = h.product.product_id
    if h.item.created is not None:
        extra["created"] = h.item.created.isoformat()
    return Finding(kind="qbo_item", id=h.item.id, name=h.item.name, detail=h.why, extra=extra)


def _when(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%d %H:%M UTC")


@register(
    slug=SLUG,
    title="No other app pushes products into QBO",
    kind=Kind.AUTOMATIC_CONFIRMATION,
    order=40,
    why=(
        f"Apps such as {KNOWN_APPS}, or a marketplace or website connector, that create products in QBO "
        "cause name collisions and duplicate items, and stop Finale's data from syncing."
    ),
    # The company only for its name, in the words an owner confirms.
    needs=(Need.QBO_COMPANY, Need.QBO_ITEMS, Need.FINALE_PRODUCTS),
    outcomes=OUTCOMES,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    company, items, products = snapshot.company, snapshot.items, snapshot.products
    if company is None or items is None or products is None:
        return not_loaded(
            SLUG, answers, {Need.QBO_COMPANY: company, Need.QBO_ITEMS: items, Need.FINALE_PRODUCTS: products}
        )
    ask = (
        f"I confirm that no other app (such as {KNOWN_APPS}) and no marketplace or website pushes new products "
        f"into QuickBooks Online company {company.name}."
    )
    bursts = find_bursts(items, snapshot.fetched_at)
    collisions = find_collisions(items, products_by_key(snapshot), products_by_loose_key(snapshot))
    duplicates = find_duplicates(items)
    findings = (
        tuple(_burst_finding(b) for b in bursts)
        + tuple(_hint_finding(h) for h in collisions)
        + tuple(_hint_finding(h) for h in duplicates)
    )
    signs = []
    if bursts:
        newest = max(bursts, key=lambda b: b.end)
        signs.append(
            f"{count(len(bursts), 'burst')} of items created within minutes in the last 90 days "
            f"(latest: {count(len(newest.items), 'item')} on {_when(newest.start)})"
        )
    if collisions:
        signs.append(
            f"{count(len(collisions), 'QBO item')} named like Finale product ids but of another type or spelling"
        )
    if duplicates:
        signs.append(f"{count(len(duplicates), 'QBO item')} with duplicate names")
    seen = "Signs that another app may push products into QBO: " + "; ".join(signs) + "." if signs else ""
    hint = (
        f"In QuickBooks Online open Apps (or Settings > Apps) and look for {KNOWN_APPS}, or any marketplace "
        "or "
        "website connector, that creates products; turn off its product sync or disconnect it. A burst of "
        "new "
        "items can also be a person's import: check who created them. Then an owner confirms here."
    )

    confirmation = answers.confirmed(SLUG)
    if confirmation is None:
        lead = seen or "No signs of another app pushing products into QBO were found."
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=(
                f"{lead} An owner must confirm that no other software (such as {KNOWN_APPS}) pushes products into QBO."
            ),
            hint=hint,
            findings=findings,
            id="other-apps.N002" if signs else "other-apps.N001",
            ask=ask,
            pending=Pending.CONFIRM,
        )

    confirmed_at = utc(confirmation.recorded_at)
    new_bursts = [b for b in bursts if b.end > confirmed_at]
    new_items = [
        h for h in collisions + duplicates if h.item.created is not None and utc(h.item.created) > confirmed_at
    ]
    who = f"{confirmation.user_name} on {confirmation.recorded_at.date().isoformat()}"
    if new_bursts or new_items:
        news = []
        if new_bursts:
            news.append(f"{count(sum(len(b.items) for b in new_bursts), 'item')} created in bursts")
        if new_items:
            news.append(f"{count(len({h.item.id for h in new_items}), 'colliding or duplicate item')} created")
        latest = max([b.end for b in new_bursts] + [utc(h.item.created) for h in new_items if h.item.created])
        return CheckResult(
            slug=SLUG,
            status=Status.WARN,
            summary=(
                f"{who} confirmed that no other app pushes products into QBO, but since then "
                f"{' and '.join(news)} (latest {_when(latest)}). Something may be creating products: "
                "an owner must look again and confirm."
            ),
            hint=hint,
            findings=findings,
            id="other-apps.W001",
            ask=ask,
            pending=Pending.CONFIRM,
            # Only a confirmation recorded after these items clears it; an acknowledgement must name them.
            ack_key=f"new items up to {latest.isoformat()}",
        )
    before = f" The signs found were there before that confirmation: {'; '.join(signs)}." if signs else ""
    return CheckResult(
        slug=SLUG,
        status=Status.PASS,
        summary=f"{who} confirmed that no other app pushes products into QBO.{before}",
        findings=findings,
        id="other-apps.I002" if signs else "other-apps.I001",
    )
