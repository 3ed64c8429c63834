"""Reminder deliveries become leases that another replica takes over; a checklist's reminders can pause.

Revision ID: 0003_reminder_leases
Revises: 0002_check_result_ids
Create Date: 2026-12-07

reminder_deliveries: `lease_expires_at` (the claimant, `claimed_by`, holds the slot until then; a lapsed
lease on an unposted slot is taken over), `attempts` (posts tried: a taker with attempts > 0 looks for the
message before posting again), `last_error`, `gave_up_at` (the slot's grace ended unposted, or its channel
is gone). Rows claimed before this revision have no expiry and count as lapsed.

checklists: `reminders_paused_reason` / `reminders_paused_at` (the channel refused for good: reminders wait
for `remind on`), and `reminders_changed_at` (slots before it are never caught up after a restart).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_reminder_leases"
down_revision: str | None = "0002_check_result_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder_deliveries") as batch_op:
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_reminder_deliveries_open", ["posted_at", "gave_up_at", "lease_expires_at"])
    with op.batch_alter_table("checklists") as batch_op:
        batch_op.add_column(sa.Column("reminders_paused_reason", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("reminders_paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminders_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checklists") as batch_op:
        batch_op.drop_column("reminders_changed_at")
        batch_op.drop_column("reminders_paused_at")
        batch_op.drop_column("reminders_paused_reason")
    with op.batch_alter_table("reminder_deliveries") as batch_op:
        batch_op.drop_index("ix_reminder_deliveries_open")
        batch_op.drop_column("gave_up_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_expires_at")
