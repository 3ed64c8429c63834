"""Stored check results keep the outcome's stable id and the words an owner confirms or acknowledges.

Revision ID: 0002_check_result_ids
Revises: 0001_initial
Create Date: 2026-12-07

Rows stored before hold "" in both columns; the next check run stores them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_check_result_ids"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_results") as batch_op:
        batch_op.add_column(sa.Column("result_id", sa.String(length=80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("ask", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("check_results") as batch_op:
        batch_op.drop_column("ask")
        batch_op.drop_column("result_id")
