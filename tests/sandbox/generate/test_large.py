"""The large company generator: the sizes asked for, deterministic per seed, planted facts that agree."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sandbox.company import SandboxCompany
from sandbox.generate import large_company
from tests.sandbox.generate.consistency import check_consistency, digest, planted


@pytest.fixture(scope="module")
def large() -> SandboxCompany:
    return large_company(items=5_000, products=10_000, sales_orders=20_000, today=date(2025, 3, 18), seed=11)


def test_large_has_the_requested_counts(large: SandboxCompany) -> None:
    assert len(large.qbo.items) == 5_000
    assert len(large.finale.products) == 10_000
    assert sum(o.order_type == "SALES_ORDER" for o in large.finale.orders) == 20_000


def test_large_planted_facts_match_the_data(large: SandboxCompany) -> None:
    check_consistency(large)
    assert len(planted(large, "negative_stock")) == 30
    assert len(planted(large, "items_to_deactivate")) > 400


def test_large_is_deterministic_per_seed() -> None:
    kwargs: dict[str, Any] = {
        "items": 1_000,
        "products": 2_000,
        "sales_orders": 3_000,
        "today": date(2025, 3, 18),
    }
    assert digest(large_company(**kwargs)) == digest(large_company(**kwargs))
    assert digest(large_company(**kwargs, seed=8)) != digest(large_company(**kwargs))


def test_large_rejects_tiny_sizes() -> None:
    with pytest.raises(ValueError):
        large_company(items=10, products=10, sales_orders=10, today=date(2025, 3, 18))
