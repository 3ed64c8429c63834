"""What the checks read from QBO: company, items, accounts, reports and transactions, read in pages."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from checks.snapshot import (
    InventoryAdjustment,
    ItemTransaction,
    QboAccount,
    QboCompany,
    QboItem,
    QboJournalEntry,
    ValuationLine,
)
from checks.sources.errors import QboError
from checks.sources.qbo.client import QboConnection
from checks.sources.qbo.config import QboConfig, QboTokens
from checks.sources.qbo.pacing import Rank
from checks.sources.qbo.parse import (
    _date,
    _dec,
    _money,
    _name_value,
    _txn_parser,
    parse_account,
    parse_adjustment,
    parse_item,
    parse_journal_entry,
    report_rows,
)

PAGE_SIZE = 1000  # QBO's maximum page
ITEM_TXN_ENTITIES = ("PurchaseOrder", "Bill", "Invoice", "SalesReceipt")


class QboSource(QboConnection):
    """Read access to one QBO company for the checks.

    `QboSource(config, tokens, on_tokens)`: `tokens` may carry no access token (one is fetched with the
    refresh token on first use); `on_tokens(tokens)` is called synchronously whenever the tokens change.
    """

    def __init__(
        self,
        config: QboConfig,
        tokens: QboTokens | None,
        on_tokens: Callable[[QboTokens], None] | None = None,
    ) -> None:
        super().__init__(config, tokens, on_tokens)
        self._accounts_lock = threading.Lock()
        self._accounts_flight: Future[list[QboAccount]] | None = None

    def __repr__(self) -> str:
        return f"QboSource(realm_id={self.realm_id!r}, api_base={self.api_base!r})"

    def _count(self, job: _Job) -> int:
        response = self.query(f"SELECT COUNT(*) FROM {job.entity}{job.where}", job.rank)
        with _readable(f"the {job.entity} count"):
            return int(response.get("totalCount") or 0)

    def _fetch_all(self, jobs: list[_Job]) -> dict[str, list[Any]]:
        """Every row of each job, parsed, in Id order (rows seen twice are taken from the later page).

        Pages are parsed as they arrive, on the worker threads, so that raw JSON never piles up and the work
        overlaps the wait for the next page. A job marked `large` asks for its COUNT together with its first
        page and plans every page as soon as the count is known; other jobs read their first page and count
        only when it comes back full (most companies have few accounts or transactions since a date).

        The count fixes what is read: when it fills the last page exactly, no read goes past it (new rows get
        higher Ids, so they could only come after the rows counted, and QBO never deletes items). A page
        fuller than the count left for it shows that rows were added meanwhile: paging then goes on until a
        short page, as it does for jobs that were never counted.
        """
        pages: dict[str, dict[int, list[tuple[str, Any]]]] = {job.entity: {} for job in jobs}
        full: dict[str, dict[int, bool]] = {job.entity: {} for job in jobs}
        planned: dict[str, set[int]] = {job.entity: set() for job in jobs}
        counting: dict[str, bool] = {job.entity: False for job in jobs}
        counted: dict[str, int] = {}
        pending: dict[Future[Any], tuple[_Job, int]] = {}  # start 0: the COUNT
        workers = max(self.config.max_workers, 1)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qbo-page") as pool:

            def submit_page(job: _Job, start: int) -> None:
                planned[job.entity].add(start)
                pending[pool.submit(self._page, job, start)] = (job, start)

            def submit_count(job: _Job) -> None:
                counting[job.entity] = True
                pending[pool.submit(self._count, job)] = (job, 0)

            def advance(job: _Job) -> None:
                """Once the pages planned so far are in, read on while the last one came back full of rows
                the count did not foresee."""
                entity = job.entity
                top = max(planned[entity])
                foreseen = top + PAGE_SIZE - 1 <= counted.get(entity, 0)
                if not counting[entity] and full[entity].get(top) and not foreseen:
                    submit_page(job, top + PAGE_SIZE)

            for job in jobs:
                if job.large:
                    submit_count(job)
                submit_page(job, 1)
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        job, start = pending.pop(future)
                        entity = job.entity
                        if start == 0:
                            count = int(future.result())
                            counting[entity] = False
                            counted[entity] = count
                            for n in range(1, max(math.ceil(count / PAGE_SIZE), 1)):
                                if 1 + n * PAGE_SIZE not in planned[entity]:
                                    submit_page(job, 1 + n * PAGE_SIZE)
                            if full[entity].get(max(planned[entity])):
                                advance(job)
                            continue
                        size, rows = future.result()
                        pages[entity][start] = rows
                        full[entity][start] = size >= PAGE_SIZE
                        if start == 1 and size >= PAGE_SIZE and not job.large and len(planned[entity]) == 1:
                            submit_count(job)  # more than one page: count them, then read the rest at once
                        elif start == max(planned[entity]):
                            advance(job)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        out: dict[str, list[Any]] = {}
        for job in jobs:
            merged: dict[str, Any] = {}
            for start in sorted(pages[job.entity]):
                merged.update(pages[job.entity][start])
            out[job.entity] = [merged[k] for k in sorted(merged, key=_id_key)]
        return out

    def _page(self, job: _Job, start: int) -> tuple[int, list[tuple[str, Any]]]:
        """One page of a job: (rows on it, [(Id, parsed row)])."""
        paging = f" ORDERBY Id STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"
        statement = f"SELECT {job.select} FROM {job.entity}{job.where}{paging}"
        rows = [r for r in self.query(statement, job.rank).get(job.entity) or [] if isinstance(r, dict)]
        with _readable(f"{job.entity} rows"):
            return len(rows), [(str(r.get("Id")), job.parse(r)) for r in rows]

    # -------------------------------------------------------------- what the checks read

    def check_connection(self) -> QboCompany:
        """A live CompanyInfo call: proves the connection works (admin-access)."""
        info = self._company_info()
        with _readable("the company information"):
            return QboCompany(
                realm_id=str(self.realm_id),
                name=str(info.get("CompanyName") or info.get("LegalName") or ""),
                country=info.get("Country"),
                offering_sku=_name_value(info, "OfferingSku"),
            )

    def _company_info(self) -> dict[str, Any]:
        realm = str(self.realm_id)
        result = self._call("company info", lambda qb: qb.get_single_object("CompanyInfo", realm), Rank.COMPANY)
        info = result.get("CompanyInfo") if isinstance(result, dict) else None
        if not isinstance(info, dict):
            raise QboError("QuickBooks Online sent no company information.", detail="CompanyInfo missing")
        return info

    def company(self) -> QboCompany:
        info = self._company_info()
        result = self._call(
            "preferences", lambda qb: qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences"), Rank.COMPANY
        )
        with _readable("the company preferences"):
            p = result.get("Preferences") if isinstance(result, dict) else None
            p = p if isinstance(p, dict) else {}
            products = p.get("ProductAndServicesPrefs") or {}
            qoh = products.get("QuantityOnHand")
            currency = ((p.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value")
            return QboCompany(
                realm_id=str(self.realm_id),
                name=str(info.get("CompanyName") or info.get("LegalName") or ""),
                country=info.get("Country"),
                home_currency=str(currency or "USD"),
                offering_sku=_name_value(info, "OfferingSku"),
                book_close_date=_date((p.get("AccountingInfoPrefs") or {}).get("BookCloseDate")),
                quantity_on_hand_enabled=bool(qoh) if qoh is not None else None,
            )

    def items(self) -> list[QboItem]:
        """Every item, active and inactive, with Sku (plain `SELECT *` leaves Sku out)."""
        job = _Job("Item", "*, Sku", " WHERE Active IN (true, false)", parse_item, Rank.ITEMS, large=True)
        return list(self._fetch_all([job])["Item"])

    def accounts(self) -> list[QboAccount]:
        """Every account. Concurrent callers (the accounts and the inventory balance) share one read."""
        with self._accounts_lock:
            flight = self._accounts_flight
            leader = flight is None
            if flight is None:
                flight = self._accounts_flight = Future()
        if not leader:
            return list(flight.result())
        try:
            job = _Job("Account", "*", " WHERE Active IN (true, false)", parse_account, Rank.ACCOUNTS)
            accounts: list[QboAccount] = self._fetch_all([job])["Account"]
            flight.set_result(accounts)
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        finally:
            with self._accounts_lock:
                self._accounts_flight = None
        return list(accounts)

    def inventory_valuation(self, as_of: date) -> list[ValuationLine]:
        qs = {"report_date": as_of.isoformat()}
        report = self._call(
            "inventory valuation report", lambda qb: qb.get_report("InventoryValuationSummary", qs), Rank.VALUATION
        )
        with _readable("the inventory valuation report"):
            lines: list[ValuationLine] = []
            for row in report_rows(((report or {}).get("Rows") or {}).get("Row") or []):
                cols = row.get("ColData") or []
                if row.get("group") == "GrandTotal" or not cols or not cols[0].get("id"):
                    continue
                values = [c.get("value") for c in cols] + [None] * 5
                sku = (values[1] or "").strip()
                lines.append(
                    ValuationLine(
                        item_id=str(cols[0]["id"]),
                        name=str(values[0] or ""),
                        sku=sku or None,
                        qty=_dec(values[2]) or Decimal(0),
                        asset_value=_money(values[3]) or Decimal("0.00"),
                        avg_cost=_dec(values[4]),
                    )
                )
        return lines

    def item_transactions(self, since: date | None) -> list[ItemTransaction]:
        """One entry per (transaction, item) on purchase orders, bills, invoices and sales receipts."""
        where = f" WHERE TxnDate >= '{since.isoformat()}'" if since is not None else ""
        jobs = [_Job(entity, "*", where, _txn_parser(entity), Rank.TRANSACTIONS) for entity in ITEM_TXN_ENTITIES]
        fetched = self._fetch_all(jobs)
        return [t for entity in ITEM_TXN_ENTITIES for txn in fetched[entity] for t in txn]

    def inventory_balance(self, on: date, accounts: Sequence[QboAccount] | None = None) -> dict[str, Decimal]:
        """Balance on `on` of every account whose AccountSubType is Inventory (BalanceSheet, end_date=on).

        `accounts`: the accounts when the caller has them already (kept from an earlier read)."""
        inventory = [
            a for a in (self.accounts() if accounts is None else accounts) if a.account_sub_type == "Inventory"
        ]
        qs = {"end_date": on.isoformat()}
        report = self._call("balance sheet", lambda qb: qb.get_report("BalanceSheet", qs), Rank.BALANCE_SHEET)
        wanted = {a.id for a in inventory}
        # An active account with no activity may be left out of the report: its balance is zero.
        out = {a.id: Decimal("0.00") for a in inventory if a.active}
        with _readable("the balance sheet"):
            for row in report_rows(((report or {}).get("Rows") or {}).get("Row") or []):
                cols = row.get("ColData") or []
                account_id = str(cols[0].get("id")) if cols and cols[0].get("id") is not None else None
                if account_id in wanted and len(cols) > 1:
                    out[account_id] = _money(cols[1].get("value")) or Decimal("0.00")
        return out

    def adjustments(self, since: date | None = None) -> list[InventoryAdjustment]:
        """Inventory adjustments dated on or after `since` (all of them without it).

        QBO filters InventoryAdjustment queries only on Id and MetaData times, not on TxnDate (a TxnDate
        filter is refused), so every adjustment is read and the date is applied here.
        """
        job = _Job("InventoryAdjustment", "*", "", parse_adjustment, Rank.ADJUSTMENTS)
        rows = self._fetch_all([job])["InventoryAdjustment"]
        return [a for a in rows if a is not None and (since is None or a.txn_date >= since)]

    def journal_entries(self, since: date) -> list[QboJournalEntry]:
        """Journal entries dated on or after `since` (TxnDate is filterable on transactions)."""
        where = f" WHERE TxnDate >= '{since.isoformat()}'"
        job = _Job("JournalEntry", "*", where, parse_journal_entry, Rank.ADJUSTMENTS)
        return [e for e in self._fetch_all([job])["JournalEntry"] if e is not None]

    def changes(self, entities: Sequence[str], since: datetime) -> tuple[dict[str, list[dict[str, Any]]], str]:
        """Change Data Capture: the entities changed since `since` (at most 30 days back), as raw rows per
        entity (deleted ones carry `"status": "Deleted"`), and QBO's `time` of the answer."""
        params = {"entities": ",".join(entities), "changedSince": since.isoformat(timespec="seconds")}
        result = self._call(
            "change data capture",
            lambda qb: qb.get(f"{qb.api_url}/company/{qb.company_id}/cdc", params=params),
            Rank.COMPANY,
        )
        with _readable("the changed entities"):
            out: dict[str, list[dict[str, Any]]] = {}
            for answer in (result or {}).get("CDCResponse") or []:
                for group in answer.get("QueryResponse") or []:
                    for entity in entities:
                        rows = group.get(entity)
                        if isinstance(rows, list):
                            out.setdefault(entity, []).extend(r for r in rows if isinstance(r, dict))
            return out, str((result or {}).get("time") or "")

    def find_items_by_name(self, name: str) -> list[QboItem]:
        """Items named exactly `name` (active or not); quotes in names are escaped as QBO expects."""
        response = self.query(f"SELECT *, Sku FROM Item WHERE Name = {_quote(name)} AND Active IN (true, false)")
        with _readable("Item rows"):
            return [parse_item(r) for r in response.get("Item") or [] if isinstance(r, dict)]


@dataclass(frozen=True)
class _Job:
    """Every row of one entity: `SELECT {select} FROM {entity}{where}`, each row turned into `parse(row)`."""

    entity: str
    select: str
    where: str
    parse: Callable[[dict[str, Any]], Any]
    rank: Rank
    large: bool = False  # count at once, with the first page


def _id_key(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@contextmanager
def _readable(what: str) -> Iterator[None]:
    """QBO's JSON in a shape the parsers do not expect becomes a QboError, like every other QBO failure."""
    try:
        yield
    except (AttributeError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise QboError(
            f"QuickBooks Online sent {what} in a form Preflight could not read. Try again in a few minutes.",
            detail=f"{what}: {type(exc).__name__}: {exc}",
        ) from exc
