"""Indexes for the lookups recording makes on every sheet, found by bench/store.py.

Person matching looks up persons and residents by street, and threshold evaluation looks up
crossings by case; without these indexes each of those lookups scanned its whole table, so
recording one sheet slowed down as the database grew.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_persons_street_key", "persons", "street_key"),
    ("ix_residents_street_key", "residents", "street_key"),
    ("ix_threshold_crossings_case_id", "threshold_crossings", "case_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
