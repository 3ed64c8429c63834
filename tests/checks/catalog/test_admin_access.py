from __future__ import annotations

from checks.results import Pending, Status
from checks.snapshot import Need, SourceFailure
from tests.checks.factories import answers, company, needs, run, snapshot

SLUG = "admin-access"


def test_not_connected_fails_with_reconnect_and_reads_nothing() -> None:
    ans = answers(qbo_connected=False)
    assert needs(SLUG, ans) == frozenset()
    result = run(SLUG, snapshot(), ans)
    assert result.status is Status.FAIL
    assert result.pending is Pending.CONNECT_QBO
    assert "reconnect" in result.hint.lower()


def test_rejected_after_refresh_fails_with_reconnect() -> None:
    err = SourceFailure(Need.QBO_COMPANY, "QBO refused the token (401).", auth=True)
    result = run(SLUG, snapshot(errors={Need.QBO_COMPANY: err}), answers())
    assert result.status is Status.FAIL
    assert result.pending is Pending.CONNECT_QBO
    assert "401" in result.summary and "reconnect" in result.hint.lower()
    assert not result.cleared


def test_other_failures_are_errors_not_a_pass_even_when_confirmed() -> None:
    err = SourceFailure(Need.QBO_COMPANY, "QBO answered 503.")
    result = run(SLUG, snapshot(errors={Need.QBO_COMPANY: err}), answers(confirm=[SLUG]))
    assert result.status is Status.ERROR
    assert not result.cleared


def test_connected_waits_for_an_owner_to_confirm_the_role() -> None:
    result = run(SLUG, snapshot(company=company(name='Acme "Goods" Ltd')), answers())
    assert result.status is Status.NEEDS_INPUT
    assert result.pending is Pending.CONFIRM
    assert 'Acme "Goods" Ltd' in result.summary
    assert "Manage users" in result.hint


def test_passes_once_confirmed() -> None:
    result = run(SLUG, snapshot(company=company()), answers(confirm=[SLUG]))
    assert result.status is Status.PASS
    assert "Dana Owner" in result.summary
    assert result.cleared
