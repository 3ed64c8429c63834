"""What a checklist's last source read kept for incremental re-checks (QBO CDC, Finale lastUpdatedDate).

Revision ID: 0005_source_cache
Revises: 0006_downloads
Create Date: 2026-12-07

Starts empty: the first check after the upgrade reads everything in full, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_source_cache"
down_revision: str | None = "0006_downloads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("piece", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["checklists.id"],
            name=op.f("fk_source_cache_checklist_id_checklists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_cache")),
        sa.UniqueConstraint("checklist_id", "piece", name=op.f("uq_source_cache_checklist_id_piece")),
    )
    op.create_index(op.f("ix_source_cache_checklist_id"), "source_cache", ["checklist_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_source_cache_checklist_id"), table_name="source_cache")
    op.drop_table("source_cache")
