"""Deterministic sandbox companies: the Acme Outdoor Goods demo and large companies for benchmarks.

Everything is derived from a seeded `random.Random` and the `today` argument (never the wall clock), so the
same inputs give an identical company. The planted enable date D is `demo_enable_date(today)`: the first of
the month that began at least 14 days before `today`, so that there are completed sales orders and QBO
transactions on and after D (Finale pushes from D on, and an owner usually picks the start of the current
month). D-1 is the day before.

`company.planted` records what each check should find (both generators use the same keys):

- ``enable_date`` (date): the planned enable date D.
- ``book_close_date`` (date): QBO's closing date, the last day of the month two months before D.
- ``accounts`` (dict[str, str]): account ids by role: checking, accounts_receivable, inventory_asset,
  inventory_asset_2, undeposited_funds, accounts_payable, opening_balance_equity, retained_earnings,
  sales_income, services_income, cogs, shrinkage, supplies_expense.
- ``items_to_deactivate`` (list[dict]): active QBO Inventory items whose Name or Sku equals a Finale
  productId (trimmed, case-insensitive): id, name, sku, qty (Decimal), purchase_cost, asset_value
  (qty x purchase cost, Decimal cents), finale_product_id, matched_on ("name" | "sku"), asset_account_id,
  expense_account_id (the account QBO debits when the item is made inactive: Inventory Shrinkage).
- ``total_to_expense`` (Decimal): the sum of their asset values.
- ``inventory_items_not_in_finale_fail`` (list[dict]): active Inventory items not in Finale that appear on a
  PurchaseOrder, Bill, Invoice or SalesReceipt dated on or after D: id, name, sku, qty, asset_value and
  transactions (entity, id, doc_number, txn_date, only those on or after D).
- ``inventory_items_not_in_finale_warn`` (list[dict]): the other active Inventory items not in Finale:
  id, name, sku, qty, asset_value.
- ``ignored_inactive_items`` (list[str]): ids of inactive Inventory items whose Sku is a Finale productId
  (QBO appended " (deleted)" to their names); no check may report them.
- ``other_app_burst_count`` (int), ``other_app_burst_item_ids`` (list[str]), ``other_app_burst_window``
  (tuple[datetime, datetime]): NonInventory items another app created within a few minutes.
- ``duplicate_names`` (list[dict]): groups of QBO items whose names are equal after trimming, collapsing
  whitespace and case-folding: ids, names.
- ``type_collisions`` (list[dict]): QBO items of another type than Inventory whose name equals a Finale
  productId: qbo_item_id, qbo_name, qbo_type, finale_product_id.
- ``case_collisions`` (list[dict]): QBO items whose Name or Sku equals a Finale productId only after
  trimming and case-folding: qbo_item_id, qbo_name, qbo_type, field ("name" | "sku"), finale_product_id.
- ``products_without_average_cost`` (list[dict]): active Finale products with no average cost > 0 as of D:
  product_id, average_cost (None, 0 or the later cost), average_cost_since, reason ("none" | "zero" |
  "after_enable_date").
- ``negative_stock`` (list[dict]): product/sublocation pairs whose on-hand rows sum below zero:
  product_id, facility_id, sublocation (name), qty (Decimal).
- ``orders_without_invoice`` (dict[str, list[str]]): by sale source, the ids of completed sales orders dated
  on or after D without an invoice (open, cancelled and earlier orders are not findings).
- ``sources_without_invoicing`` (list[str]): sources with completed orders on or after D and not one invoice.
- ``monthly_order_volume`` (dict[str | None, dict[str, int]]): by sale source (None: no source) and
  calendar month ("YYYY-MM"), the number of sales orders that are not cancelled.
- ``monthly_invoice_volume`` (dict[str | None, int]): by sale source, the average number of orders a month
  over the full months before D: the QBO invoices a month that source would create.
- ``qbo_inventory_balance_d1`` (Decimal) and ``qbo_inventory_balance_d1_by_account`` (dict[str, Decimal]):
  the Inventory sub-type accounts' balances on D-1 from the ledger.
- ``qbo_inventory_value_today`` (Decimal): the sum of qty x purchase cost of every Inventory item, which is
  also the Inventory sub-type accounts' balance today.
- ``finale_inventory_value_d1`` (Decimal): Finale's inventory value on D-1.
- ``opening_balance_difference`` (Decimal): finale_inventory_value_d1 - qbo_inventory_balance_d1, the
  amount the opening journal entry dated D-1 must debit (negative: credit) to the inventory asset.
- ``counts`` (dict[str, int]): the length of every list above (orders_without_invoice: all sources), for
  benchmarks that only compare numbers.
"""

from __future__ import annotations

from sandbox.generate.catalog import DEMO_ACCOUNT_PATH, DEMO_API_KEY, DEMO_API_SECRET, DEMO_COMPANY_NAME, DEMO_REALM_ID
from sandbox.generate.common import book_close_date_for, demo_enable_date, normalize_name
from sandbox.generate.demo import demo_company
from sandbox.generate.large import large_company

__all__ = [
    "DEMO_ACCOUNT_PATH",
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "DEMO_COMPANY_NAME",
    "DEMO_REALM_ID",
    "book_close_date_for",
    "demo_company",
    "demo_enable_date",
    "large_company",
    "normalize_name",
]
