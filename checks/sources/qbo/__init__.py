"""Preflight's QuickBooks Online client: python-quickbooks for the Accounting API, intuit-oauth for tokens.

config: how to reach QBO and the tokens held; pacing: QBO's rate limits; client: OAuth, each call's
python-quickbooks client, retries and errors; parse: QBO's rows as Snapshot records; source: what the checks
read (QboSource).
"""

from checks.sources.qbo.client import QboConnection
from checks.sources.qbo.config import QboConfig, QboTokens, is_loopback_http
from checks.sources.qbo.pacing import Rank, RateLimiter, limiter_for
from checks.sources.qbo.parse import parse_account, parse_adjustment, parse_item, report_rows
from checks.sources.qbo.source import ITEM_TXN_ENTITIES, PAGE_SIZE, QboSource

__all__ = [
    "ITEM_TXN_ENTITIES",
    "PAGE_SIZE",
    "QboConfig",
    "QboConnection",
    "QboSource",
    "QboTokens",
    "Rank",
    "RateLimiter",
    "is_loopback_http",
    "limiter_for",
    "parse_account",
    "parse_adjustment",
    "parse_item",
    "report_rows",
]
