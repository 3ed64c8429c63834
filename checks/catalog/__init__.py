"""The ten preconditions, one module per check, imported in walkthrough order so that importing this
package registers all of them with `checks.registry.registry`."""

from __future__ import annotations

from checks.catalog import (
    admin_access,
    average_cost,
    backup,
    deactivation,
    enable_date,
    inventory_items,
    negative_qoh,
    opening_balance,
    other_apps,
    revenue_invoices,
)

__all__ = [
    "admin_access",
    "average_cost",
    "backup",
    "deactivation",
    "enable_date",
    "inventory_items",
    "negative_qoh",
    "opening_balance",
    "other_apps",
    "revenue_invoices",
]
