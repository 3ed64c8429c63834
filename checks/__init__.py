"""Preflight's preconditions. Importing `checks` registers the whole catalog: `checks.registry.registry`
(also `from checks import registry; registry.registry.all()`) lists the ten checks in walkthrough order."""

from __future__ import annotations

from checks import catalog, registry

__all__ = ["catalog", "registry"]
