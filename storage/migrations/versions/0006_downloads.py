"""Files handed out through short-lived links (the Teams surface's CSV exports).

Revision ID: 0006_downloads
Revises: 0004_request_keys
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_downloads"
down_revision: str | None = "0004_request_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "downloads",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_downloads")),
    )
    op.create_index(op.f("ix_downloads_expires_at"), "downloads", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_downloads_expires_at"), table_name="downloads")
    op.drop_table("downloads")
