"""The Finale Inventory client: REST collections and saved reports, read-only, over aiohttp.

Finale's facts this client relies on (research/finale.md): `/{account}/api/{collection}/` with HTTP Basic
auth (API key and secret); collections come back column-major (`{"productId": [...], ...}`) and are
transposed with `zip(*columns)`; `filter=` is Base64 JSON of `{field: [lo, hi]}`; an answer holds at most
120,000 entities and `lastUpdatedDate` filters span at most 30 days, so large order books are read in
30-day `lastUpdatedDate` windows; average cost and the inventory asset value come from reports the owner
builds in Finale, fetched through the Reporting API (`pivotTable`, `format=jsonObject`), whose values are
display strings ("1,234.50", "--").

Money and quantities are Decimal, parsed from the JSON text (never through float). Messages of the errors
raised are written for the person in the chat; the API key and secret never appear in them or in logs.

client: HTTP, auth, retries and status errors; jsonstream: decoding answers and column-major collections;
values: numbers and ids; reports: report addresses, filters and columns; orders: sales orders, invoices and
`lastUpdatedDate` windows; source: what the checks read (FinaleSource).
"""

from checks.sources.finale.client import DEFAULT_BASE_URL, ENTITY_CAP, FinaleConnection
from checks.sources.finale.jsonstream import transpose
from checks.sources.finale.orders import UPDATED_WINDOW
from checks.sources.finale.reports import AS_OF_FILTER, encode_filter, encode_filter_list, report_data_url
from checks.sources.finale.source import FinaleSource
from checks.sources.finale.values import parse_display_decimal, to_decimal

__all__ = [
    "AS_OF_FILTER",
    "DEFAULT_BASE_URL",
    "ENTITY_CAP",
    "UPDATED_WINDOW",
    "FinaleConnection",
    "FinaleSource",
    "encode_filter",
    "encode_filter_list",
    "parse_display_decimal",
    "report_data_url",
    "to_decimal",
    "transpose",
]
