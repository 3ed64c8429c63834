"""Preflight's records (DESIGN §3) as typed SQLAlchemy 2.0 models.

Times are timezone-aware UTC in Python (`UTCDateTime`); money inside JSON is a decimal string, never a
float. Confirmations are an append-only audit log, enforced here in the ORM and by database triggers that
the migration creates.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Mapper,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
    relationship,
)
from sqlalchemy.types import TypeDecorator

from checks.results import CheckResult, Finding, Pending, Status
from storage.crypto import EncryptedString
from storage.slack_stores import add_slack_tables

# Explicit constraint names, so that later migrations (SQLite batch mode included) can refer to them.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so UTC is stored naive and made aware again
    on read. Naive datetimes are refused rather than guessed at.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware datetime (e.g. datetime.now(UTC))")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type[enum.StrEnum], name: str) -> sa.Enum:
    # VARCHAR + CHECK on every database (no PostgreSQL ENUM types to migrate), storing the values.
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Platform(enum.StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"


class ChecklistState(enum.StrEnum):
    OPEN = "open"
    READY = "ready"


class ConnectionKind(enum.StrEnum):
    QBO = "qbo"
    FINALE = "finale"


class ConfirmationKind(enum.StrEnum):
    CONFIRM = "confirm"
    ACKNOWLEDGE = "acknowledge"
    NOT_APPLICABLE = "not_applicable"
    ANSWER = "answer"
    WITHDRAW = "withdraw"


class AppendOnlyError(RuntimeError):
    """Confirmations are an audit log: record a new row (a withdrawal, a new answer) instead."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    # Columns whose value never appears in a repr (besides every EncryptedString column).
    _repr_hidden: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        # Only what is loaded already: a repr must never query, and never show a secret.
        state = sa.inspect(self)
        parts: list[str] = []
        for attr in state.mapper.column_attrs:
            if attr.key not in state.dict:
                continue
            value = state.dict[attr.key]
            column = attr.columns[0]
            if value is not None and (isinstance(column.type, EncryptedString) or attr.key in self._repr_hidden):
                parts.append(f"{attr.key}=<hidden>")
            elif isinstance(value, str) and len(value) > 60:
                parts.append(f"{attr.key}={value[:57]!r}...")
            else:
                parts.append(f"{attr.key}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class Workspace(Base):
    """A Slack team, a Teams tenant, or the console."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    external_id: Mapped[str] = mapped_column(String(255))  # Slack team id, Teams tenant id
    name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    checklists: Mapped[list[Checklist]] = relationship(back_populates="workspace", passive_deletes=True)


class Checklist(Base):
    """One go-live preflight, tied to the channel it was started in."""

    __tablename__ = "checklists"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(255))
    company_label: Mapped[str | None] = mapped_column(String(255))
    qbo_realm_id: Mapped[str | None] = mapped_column(String(64))
    enable_date: Mapped[date | None] = mapped_column(Date)
    # True once an owner decided, including deciding to leave the date blank (push all history).
    enable_date_decided: Mapped[bool] = mapped_column(Boolean, default=False)
    revenue_pushed: Mapped[bool | None] = mapped_column(Boolean)
    reminder_schedule: Mapped[str | None] = mapped_column(String(255))  # cron text
    reminder_timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; None: the default
    reminder_channel_id: Mapped[str | None] = mapped_column(String(255))  # None: the checklist's channel
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The channel refused a reminder for good (archived, bot removed, token revoked): reminders wait for `remind on`.
    reminders_paused_reason: Mapped[str | None] = mapped_column(String(255))
    reminders_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the reminder settings last changed: a slot before it is never caught up after a restart.
    reminders_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[ChecklistState] = mapped_column(_enum(ChecklistState, "checklist_state"), default=ChecklistState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic locking: an UPDATE carrying a stale version raises StaleDataError.
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    workspace: Mapped[Workspace] = relationship(back_populates="checklists")


class Owner(Base):
    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("checklist_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(255))  # platform user id
    display_name: Mapped[str] = mapped_column(String(255), default="")
    added_by: Mapped[str] = mapped_column(String(255), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Connection(Base):
    """Credentials for QBO (OAuth tokens) or Finale (API key and secret); secrets encrypted at rest."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("checklist_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ConnectionKind] = mapped_column(_enum(ConnectionKind, "connection_kind"))
    # QuickBooks Online
    realm_id: Mapped[str | None] = mapped_column(String(64))
    access_token: Mapped[str | None] = mapped_column(EncryptedString())
    refresh_token: Mapped[str | None] = mapped_column(EncryptedString())
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    company_name: Mapped[str | None] = mapped_column(String(255))
    # Finale Inventory
    account_path: Mapped[str | None] = mapped_column(String(255))
    base_url: Mapped[str | None] = mapped_column(String(512))
    api_key: Mapped[str | None] = mapped_column(EncryptedString())
    api_secret: Mapped[str | None] = mapped_column(EncryptedString())
    report_urls: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # report name -> URL
    connected_by: Mapped[str] = mapped_column(String(255), default="")
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CheckRun(Base):
    __tablename__ = "check_runs"
    __table_args__ = (Index("ix_check_runs_checklist_started", "checklist_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    triggered_by: Mapped[str] = mapped_column(String(255))  # a platform user id, or "reminder"
    slugs: Mapped[list[str]] = mapped_column(JSON, default=list)

    results: Mapped[list[CheckResultRecord]] = relationship(
        back_populates="run", order_by="CheckResultRecord.id", passive_deletes=True
    )


class CheckResultRecord(Base):
    """One stored CheckResult. Amounts and finding quantities are decimal strings."""

    __tablename__ = "check_results"
    __table_args__ = (Index("ix_check_results_checklist_slug", "checklist_id", "slug", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id", ondelete="CASCADE"), index=True)
    # Denormalised from the run so that "latest per slug" needs no join.
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    status: Mapped[Status] = mapped_column(_enum(Status, "check_status"))
    # CheckResult.id (the outcome's stable id) and .ask; rows stored before they existed hold "".
    result_id: Mapped[str] = mapped_column(String(80), default="", server_default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    hint: Mapped[str] = mapped_column(Text, default="")
    ask: Mapped[str] = mapped_column(Text, default="", server_default="")
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    amounts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    pending: Mapped[str | None] = mapped_column(String(32))
    ack_key: Mapped[str | None] = mapped_column(String(255))
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    run: Mapped[CheckRun] = relationship(back_populates="results")

    @classmethod
    def from_result(cls, result: CheckResult, *, checklist_id: int, created_at: datetime) -> CheckResultRecord:
        return cls(
            checklist_id=checklist_id,
            slug=result.slug,
            status=result.status,
            result_id=result.id,
            summary=result.summary,
            hint=result.hint,
            ask=result.ask,
            findings=[finding.as_dict() for finding in result.findings],
            amounts={name: str(amount) for name, amount in result.amounts.items()},
            pending=None if result.pending is None else result.pending.value,
            ack_key=result.ack_key,
            cleared=result.cleared,
            created_at=created_at,
        )

    def to_result(self) -> CheckResult:
        return CheckResult(
            slug=self.slug,
            status=Status(self.status),
            summary=self.summary,
            hint=self.hint,
            id=self.result_id,
            ask=self.ask,
            findings=tuple(_finding(raw) for raw in self.findings),
            amounts={name: Decimal(amount) for name, amount in self.amounts.items()},
            pending=None if self.pending is None else Pending(self.pending),
            ack_key=self.ack_key,
            cleared=self.cleared,
        )


def _finding(raw: dict[str, Any]) -> Finding:
    quantity, amount = raw.get("quantity"), raw.get("amount")
    return Finding(
        kind=str(raw["kind"]),
        id=str(raw["id"]),
        name=str(raw["name"]),
        detail=str(raw.get("detail", "")),
        quantity=None if quantity is None else Decimal(quantity),
        amount=None if amount is None else Decimal(amount),
        extra={str(k): str(v) for k, v in (raw.get("extra") or {}).items()},
    )


class Confirmation(Base):
    """Append-only audit row: who confirmed, acknowledged or answered what, having been shown what.

    A withdrawal is a new row of kind `withdraw`; `withdraws_id` names the row it withdraws.
    """

    __tablename__ = "confirmations"
    __table_args__ = (Index("ix_confirmations_checklist_slug", "checklist_id", "slug", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: an audit log outlives nothing silently; a checklist with confirmations cannot be deleted.
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="RESTRICT"))
    slug: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ConfirmationKind] = mapped_column(_enum(ConfirmationKind, "confirmation_kind"))
    # "enable_date", "revenue_pushed", "backup", "finale_balance", "offset_account", ... or None.
    field: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text, default="")
    shown_text: Mapped[str] = mapped_column(Text, default="")  # exactly what the person was shown
    user_id: Mapped[str] = mapped_column(String(255))
    user_name: Mapped[str] = mapped_column(String(255), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdraws_id: Mapped[int | None] = mapped_column(ForeignKey("confirmations.id", ondelete="RESTRICT"))


class ReminderDelivery(Base):
    """One reminder slot of one checklist, held by a lease: `claimed_by` posts it unless its lease lapses first,
    then another replica takes it over (and looks for the message when a post was already tried)."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("checklist_id", "slot"),
        Index("ix_reminder_deliveries_open", "posted_at", "gave_up_at", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"))
    slot: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(255))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    message_ref: Mapped[str | None] = mapped_column(String(512))  # e.g. "C123:1712345678.000100"
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: a claim from before leases
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # posts tried
    last_error: Mapped[str | None] = mapped_column(String(255))
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # grace over, or the channel is gone


class ConversationReference(Base):
    """A Teams conversation reference, kept so that reminders can be posted proactively."""

    __tablename__ = "conversation_references"
    __table_args__ = (UniqueConstraint("workspace_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(512))
    service_url: Mapped[str] = mapped_column(String(512))
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)  # ConversationReference.serialize()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Download(Base):
    """A file handed out through a short-lived link (surfaces that cannot attach files, such as Teams)."""

    __tablename__ = "downloads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random; the link carries it encrypted
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SourceCacheRecord(Base):
    """What a checklist's last read of QBO or Finale kept for the next re-check (checks/sources/cache.py):
    one compressed blob per piece, valid for one connection (`epoch`) and as of `synced_at`."""

    __tablename__ = "source_cache"
    __table_args__ = (UniqueConstraint("checklist_id", "piece"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"), index=True)
    piece: Mapped[str] = mapped_column(String(64))  # e.g. "qbo.items", "finale.sales_orders"
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OAuthState(Base):
    """The `state` of Preflight's own QBO connect flow: random, single use, expiring."""

    __tablename__ = "oauth_states"
    _repr_hidden: ClassVar[frozenset[str]] = frozenset({"state"})

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(128), unique=True)
    provider: Mapped[str] = mapped_column(String(32), default="qbo")
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    # Where to report back after the callback (channel, message ts, response_url...).
    context: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# slack_sdk's installation, bot and OAuth state tables live in the same schema and migrations.
add_slack_tables(Base.metadata)


# --- Append-only confirmations, at the ORM level (the database triggers are the second level) ---

_APPEND_ONLY_MESSAGE = (
    "Confirmations are an append-only audit log and cannot be {verb}; record a new row instead "
    "(a withdrawal or a new answer)."
)


def _confirmations_in(objects: Iterable[object]) -> list[Confirmation]:
    return [obj for obj in objects if isinstance(obj, Confirmation)]


@event.listens_for(Session, "before_flush")
def _confirmations_before_flush(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    if _confirmations_in(session.deleted):
        raise AppendOnlyError(_APPEND_ONLY_MESSAGE.format(verb="deleted"))
    for obj in _confirmations_in(session.dirty):
        if _has_column_changes(obj):
            raise AppendOnlyError(_APPEND_ONLY_MESSAGE.format(verb="changed"))


def _has_column_changes(target: Confirmation) -> bool:
    state = sa.inspect(target)
    return any(state.attrs[attr.key].history.has_changes() for attr in state.mapper.column_attrs)


@event.listens_for(Confirmation, "before_update")
def _confirmation_before_update(mapper: Mapper[Any], connection: sa.Connection, target: Confirmation) -> None:
    # Called for every dirty instance, even one set to the value it had: refuse only real changes.
    if _has_column_changes(target):
        raise AppendOnlyError(_APPEND_ONLY_MESSAGE.format(verb="changed"))


@event.listens_for(Confirmation, "before_delete")
def _confirmation_before_delete(mapper: Mapper[Any], connection: sa.Connection, target: Confirmation) -> None:
    raise AppendOnlyError(_APPEND_ONLY_MESSAGE.format(verb="deleted"))


@event.listens_for(Session, "do_orm_execute")
def _confirmations_no_bulk_changes(state: ORMExecuteState) -> None:
    # session.execute(update(Confirmation)) / delete(...) bypass the flush: stop them here.
    if (state.is_update or state.is_delete) and any(mapper.class_ is Confirmation for mapper in state.all_mappers):
        raise AppendOnlyError(_APPEND_ONLY_MESSAGE.format(verb="changed" if state.is_update else "deleted"))


class RequestKey(Base):
    """A request from a surface, by an idempotency key (Slack: event_id, action_ts, view id or a hash of the
    signed body): inserted before the request is acknowledged, so a retry, a replay or a double submission
    finds it and changes nothing. Until `done`, it is also the durable intent: what to run again, under a
    lease, when the replica that acknowledged it died before finishing."""

    __tablename__ = "request_keys"
    __table_args__ = (Index("ix_request_keys_pending", "done", "lease_until"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(80), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What the surface needs to run the request again (its own JSON): encrypted, a form may hold a secret.
    payload: Mapped[str | None] = mapped_column(EncryptedString())
    placeholder: Mapped[str | None] = mapped_column(String(255))  # the "Checking…" message shown, if any
    applied: Mapped[bool] = mapped_column(Boolean, default=False)  # its state change is committed
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class QboPace(Base):
    """One token bucket per QuickBooks company, shared by every replica (rows locked while taken)."""

    __tablename__ = "qbo_pace"

    realm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)  # epoch seconds of the last refill
