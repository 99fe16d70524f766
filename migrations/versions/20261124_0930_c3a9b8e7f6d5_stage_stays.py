"""Stage stays (issue #7): each programme's stays in each stage, kept by a trigger on the audit trail.

A transition audited as one of ENTERED closes the programme's open stay (left_at, and days as each database
reckons them, as the analytics did) and opens one in the state entered. A trigger rather than the services: audit
entries are appended by several paths (the workflow, audit_bulk, the seeding). The table is backfilled from the
existing trail by the query the analytics ran until now: the next transition of the same programme, by seq.

ENTERED is domain.stats.ENTERED as of this revision, written out so that the migration does not change when the
transition table does (tests/test_stage_stays.py fails when they part: a new transition needs a new migration).

Revision ID: c3a9b8e7f6d5
Revises: 5c13a380bce1
Create Date: 2026-11-24 09:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qa_engine.db

revision: str = "c3a9b8e7f6d5"
down_revision: str | None = "5c13a380bce1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The audit action of each transition -> the state it enters.
ENTERED: dict[str, str] = {
    "programme.accept_for_review": "in_review",
    "programme.approve": "approved",
    "programme.approve_with_conditions": "conditions",
    "programme.close_response_window": "decision_pending",
    "programme.complete_reviews": "consolidation",
    "programme.conditions_met": "approved",
    "programme.create": "draft",
    "programme.expire": "expired",
    "programme.reject": "rejected",
    "programme.reopen_review": "in_review",
    "programme.require_revision": "revise_and_resubmit",
    "programme.respond_to_report": "decision_pending",
    "programme.return_to_designer": "returned",
    "programme.send_draft_report": "provider_response",
    "programme.start_periodic_review": "draft",
    "programme.start_revision": "draft",
    "programme.submit": "submitted",
    "programme.take_for_screening": "screening",
    "programme.uphold_appeal": "decision_pending",
    "programme.withdraw": "withdrawn",
    "programme.withdraw_approval": "approval_withdrawn",
}
#: (name, columns): not in batch mode, so SQLite keeps the table as it is.
INDEXES: tuple[tuple[str, list[str]], ...] = (
    ("ix_stage_stays_left", ["stage", "left_at", "days"]),
    ("ix_stage_stays_open", ["programme_id", "left_at"]),
)
ACTIONS = ", ".join(f"'{action}'" for action in ENTERED)
STAGE = "CASE {action} " + " ".join(f"WHEN '{a}' THEN '{s}'" for a, s in ENTERED.items()) + " END"


def _days(later: str, earlier: str, dialect: str) -> str:
    """The days from `earlier` to `later`, as services.analytics reckoned them in SQL."""
    if dialect == "postgresql":
        return f"CAST(extract(epoch FROM {later} - {earlier}) / 86400 AS FLOAT)"
    return f"CAST(julianday({later}) - julianday({earlier}) AS FLOAT)"


def upgrade() -> None:
    op.create_table("stage_stays",
                    sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("programme_id", sa.Integer(), nullable=False),
                    sa.Column("stage", sa.String(length=40), nullable=False),
                    sa.Column("entered_at", qa_engine.db.UTCDateTime(timezone=True), nullable=False),
                    sa.Column("left_at", qa_engine.db.UTCDateTime(timezone=True), nullable=True),
                    sa.Column("days", sa.Double(), nullable=True),
                    sa.PrimaryKeyConstraint("seq", name=op.f("pk_stage_stays")))
    _backfill()
    for name, columns in INDEXES:
        op.create_index(name, "stage_stays", columns)
    _trigger()


def _backfill() -> None:
    dialect = op.get_bind().dialect.name
    left = "LEAD(occurred_at) OVER (PARTITION BY object_id ORDER BY seq)"
    op.execute(f"""INSERT INTO stage_stays (seq, programme_id, stage, entered_at, left_at, days)
                   SELECT seq, CAST(object_id AS INTEGER), {STAGE.format(action="action")}, occurred_at, {left},
                          {_days(left, "occurred_at", dialect)}
                   FROM audit_entries WHERE object_type = 'programme' AND action IN ({ACTIONS})""")


def _trigger() -> None:
    """After each transition audited: close the programme's open stay, open one in the state entered."""
    dialect = op.get_bind().dialect.name
    programme = "CAST(NEW.object_id AS INTEGER)"
    days = _days("NEW.occurred_at", "entered_at", dialect)
    close = f"""UPDATE stage_stays SET left_at = NEW.occurred_at, days = {days}
                WHERE programme_id = {programme} AND left_at IS NULL"""
    open_ = f"""INSERT INTO stage_stays (seq, programme_id, stage, entered_at)
                VALUES (NEW.seq, {programme}, {STAGE.format(action="NEW.action")}, NEW.occurred_at)"""
    when = f"NEW.object_type = 'programme' AND NEW.action IN ({ACTIONS})"
    if dialect == "postgresql":
        op.execute(f"""CREATE FUNCTION audit_entries_stage_stays() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN {close}; {open_}; RETURN NULL; END $$""")
        op.execute(f"""CREATE TRIGGER audit_entries_stage_stays AFTER INSERT ON audit_entries FOR EACH ROW
                       WHEN ({when}) EXECUTE FUNCTION audit_entries_stage_stays()""")
    else:
        op.execute(f"""CREATE TRIGGER audit_entries_stage_stays AFTER INSERT ON audit_entries WHEN {when}
                       BEGIN {close}; {open_}; END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_stage_stays ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_stage_stays()")
    else:
        op.execute("DROP TRIGGER audit_entries_stage_stays")
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="stage_stays")
    op.drop_table("stage_stays")
