"""10. backup: a complete, fresh QBO backup exists before Finale starts pushing (there is no undo)."""

from __future__ import annotations

from checks.answers import Answers
from checks.registry import Kind, register
from checks.results import CheckResult, Pending, Status
from checks.snapshot import Snapshot

SLUG = "backup"

OUTCOMES = {
    "backup.N001": "no QBO backup recorded yet",
    "backup.F001": "the recorded backup date is in the future",
    "backup.W001": "the recorded backup is older than the allowed age",
    "backup.I001": "a fresh QBO backup is recorded",
}

HOW = (
    "In QuickBooks Online open Settings (the gear) > Backup company (QBO Advanced; on other plans use a "
    "backup "
    "app or export the reports and lists), make a complete backup, then record it here with its date."
)


@register(
    slug=SLUG,
    title="Fresh QBO backup",
    kind=Kind.CONFIRMATION,
    order=100,
    why=(
        "Once Finale pushes transactions into QBO there is no undo and no bulk reversal. A recent backup is "
        "the "
        "only way back from a mistake."
    ),
    needs=(),
    outcomes=OUTCOMES,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    made = answers.backup_date
    if made is None:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary="No QBO backup recorded yet.",
            hint=HOW,
            id="backup.N001",
            pending=Pending.BACKUP,
        )
    confirmation = answers.confirmations.get(SLUG)
    by = f", recorded by {confirmation.user_name}" if confirmation else ""
    ref = f" (reference {answers.backup_reference})" if answers.backup_reference else ""
    if made > answers.today:
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=(
                f"The backup date {made.isoformat()}{ref} is in the future (today is "
                f"{answers.today.isoformat()}): "
                "a backup can only be recorded once it exists."
            ),
            hint="Record the backup again with the date it was actually made.",
            id="backup.F001",
            pending=Pending.BACKUP,
        )
    age = (answers.today - made).days
    old = f"{age:,} day{'s' if age != 1 else ''} old"
    if age > answers.backup_max_age_days:
        return CheckResult(
            slug=SLUG,
            status=Status.WARN,
            summary=(
                f"The QBO backup from {made.isoformat()}{ref}{by} is {old}, older than "
                f"{answers.backup_max_age_days} days. It must be fresh when Finale starts pushing."
            ),
            hint=f"Make a new backup just before enabling the integration and record it. {HOW}",
            id="backup.W001",
            ask=(
                f"I understand that the QBO backup from {made.isoformat()}{ref} is {old}, older than "
                f"{answers.backup_max_age_days} days, and that it is the only way back if something goes wrong "
                "once Finale pushes."
            ),
            pending=Pending.BACKUP,
            ack_key=made.isoformat(),
        )
    return CheckResult(
        slug=SLUG,
        status=Status.PASS,
        summary=f"A QBO backup from {made.isoformat()}{ref}{by} is recorded ({old}).",
        hint=(
            f"If the integration is enabled more than {answers.backup_max_age_days} days after this backup, "
            "make a new one."
        ),
        id="backup.I001",
    )
