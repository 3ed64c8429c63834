"""The Finale Inventory simulator: REST collections (column-major), single resources and the Reporting API.

state = FinaleSimState(account, entity_cap=500)
with BackgroundServer(create_finale_app(state)) as server:
    url = average_cost_report_url(server.url, account.account_path)   # what a person copies
    ...  # FinaleSource(server.url, account.account_path, account.api_key, account.api_secret, ...)
"""

from __future__ import annotations

from sandbox.finale.app import STATE_KEY, create_finale_app
from sandbox.finale.reports import (
    AS_OF_FILTER,
    AVERAGE_COST_REPORT_ID,
    INVENTORY_VALUE_REPORT_ID,
    average_cost_report_url,
    inventory_value_report_url,
    report_url,
)
from sandbox.finale.state import DEFAULT_ENTITY_CAP, Fault, FinaleSimState

__all__ = [
    "AS_OF_FILTER",
    "AVERAGE_COST_REPORT_ID",
    "DEFAULT_ENTITY_CAP",
    "INVENTORY_VALUE_REPORT_ID",
    "STATE_KEY",
    "Fault",
    "FinaleSimState",
    "average_cost_report_url",
    "create_finale_app",
    "inventory_value_report_url",
    "report_url",
]
