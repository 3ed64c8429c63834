"""Both simulators running together for one sandbox company, as the demo, the CLI and the tests use them.

`fix(...)` does what a person would do in QBO or Finale to clear a planted problem: through the QBO API
where QBO has one (deactivating items, posting the journal entry), and on the Finale account directly for
what a person does in Finale's screens (a stock take, an Average Cost Change, posting invoices).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any

import requests

from sandbox.company import FinaleInvoiceRec, FinaleStockRec, QboItemRec, SandboxCompany
from sandbox.finale.app import create_finale_app
from sandbox.finale.reports import average_cost_report_url, inventory_value_report_url
from sandbox.finale.state import FinaleSimState
from sandbox.qbo.app import make_qbo_app
from sandbox.qbo.state import QboSandboxState
from sandbox.server import BackgroundServer

SANDBOX_CLIENT_ID = "preflight-sandbox-client"
SANDBOX_CLIENT_SECRET = "preflight-sandbox-secret"  # the simulator's own, not a real credential

FIXES = ("deactivate", "unknown-items", "stock", "costs", "invoices", "journal", "reverse")


class Planted:
    """The default of `fix(enable_date=...)`: the sandbox company's own planned enable date."""


PLANTED = Planted()


@dataclass(frozen=True)
class FinaleAccess:
    base_url: str
    account: str
    api_key: str
    api_secret: str
    report_urls: dict[str, str]


# How the simulators tell the sandbox's own fixes (the person fixing QuickBooks) from Preflight's requests.
RUNTIME_CLIENT = "preflight-sandbox-runtime"


class SandboxRuntime:
    def __init__(
        self,
        company: SandboxCompany,
        *,
        qbo_latency: float = 0.0,
        finale_latency: float = 0.0,
        enforce_rate_limits: bool = False,
        cache_finale_responses: bool = False,
    ) -> None:
        self.company = company
        self.qbo_state = QboSandboxState(
            [company.qbo],
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            latency=qbo_latency,
            enforce_rate_limits=enforce_rate_limits,
        )
        self.finale_state = FinaleSimState(
            company.finale, latency=finale_latency, cache_responses=cache_finale_responses
        )
        self.qbo_server = BackgroundServer(make_qbo_app(self.qbo_state))
        self.finale_server = BackgroundServer(create_finale_app(self.finale_state))

    # ------------------------------------------------------------ lifecycle

    def start(self) -> SandboxRuntime:
        self.qbo_server.start()
        self.finale_server.start()
        return self

    def stop(self) -> None:
        self.qbo_server.stop()
        self.finale_server.stop()

    def __enter__(self) -> SandboxRuntime:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ how to reach it

    @property
    def qbo_discovery_url(self) -> str:
        return self.qbo_server.url + "/.well-known/openid_configuration"

    @property
    def qbo_api_base(self) -> str:
        return self.qbo_server.url + "/v3"

    @property
    def realm_id(self) -> str:
        return self.company.qbo.realm_id

    def settings_overrides(self) -> dict[str, Any]:
        """Settings fields that point Preflight at the simulators (environment names in DESIGN §8)."""
        finale = self.finale_access()
        return {
            "qbo_client_id": SANDBOX_CLIENT_ID,
            "qbo_client_secret": SANDBOX_CLIENT_SECRET,
            "qbo_environment": self.qbo_discovery_url,
            "qbo_api_base": self.qbo_api_base,
            "finale_base_url": finale.base_url,
            "finale_average_cost_report_url": finale.report_urls["average_cost"],
            "finale_inventory_value_report_url": finale.report_urls["inventory_value"],
        }

    def qbo_tokens(self) -> tuple[str, str, datetime]:
        """A fresh connection to the sandbox company, as if an admin had just authorised Preflight."""
        token = self.qbo_state.issue_tokens(self.realm_id)
        expires = datetime.now(UTC) + timedelta(seconds=int(str(token["expires_in"])))
        return str(token["access_token"]), str(token["refresh_token"]), expires

    def finale_access(self) -> FinaleAccess:
        base = self.finale_server.url
        account = self.company.finale
        return FinaleAccess(
            base_url=base,
            account=account.account_path,
            api_key=account.api_key,
            api_secret=account.api_secret,
            # What an owner copies from Finale's browser: the pivotTableStream form, rewritten by the client.
            report_urls={
                "average_cost": average_cost_report_url(base, account.account_path),
                "inventory_value": inventory_value_report_url(base, account.account_path),
            },
        )

    # ------------------------------------------------------------ what a person would do

    def fix(self, what: str, *, today: date | None = None, enable_date: date | None | Planted = PLANTED) -> str:
        """Clear one kind of planted problem; returns what was done, in a sentence.

        `enable_date` is the date the owner chose (None: blank, push the whole history); the fixes that depend
        on it (costs, invoices, journal) follow it. Left out, they follow the sandbox company's planned date."""
        handlers = {
            "deactivate": self._deactivate_matching,
            "unknown-items": self._deactivate_unknown,
            "stock": self._fix_stock,
            "costs": self._fix_costs,
            "invoices": self._post_invoices,
            "journal": self._post_opening_entry,
            "reverse": self._post_reversing_entries,
        }
        if what not in handlers:
            raise ValueError(f"unknown fix {what!r}; one of {', '.join(FIXES)}")
        enable = self.enable_date if isinstance(enable_date, Planted) else enable_date
        return handlers[what](today or date.today(), enable)

    def _qbo(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        access, _refresh, _ = self.qbo_tokens()
        url = f"{self.qbo_api_base}/company/{self.realm_id}/{path}"
        response = requests.request(
            method,
            url,
            params={"minorversion": "75"},
            json=body,
            headers={"Authorization": f"Bearer {access}", "Accept": "application/json", "User-Agent": RUNTIME_CLIENT},
            timeout=30,
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def _set_inactive(self, item_ids: list[str]) -> int:
        done = 0
        for item_id in item_ids:
            item = self._qbo("GET", f"item/{item_id}")["Item"]
            if not item.get("Active", True):
                continue
            update = {"Id": item_id, "SyncToken": item["SyncToken"], "sparse": True, "Active": False}
            self._qbo("POST", "item", update)
            done += 1
        return done

    def _deactivate_matching(self, today: date, enable: date | None) -> str:
        ids = [str(i["id"]) for i in self.planted_list("items_to_deactivate")]
        count = self._set_inactive(ids)
        return f"Made {count} QBO inventory items inactive (QBO moved their value to Inventory Shrinkage)."

    def _deactivate_unknown(self, today: date, enable: date | None) -> str:
        ids = [
            str(i["id"])
            for key in ("inventory_items_not_in_finale_fail", "inventory_items_not_in_finale_warn")
            for i in self.planted_list(key)
        ]
        count = self._set_inactive(ids)
        moved = self._replace_on_transactions(ids)
        return (
            f"Made {count} QBO inventory items that Finale does not know inactive, and put a non-inventory item "
            f"in their place on {moved} transactions dated from the enable date on."
        )

    def _replace_on_transactions(self, item_ids: list[str]) -> int:
        """What a bookkeeper does in QBO's screens: edit the purchase orders, bills, invoices and sales receipts
        from the enable date on that still name an inactive inventory item, to use a non-inventory item."""
        qbo, enable = self.company.qbo, self.enable_date
        stand_ins: dict[str, str] = {}
        changed = 0
        now = qbo.now()  # QBO stamps what it saves (MetaData times, which CDC answers by)
        for txn in qbo.transactions:
            if txn.entity == "InventoryAdjustment" or (enable is not None and txn.txn_date < enable):
                continue
            touched = False
            for line in txn.lines:
                if line.item_id not in item_ids:
                    continue
                if line.item_id not in stand_ins:
                    item = next(i for i in qbo.items if i.id == line.item_id)
                    stand_in = QboItemRec(
                        id=qbo.next_id(),
                        name=f"{item.name} (non-inventory)",
                        type="NonInventory",
                        sku=None,
                        purchase_cost=item.purchase_cost,
                        unit_price=item.unit_price,
                        expense_account_id=item.expense_account_id,
                        income_account_id=item.income_account_id,
                        create_time=now,
                        update_time=now,
                    )
                    qbo.items.append(stand_in)
                    stand_ins[line.item_id] = stand_in.id
                line.item_id = stand_ins[line.item_id]
                touched = True
            if touched:
                txn.update_time = now
            changed += touched
        self.qbo_state.forget_answers()
        return changed

    def _fix_stock(self, today: date, enable: date | None) -> str:
        account = self.company.finale
        sums: dict[tuple[str, str], Decimal] = {}
        for row in account.stock:
            if row.order_id is None:
                key = (row.product_id, row.facility_id)
                sums[key] = sums.get(key, Decimal("0")) + row.quantity_on_hand
        fixed = 0
        for (product_id, facility_id), qty in sums.items():
            if qty < 0:
                # A stock take: count the shelf and bring the sublocation back to zero.
                account.stock.append(FinaleStockRec(product_id, facility_id, quantity_on_hand=-qty))
                fixed += 1
        self.finale_state.invalidate()
        return f"Recorded stock takes for {fixed} product/sublocation pairs with negative stock."

    def _fix_costs(self, today: date, enable: date | None) -> str:
        fixed = 0
        for product in self.company.finale.products:
            missing = product.average_cost is None or product.average_cost <= 0
            late = product.average_cost_since is not None and enable is not None and product.average_cost_since > enable
            if product.active and (missing or late):
                product.average_cost = (
                    product.average_cost
                    if product.average_cost and product.average_cost > 0
                    else (product.item_cost or Decimal("10.00"))
                )
                product.average_cost_since = (enable or today) - timedelta(days=1)
                fixed += 1
        self.finale_state.invalidate()
        return f"Entered an Average Cost Change for {fixed} products."

    def _post_invoices(self, today: date, enable: date | None) -> str:
        account = self.company.finale
        posted = 0
        next_id = max((int(i.invoice_id) for i in account.invoices if i.invoice_id.isdigit()), default=100000) + 1
        for order in account.orders:
            if order.order_type != "SALES_ORDER" or order.status != "ORDER_COMPLETED" or order.invoice_ids:
                continue
            if enable is not None and order.order_date.date() < enable:
                continue
            invoice_id = str(next_id)
            next_id += 1
            # Finale stamps both records with the moment of the change (their lastUpdatedDate), in UTC.
            now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
            account.invoices.append(FinaleInvoiceRec(invoice_id, order.order_id, order.order_date, last_updated=now))
            order.invoice_ids.append(invoice_id)
            order.last_updated = now
            posted += 1
        self.finale_state.invalidate()
        return f"Posted {posted} invoices for completed sales orders."

    def _post_opening_entry(self, today: date, enable: date | None) -> str:
        if enable is None:
            return "The enable date is blank (Finale pushes the whole history): there is no opening entry to post."
        d1 = enable - timedelta(days=1)
        qbo_total = sum(
            (
                self.company.qbo.balance(a.id, d1)
                for a in self.company.qbo.accounts
                if a.account_sub_type == "Inventory"
            ),
            Decimal("0"),
        )
        finale_value = self.company.finale.inventory_value(d1) or Decimal("0")
        difference = finale_value - qbo_total
        if difference == 0:
            return "The balances already agree."
        accounts = self.company.planted.get("accounts")
        roles = accounts if isinstance(accounts, dict) else {}
        asset = str(roles.get("inventory_asset", "3"))
        equity = str(roles.get("opening_balance_equity", ""))
        if not equity:
            equity = next(a.id for a in self.company.qbo.accounts if a.account_sub_type == "OpeningBalanceEquity")
        amount = float(abs(difference))
        debit, credit = (asset, equity) if difference > 0 else (equity, asset)
        body = {
            "TxnDate": d1.isoformat(),
            "PrivateNote": "Opening inventory balance to match Finale (drafted by Preflight)",
            "Line": [
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": amount,
                    "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": debit}},
                },
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": amount,
                    "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": credit}},
                },
            ],
        }
        self._qbo("POST", "journalentry", body)
        return f"Posted the opening journal entry dated {d1.isoformat()} for {abs(difference):,.2f}."

    def _post_reversing_entries(self, today: date, enable: date | None) -> str:
        """A reversing journal entry for each write-off dated on or after the enable date, on its date: debit the
        item's asset account, credit the account the adjustment debited, by the value written off."""
        qbo = self.company.qbo
        if enable is None:
            return "The enable date is blank (Finale pushes the whole history): there is nothing to reverse."
        done = {e.private_note for e in qbo.journal_entries}
        posted = 0
        for txn in qbo.transactions:
            note = f"Reverses inventory adjustment {txn.doc_number or txn.id}"
            if txn.entity != "InventoryAdjustment" or txn.txn_date < enable or note in done:
                continue
            lines = []
            for line in txn.lines:
                item = next((i for i in qbo.items if i.id == line.item_id), None)
                if item is None or item.active or line.qty >= 0 or item.asset_account_id is None:
                    continue
                amount = abs(line.amount)
                for posting, account in (("Debit", item.asset_account_id), ("Credit", txn.adjust_account_id)):
                    lines.append(
                        {
                            "DetailType": "JournalEntryLineDetail",
                            "Amount": str(amount),
                            "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": {"value": account}},
                        }
                    )
            if lines:
                self._qbo(
                    "POST", "journalentry", {"TxnDate": txn.txn_date.isoformat(), "PrivateNote": note, "Line": lines}
                )
                posted += 1
        return f"Posted {posted} reversing journal entries for write-offs dated on or after {enable.isoformat()}."

    # ------------------------------------------------------------ planted facts

    @property
    def enable_date(self) -> date | None:
        value = self.company.planted.get("enable_date")
        return value if isinstance(value, date) else None

    def planted_list(self, key: str) -> list[dict[str, Any]]:
        value = self.company.planted.get(key, [])
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
