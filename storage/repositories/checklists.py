"""Workspaces and their checklists (one per channel)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Checklist, ChecklistState, Platform, Workspace, utcnow
from storage.repositories._insert import insert_ignoring_conflict


def get_workspace(session: Session, platform: Platform | str, external_id: str) -> Workspace | None:
    return session.scalars(
        select(Workspace).where(Workspace.platform == Platform(platform), Workspace.external_id == external_id)
    ).one_or_none()


def get_or_create_workspace(
    session: Session, platform: Platform | str, external_id: str, name: str | None = None
) -> Workspace:
    """The workspace for a Slack team / Teams tenant / the console, created on first sight.

    Safe when two replicas see a new team at once. A changed name is kept up to date.
    """
    existing = get_workspace(session, platform, external_id)
    if existing is None:
        insert_ignoring_conflict(
            session,
            Workspace,
            {
                "platform": Platform(platform).value,
                "external_id": external_id,
                "name": name,
                "created_at": utcnow(),
            },
        )
        existing = get_workspace(session, platform, external_id)
        assert existing is not None
    elif name and existing.name != name:
        existing.name = name
    return existing


def create_checklist(
    session: Session,
    workspace: Workspace | int,
    channel_id: str,
    *,
    company_label: str | None = None,
    reminder_timezone: str | None = None,
) -> Checklist:
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    checklist = Checklist(
        workspace_id=workspace_id,
        channel_id=channel_id,
        company_label=company_label,
        reminder_timezone=reminder_timezone,
    )
    session.add(checklist)
    session.flush()
    return checklist


def get_checklist(session: Session, checklist_id: int) -> Checklist | None:
    return session.get(Checklist, checklist_id)


def find_checklist(session: Session, platform: Platform | str, external_id: str, channel_id: str) -> Checklist | None:
    """The checklist of one channel of one workspace, by the platform's own ids."""
    return session.scalars(
        select(Checklist)
        .join(Workspace)
        .where(
            Workspace.platform == Platform(platform),
            Workspace.external_id == external_id,
            Checklist.channel_id == channel_id,
        )
    ).one_or_none()


def checklists_of_workspace(session: Session, platform: Platform | str, external_id: str) -> list[Checklist]:
    """Every checklist of one workspace, oldest first."""
    return list(
        session.scalars(
            select(Checklist)
            .join(Workspace)
            .where(Workspace.platform == Platform(platform), Workspace.external_id == external_id)
            .order_by(Checklist.id)
        )
    )


def list_checklists(
    session: Session, *, reminders_enabled: bool | None = None, state: ChecklistState | None = None
) -> list[Checklist]:
    """Checklists, e.g. those with reminders on, to rebuild the scheduler at start."""
    query = select(Checklist).order_by(Checklist.id)
    if reminders_enabled is not None:
        query = query.where(Checklist.reminders_enabled == reminders_enabled)
    if state is not None:
        query = query.where(Checklist.state == state)
    return list(session.scalars(query))


# What `update_checklist` may change; identity columns and the version are not among them.
CHECKLIST_FIELDS = frozenset(
    {
        "company_label",
        "qbo_realm_id",
        "enable_date",
        "enable_date_decided",
        "revenue_pushed",
        "reminder_schedule",
        "reminder_timezone",
        "reminder_channel_id",
        "reminders_enabled",
        "reminders_paused_reason",
        "reminders_paused_at",
        "reminders_changed_at",
        "state",
    }
)


def update_checklist(session: Session, checklist_id: int, **changes: Any) -> Checklist:
    """Change a checklist and flush. The version column (optimistic locking) makes the ORM refuse to overwrite
    a row someone else changed since it was loaded in this session (StaleDataError)."""
    unknown = set(changes) - CHECKLIST_FIELDS
    if unknown:
        raise TypeError(f"update_checklist() cannot change {', '.join(sorted(unknown))}")
    checklist = session.get(Checklist, checklist_id)
    if checklist is None:
        raise LookupError(f"no checklist with id {checklist_id}")
    for name, value in changes.items():
        if name == "state" and value is not None:
            value = ChecklistState(value)
        if name == "enable_date" and value is not None and not isinstance(value, date):
            raise TypeError("enable_date must be a date or None")
        setattr(checklist, name, value)
    session.flush()
    return checklist
