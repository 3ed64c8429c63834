"""1. admin-access: QBO is connected, answers, and an owner confirmed the connecting user is an admin."""

from __future__ import annotations

from checks.answers import Answers
from checks.catalog._common import not_loaded
from checks.registry import Kind, register
from checks.results import CheckResult, Pending, Status
from checks.snapshot import Need, Snapshot

SLUG = "admin-access"

OUTCOMES = {
    "admin-access.F001": "QuickBooks Online is not connected",
    "admin-access.F002": "QuickBooks Online rejected the connection, even after a refresh",
    "admin-access.E001": "QuickBooks Online failed otherwise (down, throttled...): could not check",
    "admin-access.N001": "connected; an owner must confirm the connecting user is a QBO admin",
    "admin-access.I001": "connected, and an owner confirmed the connecting user is a QBO admin",
}

RECONNECT = (
    "A QBO Primary admin or Company admin reconnects QuickBooks Online with `connect qbo` "
    "(or the Reconnect button), then runs this check again."
)


def needs(answers: Answers) -> frozenset[Need]:
    # Nothing to ask QBO when it is not connected at all.
    return frozenset({Need.QBO_COMPANY}) if answers.qbo_connected else frozenset()


@register(
    slug=SLUG,
    title="QuickBooks Online admin access",
    kind=Kind.AUTOMATIC_CONFIRMATION,
    order=10,
    why=(
        "Only a QBO Primary admin or Company admin can authorise Finale to write into the books, "
        "and QBO's API does not tell Preflight a user's role."
    ),
    needs=needs,
    handles_failures=(Need.QBO_COMPANY,),
    outcomes=OUTCOMES,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    if not answers.qbo_connected:
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary="QuickBooks Online is not connected.",
            hint=RECONNECT,
            id="admin-access.F001",
            pending=Pending.CONNECT_QBO,
        )
    error = snapshot.errors.get(Need.QBO_COMPANY)
    if error is not None:
        if error.auth:
            return CheckResult(
                slug=SLUG,
                status=Status.FAIL,
                summary=f"QuickBooks Online rejected the connection, even after a refresh: {error.message}",
                hint=RECONNECT,
                id="admin-access.F002",
                pending=Pending.CONNECT_QBO,
            )
        # Any other failure (QBO down, throttled...) says nothing about access: could not check.
        return CheckResult(
            slug=SLUG,
            status=Status.ERROR,
            summary=f"Could not check: {error.message}",
            hint="Run the check again in a few minutes. Until then this item stays open.",
            id="admin-access.E001",
        )
    company = snapshot.company
    if company is None:
        return not_loaded(SLUG, answers, {Need.QBO_COMPANY: company})
    connected = f"Connected to {company.name} (QBO company ID {company.realm_id}); QBO answered."
    confirmation = answers.confirmed(SLUG)
    if confirmation is None:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=f"{connected} An owner must confirm that the user who connected it is a QBO admin.",
            hint=(
                "In QuickBooks Online open Settings (the gear) > Manage users and check the role of the user "
                "who connected Preflight: it must be Primary admin or Company admin. Then confirm here. "
                "QBO's API does not show roles, so a person has to look."
            ),
            id="admin-access.N001",
            ask=(
                f"I confirm that the QuickBooks Online user who connected Preflight to {company.name} is a "
                "Primary admin or a Company admin."
            ),
            pending=Pending.CONFIRM,
        )
    return CheckResult(
        slug=SLUG,
        status=Status.PASS,
        summary=(
            f"{connected} {confirmation.user_name} confirmed on "
            f"{confirmation.recorded_at.date().isoformat()} "
            "that the connecting user is a QBO Primary admin or Company admin."
        ),
        id="admin-access.I001",
    )
