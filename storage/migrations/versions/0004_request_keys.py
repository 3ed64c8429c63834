"""Requests already seen (idempotency keys and durable intents) and QBO's shared pace per company.

Revision ID: 0004_request_keys
Revises: 0002_check_result_ids
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_request_keys"
down_revision: str | None = "0002_check_result_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("placeholder", sa.String(length=255), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_request_keys")),
    )
    op.create_index("ix_request_keys_pending", "request_keys", ["done", "lease_until"])
    op.create_table(
        "qbo_pace",
        sa.Column("realm_id", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("realm_id", name=op.f("pk_qbo_pace")),
    )


def downgrade() -> None:
    op.drop_table("qbo_pace")
    op.drop_index("ix_request_keys_pending", table_name="request_keys")
    op.drop_table("request_keys")
