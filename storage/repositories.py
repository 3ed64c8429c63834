"""Thin, typed data access for the checklist service. No business rules here: the service authorises.

Functions take a Session and leave committing to the caller, except `update_qbo_tokens`, which commits
in its own short transaction because a rotated QBO refresh token must never be lost.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from checks.results import CheckResult
from storage.crypto import get_secret_box
from storage.models import (
    Checklist,
    ChecklistState,
    CheckResultRecord,
    CheckRun,
    Confirmation,
    ConfirmationKind,
    Connection,
    ConnectionKind,
    ConversationReference,
    OAuthState,
    Owner,
    Platform,
    ReminderDelivery,
    Workspace,
    insert_ignoring_conflict,
    utcnow,
)
from storage.slack_stores import (
    BOT_TOKEN_COLUMNS,
    INSTALLATION_TOKEN_COLUMNS,
    SLACK_BOTS_TABLE,
    SLACK_INSTALLATIONS_TABLE,
)

__all__ = [
    "CHECKLIST_FIELDS",
    "AnswerKey",
    "StaleDataError",
    "StatusChange",
    "add_owner",
    "claim_reminder",
    "consume_oauth_state",
    "conversation_reference_for_checklist",
    "create_checklist",
    "create_oauth_state",
    "get_checklist",
    "get_checklist_by_id",
    "get_connection",
    "get_conversation_reference",
    "get_or_create_checklist",
    "get_or_create_workspace",
    "get_workspace",
    "is_owner",
    "latest_answers_rows",
    "latest_results",
    "list_checklists",
    "list_confirmations",
    "list_owners",
    "mark_reminder_posted",
    "previous_different_status",
    "record_confirmation",
    "remove_owner",
    "rotate_secrets",
    "save_check_run",
    "add_check_results",
    "save_connection",
    "save_conversation_reference",
    "update_checklist",
    "update_qbo_tokens",
]


# --- Workspaces and checklists ---


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
    session: Session, workspace: Workspace | int, channel_id: str, *, company_label: str | None = None
) -> Checklist:
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    checklist = Checklist(workspace_id=workspace_id, channel_id=channel_id, company_label=company_label)
    session.add(checklist)
    session.flush()
    return checklist


def get_checklist(session: Session, workspace: Workspace | int, channel_id: str) -> Checklist | None:
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    return session.scalars(
        select(Checklist).where(Checklist.workspace_id == workspace_id, Checklist.channel_id == channel_id)
    ).one_or_none()


def get_checklist_by_id(session: Session, checklist_id: int) -> Checklist | None:
    return session.get(Checklist, checklist_id)


def get_or_create_checklist(
    session: Session, workspace: Workspace | int, channel_id: str, *, company_label: str | None = None
) -> tuple[Checklist, bool]:
    """The channel's checklist and whether it was just created."""
    existing = get_checklist(session, workspace, channel_id)
    if existing is not None:
        return existing, False
    return create_checklist(session, workspace, channel_id, company_label=company_label), True


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
        "state",
    }
)


def update_checklist(
    session: Session, checklist_id: int, *, expected_version: int | None = None, **changes: Any
) -> Checklist:
    """Change a checklist under optimistic locking and flush.

    `expected_version` is the version the person saw (e.g. carried in a button's value): if the checklist
    changed since, StaleDataError is raised and nothing is written. Without it, the ORM still refuses to
    overwrite a row changed by someone else since it was loaded in this session.
    """
    unknown = set(changes) - CHECKLIST_FIELDS
    if unknown:
        raise TypeError(f"update_checklist() cannot change {', '.join(sorted(unknown))}")
    checklist = session.get(Checklist, checklist_id)
    if checklist is None:
        raise LookupError(f"no checklist with id {checklist_id}")
    if expected_version is not None and checklist.version != expected_version:
        raise StaleDataError(
            f"checklist {checklist_id} is at version {checklist.version}, not {expected_version}: "
            "it was changed meanwhile"
        )
    for name, value in changes.items():
        if name == "state" and value is not None:
            value = ChecklistState(value)
        if name == "enable_date" and value is not None and not isinstance(value, date):
            raise TypeError("enable_date must be a date or None")
        setattr(checklist, name, value)
    session.flush()
    return checklist


# --- Owners ---


def add_owner(
    session: Session,
    checklist_id: int,
    user_id: str,
    *,
    display_name: str = "",
    added_by: str = "",
    added_at: datetime | None = None,
) -> Owner:
    """Add an owner; adding an existing owner returns the existing row unchanged."""
    insert_ignoring_conflict(
        session,
        Owner,
        {
            "checklist_id": checklist_id,
            "user_id": user_id,
            "display_name": display_name,
            "added_by": added_by,
            "added_at": added_at or utcnow(),
        },
    )
    owner = session.scalars(select(Owner).where(Owner.checklist_id == checklist_id, Owner.user_id == user_id)).one()
    return owner


def remove_owner(session: Session, checklist_id: int, user_id: str) -> bool:
    owner = session.scalars(
        select(Owner).where(Owner.checklist_id == checklist_id, Owner.user_id == user_id)
    ).one_or_none()
    if owner is None:
        return False
    session.delete(owner)
    session.flush()
    return True


def list_owners(session: Session, checklist_id: int) -> list[Owner]:
    return list(
        session.scalars(select(Owner).where(Owner.checklist_id == checklist_id).order_by(Owner.added_at, Owner.id))
    )


def is_owner(session: Session, checklist_id: int, user_id: str) -> bool:
    query = select(Owner.id).where(Owner.checklist_id == checklist_id, Owner.user_id == user_id)
    return session.scalars(query).first() is not None


# --- Connections ---

_CONNECTION_FIELDS = frozenset(
    {
        "realm_id",
        "access_token",
        "refresh_token",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "company_name",
        "account_path",
        "base_url",
        "api_key",
        "api_secret",
        "report_urls",
        "connected_by",
    }
)


_CONNECTION_SECRETS = ("access_token", "refresh_token", "api_key", "api_secret")


def save_connection(session: Session, checklist_id: int, kind: ConnectionKind | str, **fields: Any) -> Connection:
    """Create or replace the checklist's QBO or Finale connection (fields not given are kept)."""
    unknown = set(fields) - _CONNECTION_FIELDS
    if unknown:
        raise TypeError(f"save_connection() got unknown fields: {', '.join(sorted(unknown))}")
    if any(name in _CONNECTION_SECRETS for name in fields):
        get_secret_box()  # fail here, with the clear "set PREFLIGHT_SECRET_KEY" message, not mid-flush
    connection = get_connection(session, checklist_id, kind)
    if connection is None:
        connection = Connection(checklist_id=checklist_id, kind=ConnectionKind(kind), connected_at=utcnow())
        session.add(connection)
    for name, value in fields.items():
        setattr(connection, name, value)
    session.flush()
    return connection


def get_connection(session: Session, checklist_id: int, kind: ConnectionKind | str) -> Connection | None:
    """The connection with its secrets decrypted (they are decrypted as the row is read)."""
    return session.scalars(
        select(Connection).where(Connection.checklist_id == checklist_id, Connection.kind == ConnectionKind(kind))
    ).one_or_none()


def update_qbo_tokens(
    sessions: sessionmaker[Session],
    checklist_id: int,
    *,
    access_token: str,
    refresh_token: str,
    access_token_expires_at: datetime | None = None,
    refresh_token_expires_at: datetime | None = None,
) -> None:
    """Persist tokens Intuit just rotated, committed at once in a separate short transaction.

    Intuit invalidates the old refresh token once a new one is issued: if the caller's own transaction
    rolled back later, the connection would be lost.
    """
    get_secret_box()
    with sessions.begin() as session:
        connection = get_connection(session, checklist_id, ConnectionKind.QBO)
        if connection is None:
            raise LookupError(f"checklist {checklist_id} has no QuickBooks connection")
        connection.access_token = access_token
        connection.refresh_token = refresh_token
        connection.access_token_expires_at = access_token_expires_at
        if refresh_token_expires_at is not None:
            connection.refresh_token_expires_at = refresh_token_expires_at


def rotate_secrets(session: Session) -> int:
    """Re-encrypt every stored secret with the first key of PREFLIGHT_SECRET_KEY; returns rows rewritten.

    Run after putting a new key first; then the old keys can be dropped from the setting.
    """
    box = get_secret_box()
    rewritten = 0
    for connection in session.scalars(select(Connection)):
        secret_columns = [name for name in _CONNECTION_SECRETS if getattr(connection, name) is not None]
        for name in secret_columns:
            flag_modified(connection, name)  # same plaintext, written again: fresh ciphertext, first key
        rewritten += bool(secret_columns)
    # slack_sdk's tables are Core tables: rotate their ciphertext directly.
    for table_name, columns in (
        (SLACK_INSTALLATIONS_TABLE, INSTALLATION_TOKEN_COLUMNS),
        (SLACK_BOTS_TABLE, BOT_TOKEN_COLUMNS),
    ):
        # Untyped columns: read and write the ciphertext itself.
        raw = sa.table(table_name, sa.column("id"), *(sa.column(name, sa.Text) for name in columns))
        for row in session.execute(select(raw)).mappings():
            values = {name: box.rotate(row[name]) for name in columns if row[name] is not None}
            if values:
                session.execute(sa.update(raw).where(raw.c.id == row["id"]).values(values))
                rewritten += 1
    session.flush()
    return rewritten


# --- Confirmations (append-only) ---

AnswerKey = tuple[str, str, str | None]  # (slug, kind, field)


def record_confirmation(
    session: Session,
    checklist_id: int,
    *,
    slug: str,
    kind: ConfirmationKind | str,
    user_id: str,
    user_name: str = "",
    field: str | None = None,
    value: str = "",
    shown_text: str = "",
    recorded_at: datetime | None = None,
    withdraws: Confirmation | int | None = None,
) -> Confirmation:
    """Append one audit row. A withdrawal names the row it withdraws."""
    confirmation_kind = ConfirmationKind(kind)
    withdraws_id = withdraws.id if isinstance(withdraws, Confirmation) else withdraws
    if confirmation_kind is ConfirmationKind.WITHDRAW and withdraws_id is None:
        raise ValueError("a withdrawal must name the confirmation it withdraws")
    if confirmation_kind is not ConfirmationKind.WITHDRAW and withdraws_id is not None:
        raise ValueError("only a withdrawal can name a confirmation it withdraws")
    row = Confirmation(
        checklist_id=checklist_id,
        slug=slug,
        kind=confirmation_kind,
        field=field,
        value=value,
        shown_text=shown_text,
        user_id=user_id,
        user_name=user_name,
        recorded_at=recorded_at or utcnow(),
        withdraws_id=withdraws_id,
    )
    session.add(row)
    session.flush()
    return row


def list_confirmations(session: Session, checklist_id: int, *, slug: str | None = None) -> list[Confirmation]:
    """The audit log in the order it was written."""
    query = select(Confirmation).where(Confirmation.checklist_id == checklist_id)
    if slug is not None:
        query = query.where(Confirmation.slug == slug)
    return list(session.scalars(query.order_by(Confirmation.id)))


def latest_answers_rows(session: Session, checklist_id: int) -> dict[AnswerKey, Confirmation]:
    """The latest row per (slug, kind, field), unless that row was withdrawn.

    Withdrawing the latest row leaves the key without a value (an earlier answer does not come back).
    Insertion order (id) decides "latest", so rows recorded within the same second stay ordered.
    """
    rows = list_confirmations(session, checklist_id)
    withdrawn = {row.withdraws_id for row in rows if row.kind == ConfirmationKind.WITHDRAW}
    latest: dict[AnswerKey, Confirmation] = {}
    for row in rows:
        if row.kind != ConfirmationKind.WITHDRAW:
            latest[(row.slug, row.kind.value, row.field)] = row
    return {key: row for key, row in latest.items() if row.id not in withdrawn}


# --- Check runs and results ---


def save_check_run(
    session: Session,
    checklist_id: int,
    results: Iterable[CheckResult],
    *,
    triggered_by: str,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    slugs: Sequence[str] | None = None,
) -> CheckRun:
    """Store one run and its results (`slugs`: what was asked for; defaults to the results' slugs)."""
    results = list(results)
    finished = finished_at or utcnow()
    run = CheckRun(
        checklist_id=checklist_id,
        started_at=started_at or finished,
        finished_at=finished,
        triggered_by=triggered_by,
        slugs=list(slugs) if slugs is not None else [result.slug for result in results],
    )
    run.results = [
        CheckResultRecord.from_result(result, checklist_id=checklist_id, created_at=finished) for result in results
    ]
    session.add(run)
    session.flush()
    return run


def add_check_results(
    session: Session, run_id: int, checklist_id: int, results: Iterable[CheckResult], *, created_at: datetime
) -> int:
    """Store results under a run already recorded (a run's checks may be stored in parts, by the processes that
    ran them); returns how many were stored."""
    records = [
        CheckResultRecord.from_result(result, checklist_id=checklist_id, created_at=created_at) for result in results
    ]
    for record in records:
        record.run_id = run_id
    session.add_all(records)
    session.flush()
    return len(records)


def latest_results(session: Session, checklist_id: int) -> dict[str, CheckResultRecord]:
    """The most recent stored result of each check."""
    newest = (
        select(sa.func.max(CheckResultRecord.id))
        .where(CheckResultRecord.checklist_id == checklist_id)
        .group_by(CheckResultRecord.slug)
    )
    records = session.scalars(select(CheckResultRecord).where(CheckResultRecord.id.in_(newest)))
    return {record.slug: record for record in records}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """Where a check stands and since when: "fixed since yesterday" is `since` with `previous` a fail."""

    slug: str
    current: CheckResultRecord
    since: datetime  # when the current status was first recorded, after the previous different one
    previous: CheckResultRecord | None  # the latest result with a different status; None: always so


def previous_different_status(session: Session, checklist_id: int) -> dict[str, StatusChange]:
    """For every check: its latest result, and the latest earlier result whose status differed."""
    current = latest_results(session, checklist_id)
    changes: dict[str, StatusChange] = {}
    for slug, record in current.items():
        previous = session.scalars(
            select(CheckResultRecord)
            .where(
                CheckResultRecord.checklist_id == checklist_id,
                CheckResultRecord.slug == slug,
                CheckResultRecord.status != record.status,
            )
            .order_by(CheckResultRecord.id.desc())
            .limit(1)
        ).one_or_none()
        streak_start = select(sa.func.min(CheckResultRecord.id)).where(
            CheckResultRecord.checklist_id == checklist_id,
            CheckResultRecord.slug == slug,
            CheckResultRecord.id > (previous.id if previous is not None else 0),
        )
        first = session.scalars(
            select(CheckResultRecord).where(CheckResultRecord.id == streak_start.scalar_subquery())
        ).one()
        changes[slug] = StatusChange(slug=slug, current=record, since=first.created_at, previous=previous)
    return changes


# --- Reminders ---


def claim_reminder(session: Session, checklist_id: int, slot: datetime, *, claimed_by: str | None = None) -> bool:
    """True when this process may post the reminder for this slot; False when another one claimed it."""
    return ReminderDelivery.claim(session, checklist_id, slot, claimed_by=claimed_by)


def mark_reminder_posted(
    session: Session,
    checklist_id: int,
    slot: datetime,
    message_ref: str,
    *,
    posted_at: datetime | None = None,
) -> None:
    delivery = session.scalars(
        select(ReminderDelivery).where(ReminderDelivery.checklist_id == checklist_id, ReminderDelivery.slot == slot)
    ).one()
    delivery.message_ref = message_ref
    delivery.posted_at = posted_at or utcnow()
    session.flush()


# --- Preflight's own OAuth state (QBO connect) ---


def create_oauth_state(
    session: Session,
    *,
    workspace_id: int,
    checklist_id: int,
    user_id: str,
    now: datetime | None = None,
    ttl: timedelta = timedelta(minutes=10),
    provider: str = "qbo",
    context: dict[str, str] | None = None,
) -> OAuthState:
    created = now or utcnow()
    row = OAuthState(
        state=secrets.token_urlsafe(32),
        provider=provider,
        workspace_id=workspace_id,
        checklist_id=checklist_id,
        user_id=user_id,
        context=dict(context or {}),
        created_at=created,
        expires_at=created + ttl,
    )
    session.add(row)
    session.flush()
    return row


def consume_oauth_state(session: Session, state: str, now: datetime | None = None) -> OAuthState | None:
    """The state's row, marked used; None when unknown, already used or expired."""
    return OAuthState.consume(session, state, now or utcnow())


# --- Teams conversation references ---


def save_conversation_reference(
    session: Session,
    workspace_id: int,
    conversation_id: str,
    *,
    service_url: str,
    reference: dict[str, Any],
    checklist_id: int | None = None,
) -> ConversationReference:
    """Create or refresh the reference (Teams may move a conversation to another service URL)."""
    row = get_conversation_reference(session, workspace_id, conversation_id)
    if row is None:
        insert_ignoring_conflict(
            session,
            ConversationReference,
            {
                "workspace_id": workspace_id,
                "conversation_id": conversation_id,
                "service_url": service_url,
                "reference": reference,
                "checklist_id": checklist_id,
                "updated_at": utcnow(),
            },
        )
        row = get_conversation_reference(session, workspace_id, conversation_id)
        assert row is not None
    row.service_url = service_url
    row.reference = dict(reference)
    if checklist_id is not None:
        row.checklist_id = checklist_id
    session.flush()
    return row


def get_conversation_reference(
    session: Session, workspace_id: int, conversation_id: str
) -> ConversationReference | None:
    return session.scalars(
        select(ConversationReference).where(
            ConversationReference.workspace_id == workspace_id,
            ConversationReference.conversation_id == conversation_id,
        )
    ).one_or_none()


def conversation_reference_for_checklist(session: Session, checklist_id: int) -> ConversationReference | None:
    """The most recently refreshed reference of the checklist's conversation, for proactive reminders."""
    return session.scalars(
        select(ConversationReference)
        .where(ConversationReference.checklist_id == checklist_id)
        .order_by(ConversationReference.updated_at.desc(), ConversationReference.id.desc())
        .limit(1)
    ).one_or_none()
