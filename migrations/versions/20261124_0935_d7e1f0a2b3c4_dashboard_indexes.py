"""Dashboard indexes (issue #7): the QA office's attention lists counted from indexes rather than table rows.

The programmes in one state with their current round (review rounds are found by programme and version), and each
round's dates, so that late invitations, late reviews and late provider responses are counted without reading the
wide programme and review rows. The analytics read the reviews submitted in a period from one covering index
(it replaces the narrower ix_review_assignments_submitted).

Revision ID: d7e1f0a2b3c4
Revises: c3a9b8e7f6d5
Create Date: 2026-11-24 09:35:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = "d7e1f0a2b3c4"
down_revision: str | None = "c3a9b8e7f6d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (name, table, columns): not in batch mode, so SQLite keeps each table's triggers.
INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_programmes_state_round", "programmes", ["state", "current_version", "id", "designer_id"]),
    ("ix_reviews_round_dates", "reviews", ["programme_id", "version_number", "due_on", "response_due_on", "id"]),
    ("ix_review_assignments_seats", "review_assignments",
     ["status", "submitted_at", "review_id", "reviewer_id", "invited_at", "responded_at", "hours"]),
)
REPLACED = ("ix_review_assignments_submitted", "review_assignments", ["status", "submitted_at"])


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.drop_index(REPLACED[0], table_name=REPLACED[1])


def downgrade() -> None:
    op.create_index(*REPLACED)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
