from __future__ import annotations

import ast
import importlib
import inspect
from collections import Counter
from datetime import date

import pytest

import checks
from checks.registry import GENERIC_OUTCOMES, ID_PATTERN, outcome_id
from checks.results import Pending, Status
from checks.snapshot import Need, SourceFailure
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
    snap = snapshot(enable_date=date(2025, 7, 1), errors={need: SourceFailure(need, "QBO answered 503.")})
    result = run(slug, snap, FULL)
    assert result.status is Status.ERROR
    assert result.id == ("admin-access.E001" if slug == "admin-access" else f"{slug}.E900")
    assert "503" in result.summary
    assert not result.cleared


@pytest.mark.parametrize("slug", [s for s in SLUGS if s not in ("backup", "admin-access")])
def test_data_that_was_not_loaded_is_an_error_not_a_pass(slug: str) -> None:
    result = run(slug, snapshot(enable_date=date(2025, 7, 1)), FULL)
    assert result.status is Status.ERROR and result.id == f"{slug}.E903"
    assert "not loaded" in result.summary
    assert not result.cleared


def test_a_rejected_connection_asks_for_a_reconnection() -> None:
    need = Need.FINALE_STOCK
    snap = snapshot(errors={need: SourceFailure(need, "Finale rejected the API key.", auth=True)})
    result = run("negative-qoh", snap, FULL)
    assert result.status is Status.ERROR and result.id == "negative-qoh.E901"
    assert result.pending is Pending.CONNECT_FINALE
    assert "connect finale" in result.hint


def test_data_of_a_system_not_connected_asks_to_connect_it() -> None:
    result = run("negative-qoh", snapshot(), answers(finale_connected=False))
    assert result.status is Status.ERROR and result.id == "negative-qoh.E902"
    assert result.pending is Pending.CONNECT_FINALE


def test_the_same_message_for_several_needs_is_said_once() -> None:
    msg = "QuickBooks Online is not connected yet."
    errors = {n: SourceFailure(n, msg) for n in (Need.QBO_ITEMS, Need.QBO_COMPANY, Need.QBO_ACCOUNTS)}
    result = run("deactivation", snapshot(errors=errors), FULL)
    assert result.summary.count(msg) == 1


def test_not_applicable_only_where_allowed() -> None:
    allowed = {s.slug for s in REGISTRY.all() if s.allow_not_applicable}
    assert allowed == {"opening-balance"}
    na = answers(not_applicable={"backup": "we trust Intuit", "opening-balance": "accountant fixes it later"})
    backup = run("backup", snapshot(), na)
    assert backup.status is Status.NEEDS_INPUT  # the recorded reason is ignored: a backup is not optional
    opening = run("opening-balance", snapshot(), na)
    assert opening.status is Status.NOT_APPLICABLE and opening.id == "opening-balance.A900"
    assert "accountant fixes it later" in opening.summary
    assert opening.cleared


def test_results_serialise_with_their_acknowledgement_key() -> None:
    result = run("enable-date", snapshot(company=None), answers())
    data = result.as_dict()
    assert data["slug"] == "enable-date"
    assert "ack_key" in data
    assert data["id"] == "enable-date.E903" and data["ask"] == ""


# ---------------------------------------------------------------- result ids


def test_every_declared_id_is_well_formed_and_belongs_to_its_check() -> None:
    seen: set[str] = set()
    for spec in REGISTRY.all():
        assert spec.outcomes, spec.slug
        for result_id, meaning in spec.all_outcomes().items():
            match = ID_PATTERN.match(result_id)
            assert match is not None and match["slug"] == spec.slug, result_id
            assert meaning.strip(), result_id
            assert result_id not in seen
            seen.add(result_id)
        # A check's own numbers stay out of the generic 9xx range.
        assert not any(ID_PATTERN.match(i)["number"].startswith("9") for i in spec.outcomes)  # type: ignore[index]
    assert {i.split(".")[1] for i in seen if ".E9" in i or ".A9" in i} == set(GENERIC_OUTCOMES)


def _ids_in_code(module_name: str) -> Counter[str]:
    """The ids a check module gives, at its return points: every literal id outside its OUTCOMES table."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    table = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "OUTCOMES" for t in node.targets)
    )
    in_table = {id(n) for n in ast.walk(table)}
    return Counter(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ID_PATTERN.match(node.value)
        and id(node) not in in_table
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_every_outcome_has_its_own_id_given_at_exactly_one_place(slug: str) -> None:
    spec = REGISTRY.get(slug)
    used = _ids_in_code(spec.func.__module__)
    assert set(used) == set(spec.outcomes), slug  # none undeclared, none declared but never given
    assert [i for i, n in used.items() if n > 1] == [], slug


def test_generic_ids_are_only_the_declared_ones() -> None:
    with pytest.raises(KeyError):
        outcome_id("backup", "E001")
    with pytest.raises(ValueError, match="not an id of"):
        REGISTRY.register(
            slug="x-check", title="", kind=checks.registry.Kind.AUTOMATIC, order=1, why="", outcomes={"other.F001": ""}
        )
    with pytest.raises(ValueError, match="not an id of"):
        REGISTRY.register(
            slug="x-check",
            title="",
            kind=checks.registry.Kind.AUTOMATIC,
            order=1,
            why="",
            outcomes={"x-check.F900": ""},
        )
    assert "x-check" not in REGISTRY.slugs()
