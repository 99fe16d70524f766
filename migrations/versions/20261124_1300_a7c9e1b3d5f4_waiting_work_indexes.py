"""Indexes of the work waiting for the QA office (issue #7): unanswered invitations and proposed decisions.

Both are a small part of their tables (a few hundred invitations among 150,000 seats at 50,000 programmes; the
decisions waiting for a second officer among 40,000), and their status values have no statistics that tell the
planners so: partial indexes hold just those rows, in the order the dashboard lists them.

Revision ID: a7c9e1b3d5f4
Revises: e5a7c9d1f3b2
Create Date: 2026-11-24 13:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c9e1b3d5f4"
down_revision: str | None = "e5a7c9d1f3b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (name, table, columns, the rows it holds): not in batch mode, so SQLite keeps each table's triggers.
INDEXES: tuple[tuple[str, str, list[str], str], ...] = (
    ("ix_review_assignments_invited", "review_assignments", ["invited_at", "id", "review_id", "reviewer_id"],
     "status = 'invited'"),
    ("ix_decisions_proposed", "decisions", ["decided_at", "id", "programme_id", "decided_by_id"],
     "status = 'proposed'"),
)


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        op.create_index(name, table, columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade() -> None:
    for name, table, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
