"""Where each message was moved on the mail server, so the worker can finish a move that a
crash interrupted (the record was committed, the server never heard about it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("source_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("moved_to", sa.String(255), nullable=True))
        batch.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_messages_mailbox_moved_at", "messages", ["mailbox", "moved_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_mailbox_moved_at", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("moved_at")
        batch.drop_column("moved_to")
        batch.drop_column("source_key")
