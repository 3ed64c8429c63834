"""What several checks share: guards that keep missing or stale data from ever passing, and dates."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from checks.answers import Answers
from checks.registry import outcome_id
from checks.results import CheckResult, Pending, Status
from checks.snapshot import Need, Snapshot


def not_loaded(slug: str, answers: Answers, data: Mapping[Need, object]) -> CheckResult:
    """The `error` for data a check needs that was not loaded (the entries of `data` that are None).

    Checks call it when a needed field is None, so a loader slip can never look like a pass. (A source that
    failed is in `snapshot.errors`; the registry reports that before the check runs.)
    """
    absent = [need for need, value in data.items() if value is None] or list(data)
    qbo_down = any(n.source == "QuickBooks Online" for n in absent) and not answers.qbo_connected
    finale_down = any(n.source == "Finale" for n in absent) and not answers.finale_connected
    if qbo_down or finale_down:
        which = "QuickBooks Online" if qbo_down else "Finale"
        command = "connect qbo" if qbo_down else "connect finale"
        return CheckResult(
            slug=slug,
            status=Status.ERROR,
            summary=f"Could not check: {which} is not connected.",
            hint=f"An owner connects it with `{command}`, then runs the check again.",
            id=outcome_id(slug, "E902"),
            pending=Pending.CONNECT_QBO if qbo_down else Pending.CONNECT_FINALE,
        )
    names = ", ".join(f"{n.value} ({n.source})" for n in absent)
    return CheckResult(
        slug=slug,
        status=Status.ERROR,
        summary=f"Could not check: this data was not loaded: {names}.",
        hint="Run the check again. If it keeps happening, the connection named above needs a look.",
        id=outcome_id(slug, "E903"),
    )


def stale_enable_date(slug: str, snapshot: Snapshot, answers: Answers) -> CheckResult | None:
    """An `error` when the data was fetched for another enable date than the one now chosen."""
    if not answers.enable_date_decided or snapshot.enable_date == answers.enable_date:
        return None
    return CheckResult(
        slug=slug,
        status=Status.ERROR,
        summary=(
            f"Could not check: the data was fetched for the enable date {show_date(snapshot.enable_date)}, "
            f"but the enable date is now {show_date(answers.enable_date)}."
        ),
        hint="Run the check again so Preflight fetches the data for the current enable date.",
        id=outcome_id(slug, "E904"),
    )


def show_date(day: date | None) -> str:
    return "blank (the whole history)" if day is None else day.isoformat()


def day_before(day: date) -> date:
    return day - timedelta(days=1)


def utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is taken as UTC so that naive and aware times can be compared."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def digest(parts: Iterable[str]) -> str:
    """A short, stable fingerprint of a set of facts, for acknowledgement keys."""
    text = "\n".join(sorted(parts))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def first(names: Iterable[str], limit: int = 3) -> str:
    """`A, B, C and 4 more`."""
    items = list(names)
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest:,} more" if rest > 0 else shown
