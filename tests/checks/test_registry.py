from __future__ import annotations

from datetime import date

import pytest

import checks
from checks.results import Pending, Status
from checks.snapshot import Need, SourceError
from tests.checks.factories import REGISTRY, answers, run, snapshot

SLUGS = [
    "admin-access",
    "inventory-items",
    "deactivation",
    "other-apps",
    "enable-date",
    "average-cost",
    "negative-qoh",
    "revenue-invoices",
    "opening-balance",
    "backup",
]

# Answers under which every check reads all it can: connected, date chosen, revenue pushed.
FULL = answers(enable_date=date(2025, 7, 1), enable_date_decided=True, revenue_pushed=True)


def test_importing_checks_registers_the_ten_in_walkthrough_order() -> None:
    assert checks.registry.registry is REGISTRY
    assert REGISTRY.slugs() == SLUGS
    assert [s.order for s in REGISTRY.all()] == sorted(s.order for s in REGISTRY.all())


def test_every_check_has_a_title_and_a_reason() -> None:
    for spec in REGISTRY.all():
        assert spec.title and spec.why, spec.slug
        assert "assistant" not in spec.why.lower()


def test_dependents_of_the_enable_date_are_marked() -> None:
    marked = {s.slug for s in REGISTRY.all() if s.depends_on_enable_date}
    assert marked == {
        "enable-date",
        "deactivation",
        "inventory-items",
        "average-cost",
        "revenue-invoices",
        "opening-balance",
    }


@pytest.mark.parametrize("slug", [s for s in SLUGS if s != "backup"])
def test_a_failed_source_is_an_error_never_a_pass(slug: str) -> None:
    needed = REGISTRY.get(slug).needs(FULL)
    assert needed, slug
    need = sorted(needed)[0]
    snap = snapshot(enable_date=date(2025, 7, 1), errors={need: SourceError(need, "QBO answered 503.")})
    result = run(slug, snap, FULL)
    assert result.status is Status.ERROR
    assert "503" in result.summary
    assert not result.cleared


@pytest.mark.parametrize("slug", [s for s in SLUGS if s not in ("backup", "admin-access")])
def test_data_that_was_not_loaded_is_an_error_not_a_pass(slug: str) -> None:
    result = run(slug, snapshot(enable_date=date(2025, 7, 1)), FULL)
    assert result.status is Status.ERROR
    assert "not loaded" in result.summary
    assert not result.cleared


def test_a_rejected_connection_asks_for_a_reconnection() -> None:
    need = Need.FINALE_STOCK
    snap = snapshot(errors={need: SourceError(need, "Finale rejected the API key.", auth=True)})
    result = run("negative-qoh", snap, FULL)
    assert result.status is Status.ERROR
    assert result.pending is Pending.CONNECT_FINALE
    assert "connect finale" in result.hint


def test_the_same_message_for_several_needs_is_said_once() -> None:
    msg = "QuickBooks Online is not connected yet."
    errors = {n: SourceError(n, msg) for n in (Need.QBO_ITEMS, Need.QBO_COMPANY, Need.QBO_ACCOUNTS)}
    result = run("deactivation", snapshot(errors=errors), FULL)
    assert result.summary.count(msg) == 1


def test_not_applicable_only_where_allowed() -> None:
    allowed = {s.slug for s in REGISTRY.all() if s.allow_not_applicable}
    assert allowed == {"opening-balance"}
    na = answers(not_applicable={"backup": "we trust Intuit", "opening-balance": "accountant fixes it later"})
    backup = run("backup", snapshot(), na)
    assert backup.status is Status.NEEDS_INPUT  # the recorded reason is ignored: a backup is not optional
    opening = run("opening-balance", snapshot(), na)
    assert opening.status is Status.NOT_APPLICABLE
    assert "accountant fixes it later" in opening.summary
    assert opening.cleared


def test_results_serialise_with_their_acknowledgement_key() -> None:
    result = run("enable-date", snapshot(company=None), answers())
    data = result.as_dict()
    assert data["slug"] == "enable-date"
    assert "ack_key" in data
