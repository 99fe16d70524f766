"""Audit entries by object: an index for a programme's timeline.

Revision ID: 46e827fffb68
Revises: aa304615de60
Create Date: 2026-11-24 03:53:56.735299
"""
from collections.abc import Sequence

from alembic import op

revision: str = "46e827fffb68"
down_revision: str | None = "aa304615de60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not in batch mode: on SQLite a batch would rebuild the table and drop its append-only triggers.
    op.create_index("ix_audit_entries_object", "audit_entries", ["object_type", "object_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_object", table_name="audit_entries")
