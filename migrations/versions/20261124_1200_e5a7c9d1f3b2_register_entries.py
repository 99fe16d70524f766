"""Register entries (issue #7): the accredited set kept as a table in step with decisions, by triggers.

One row per programme whose decision in effect (its newest effective decision) accredits it while its state lets
the approval stand, with the approved version's title, field and level, the provider and the register status (the
outcome as amended by the newest addendum, and whether a condition is still open): `services.register.listing`
without its date test, which the register applies when it reads. Triggers recompute a programme's row after every
write that can change it: a decision recorded or settled, a condition set or judged, an addendum issued, a change
of the programme's state. The table is backfilled by the same query over every programme.

ACCREDITING, APPROVAL_STANDS and the statuses are written out as of this revision, so that the migration does not
change when the domain does (tests/test_register_entries.py fails when they part: a change needs a new migration).

Revision ID: e5a7c9d1f3b2
Revises: d7e1f0a2b3c4
Create Date: 2026-11-24 12:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a7c9d1f3b2"
down_revision: str | None = "d7e1f0a2b3c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: domain.decisions.ACCREDITING
ACCREDITING = ("approved", "approved_with_conditions")
#: services.decision_records.APPROVAL_STANDS
APPROVAL_STANDS = ("approved", "conditions", "draft", "submitted", "screening", "returned", "in_review",
                   "consolidation", "provider_response")
#: (name, columns): as models.register_entry declares them.
INDEXES: tuple[tuple[str, list[str]], ...] = (
    ("ix_register_entries_title", ["sort_title", "programme_id", "valid_from", "valid_until"]),
    ("ix_register_entries_valid", ["valid_until", "valid_from", "provider_id", "sort_title"]),
    ("ix_register_entries_provider", ["provider_id", "valid_until", "valid_from", "sort_title", "programme_id"]),
    ("ix_register_entries_field", ["field_code", "eqf_level", "valid_until", "valid_from", "sort_title", "programme_id"]),
    ("ix_register_entries_level", ["eqf_level", "valid_until", "valid_from", "sort_title", "programme_id"]),
    ("ix_register_entries_status", ["status", "valid_until", "valid_from", "sort_title", "programme_id"]),
)
COLUMNS = ("programme_id, decision_id, version_id, provider_id, field_code, eqf_level, title, sort_title, status, "
           "valid_from, valid_until")


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


#: services.register.listing without the date test, over the decisions that `where` keeps.
ENTRIES = f"""INSERT INTO register_entries ({COLUMNS})
SELECT d.programme_id, d.id, v.id, p.provider_id, v.field_code, v.eqf_level, v.title, lower(v.title),
       CASE WHEN COALESCE((SELECT a.outcome FROM decision_addenda a WHERE a.decision_id = d.id ORDER BY a.id DESC LIMIT 1),
                          d.outcome) = 'approved' THEN 'approved'
            WHEN EXISTS (SELECT 1 FROM conditions c WHERE c.decision_id = d.id AND c.status <> 'met')
            THEN 'conditions_open'
            ELSE 'conditions_met' END,
       d.valid_from, d.valid_until
FROM decisions d
JOIN programmes p ON p.id = d.programme_id
JOIN programme_versions v ON v.programme_id = d.programme_id AND v.number = d.version_number
WHERE {{where}} d.status = 'effective' AND d.outcome IN ({_quoted(ACCREDITING)})
  AND p.state IN ({_quoted(APPROVAL_STANDS)})
  AND NOT EXISTS (SELECT 1 FROM decisions n WHERE n.programme_id = d.programme_id AND n.status = 'effective'
                  AND n.id > d.id)"""

#: (trigger, event, condition, the programme's id) : one trigger each (PostgreSQL: all call one function).
SOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("decisions_recorded", "INSERT ON decisions", "", "NEW.programme_id"),
    ("decisions_settled", "UPDATE OF status ON decisions", "", "NEW.programme_id"),
    ("conditions_set", "INSERT ON conditions", "", "(SELECT programme_id FROM decisions WHERE id = NEW.decision_id)"),
    ("conditions_judged", "UPDATE OF status ON conditions", "",
     "(SELECT programme_id FROM decisions WHERE id = NEW.decision_id)"),
    ("addenda_issued", "INSERT ON decision_addenda", "", "(SELECT programme_id FROM decisions WHERE id = NEW.decision_id)"),
    ("programmes_moved", "UPDATE OF state ON programmes", "OLD.state IS NOT NEW.state", "NEW.id"),
)


def upgrade() -> None:
    op.create_table("register_entries",
                    sa.Column("programme_id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("decision_id", sa.Integer(), nullable=False),
                    sa.Column("version_id", sa.Integer(), nullable=False),
                    sa.Column("provider_id", sa.Integer(), nullable=False),
                    sa.Column("field_code", sa.String(length=20), nullable=True),
                    sa.Column("eqf_level", sa.Integer(), nullable=True),
                    sa.Column("title", sa.Text(), nullable=True),
                    sa.Column("sort_title", sa.Text(), nullable=True),
                    sa.Column("status", sa.String(length=20), nullable=False),
                    sa.Column("valid_from", sa.Date(), nullable=True),
                    sa.Column("valid_until", sa.Date(), nullable=True),
                    sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_register_entries")))
    op.execute(ENTRIES.format(where=""))
    for name, columns in INDEXES:
        op.create_index(name, "register_entries", columns)
    if op.get_bind().dialect.name == "postgresql":
        _triggers_pg()
    else:
        _triggers_sqlite()


def _refresh(programme: str, entries: str) -> str:
    """Delete the programme's row and insert it again, by `entries`, if it is accredited."""
    return (f"DELETE FROM register_entries WHERE programme_id = {programme}; "
            f"{entries.format(where=f'd.programme_id = {programme} AND')};")


def _triggers_sqlite(entries: str = ENTRIES) -> None:
    """One trigger per event (a later revision passes its own `entries`, with more columns)."""
    for name, event, condition, programme in SOURCES:
        when = f"WHEN {condition}" if condition else ""
        op.execute(f"CREATE TRIGGER register_entries_{name} AFTER {event} {when} BEGIN {_refresh(programme, entries)} "
                   "END")


def _triggers_pg(entries: str = ENTRIES) -> None:
    """One function: the row's programme found by the table it fires on; one trigger per event."""
    op.execute(f"""CREATE FUNCTION register_entries_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
                   DECLARE programme integer;
                   BEGIN
                     IF TG_TABLE_NAME = 'programmes' THEN programme := NEW.id;
                     ELSIF TG_TABLE_NAME = 'decisions' THEN programme := NEW.programme_id;
                     ELSE SELECT programme_id INTO programme FROM decisions WHERE id = NEW.decision_id;
                     END IF;
                     {_refresh("programme", entries)}
                     RETURN NULL;
                   END $$""")
    for name, event, condition, _ in SOURCES:
        when = f"WHEN ({condition.replace(' IS NOT ', ' IS DISTINCT FROM ')})" if condition else ""
        op.execute(f"""CREATE TRIGGER register_entries_{name} AFTER {event} FOR EACH ROW {when}
                       EXECUTE FUNCTION register_entries_refresh()""")


def _drop_triggers(*, postgresql: bool) -> None:
    for name, event, _, _ in SOURCES:
        table = event.rsplit(" ", 1)[1]
        op.execute(f"DROP TRIGGER register_entries_{name} ON {table}" if postgresql
                   else f"DROP TRIGGER register_entries_{name}")
    if postgresql:
        op.execute("DROP FUNCTION register_entries_refresh()")


def downgrade() -> None:
    _drop_triggers(postgresql=op.get_bind().dialect.name == "postgresql")
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="register_entries")
    op.drop_table("register_entries")
