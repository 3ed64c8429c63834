"""What every surface's walk test shares: the steps, and what a person does in QBO or Finale to clear each
automatic one (sandbox/runtime.py FIXES)."""

from __future__ import annotations

from checks.registry import registry

TITLES = {spec.slug: spec.title for spec in registry.all()}
FIXES = {
    "inventory-items": ("unknown-items",),
    "deactivation": ("deactivate",),
    "average-cost": ("costs",),
    "negative-qoh": ("stock",),
    "revenue-invoices": ("invoices",),
    # The opening entry, then a reversing entry for each write-off dated on or after the enable date.
    "opening-balance": ("journal", "reverse"),
}
