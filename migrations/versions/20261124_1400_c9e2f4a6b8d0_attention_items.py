"""The QA office's open work kept as a table in step with seats, rounds, programmes, conditions and decisions, and
the programmes counted per state (issue #7), by triggers.

The dashboard's late invitations, late reviews, late responses, late conditions and approvals ending soon were each
a join of seats, rounds and programmes (or conditions and decisions) walked and counted at every view: at 50,000
programmes a thousand late seats cost milliseconds each list. `attention_items` holds one narrow row per piece of
open work with its date (models.attention), so that each list is one range of its (kind, due) index, counted
without a join. Triggers recompute a programme's rows after every write that can change them; the table is
backfilled by the same query over every programme.

The pipeline counted every programme by state at every view of the dashboard and of the officers' home page;
`programme_tallies` holds the count of each state, kept by triggers on programmes (models.attention).

While a bulk load runs (a row in `bulk_loads`, in the loader's own transaction) the triggers of both tables (and
those of programme_words, the next revision) stand aside and the loader fills them at its end
(models.attention.BulkLoad).

The states, statuses and outcomes are written out as of this revision, so that the migration does not change when
the domain does (tests/test_attention_items.py fails when they part: a change needs a new migration).

Revision ID: c9e2f4a6b8d0
Revises: b8d0f2a4c6e8
Create Date: 2026-11-24 14:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9e2f4a6b8d0"
down_revision: str | None = "b8d0f2a4c6e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: domain.decisions.ACCREDITING
ACCREDITING = ("approved", "approved_with_conditions")
#: domain.workflow.ACCREDITED
ACCREDITED = ("approved", "conditions")
#: (name, columns): as models.attention declares them.
INDEXES: tuple[tuple[str, list[str]], ...] = (
    ("ix_attention_items_due", ["kind", "due", "subject_id", "programme_id", "who_id"]),
    ("ix_attention_items_programme", ["programme_id"]),
)


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def items(where: str, *, postgresql: bool) -> str:
    """The rows of the programmes that `where` (a condition on p, ending in AND, or empty) keeps: services.
    attention_items.source() in SQL. An invitation's date is the UTC day it was sent."""
    invited_on = "(a.invited_at AT TIME ZONE 'UTC')::date" if postgresql else "date(a.invited_at)"
    newer = ("SELECT 1 FROM decisions n WHERE n.programme_id = d.programme_id AND n.status = 'effective' "
             "AND n.id > d.id")
    return f"""INSERT INTO attention_items (kind, subject_id, programme_id, due, who_id)
SELECT CASE a.status WHEN 'invited' THEN 'invitation' ELSE 'review' END, a.id, p.id,
       CASE a.status WHEN 'invited' THEN {invited_on} ELSE r.due_on END, a.reviewer_id
FROM programmes p
JOIN reviews r ON r.programme_id = p.id AND r.version_number = p.current_version
JOIN review_assignments a ON a.review_id = r.id
WHERE {where} p.state = 'in_review' AND a.status IN ('invited', 'accepted')
UNION ALL
SELECT 'response', r.id, p.id, r.response_due_on, p.designer_id
FROM programmes p
JOIN reviews r ON r.programme_id = p.id AND r.version_number = p.current_version
WHERE {where} p.state = 'provider_response' AND r.response IS NULL AND r.response_due_on IS NOT NULL
UNION ALL
SELECT 'condition', c.id, p.id, c.due_on, NULL
FROM programmes p
JOIN decisions d ON d.programme_id = p.id
JOIN conditions c ON c.decision_id = d.id
WHERE {where} p.state = 'conditions' AND c.status <> 'met' AND d.status = 'effective' AND d.corrects_id IS NULL
  AND NOT EXISTS ({newer} AND n.corrects_id IS NULL)
UNION ALL
SELECT 'expiry', d.id, p.id, d.valid_until, NULL
FROM programmes p
JOIN decisions d ON d.programme_id = p.id
WHERE {where} p.state IN ({_quoted(ACCREDITED)}) AND d.status = 'effective' AND d.outcome IN ({_quoted(ACCREDITING)})
  AND d.valid_until IS NOT NULL AND NOT EXISTS ({newer})"""


#: (trigger, event, the programme's id as a list or subquery): one trigger each (PostgreSQL: all call one function).
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("seats_set", "INSERT ON review_assignments", "(SELECT programme_id FROM reviews WHERE id = NEW.review_id)"),
    ("seats_moved", "UPDATE OF status, invited_at, reviewer_id ON review_assignments",
     "(SELECT programme_id FROM reviews WHERE id = NEW.review_id)"),
    ("rounds_set", "INSERT ON reviews", "(NEW.programme_id)"),
    ("rounds_dated", "UPDATE OF due_on, response_due_on, response ON reviews", "(NEW.programme_id)"),
    ("programmes_moved", "UPDATE OF state, current_version, designer_id ON programmes", "(NEW.id)"),
    ("conditions_set", "INSERT ON conditions", "(SELECT programme_id FROM decisions WHERE id = NEW.decision_id)"),
    ("conditions_judged", "UPDATE OF status, due_on ON conditions",
     "(SELECT programme_id FROM decisions WHERE id = NEW.decision_id)"),
    ("decisions_recorded", "INSERT ON decisions", "(NEW.programme_id)"),
    ("decisions_settled", "UPDATE OF status, outcome, valid_until ON decisions", "(NEW.programme_id)"),
)


#: Add one programme to a state's tally (the row made at its first programme).
COUNT_IN = ("INSERT INTO programme_tallies (state, programmes) VALUES (NEW.state, 1) "
            "ON CONFLICT (state) DO UPDATE SET programmes = programme_tallies.programmes + 1;")
COUNT_OUT = "UPDATE programme_tallies SET programmes = programmes - 1 WHERE state = OLD.state;"
#: No bulk load is running (models.attention.BulkLoad): the triggers of both tables stand aside during one (on
#: PostgreSQL a state's tally updated 50,000 times in one transaction is a chain of 50,000 row versions).
NOT_LOADING = "NOT EXISTS (SELECT 1 FROM bulk_loads)"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table("programme_tallies",
                    sa.Column("state", sa.String(length=30), nullable=False),
                    sa.Column("programmes", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("state", name=op.f("pk_programme_tallies")))
    op.execute("INSERT INTO programme_tallies (state, programmes) SELECT state, count(*) FROM programmes "
               "GROUP BY state")
    op.create_table("attention_items",
                    sa.Column("kind", sa.String(length=12), nullable=False),
                    sa.Column("subject_id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("programme_id", sa.Integer(), nullable=False),
                    sa.Column("due", sa.Date(), nullable=False),
                    sa.Column("who_id", sa.Integer(), nullable=True),
                    sa.PrimaryKeyConstraint("kind", "subject_id", name=op.f("pk_attention_items")))
    op.create_table("bulk_loads", sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_loads")))
    op.execute(items("", postgresql=postgresql))
    for name, columns in INDEXES:
        op.create_index(name, "attention_items", columns)
    if postgresql:
        _triggers_pg()
    else:
        _triggers_sqlite()


def _refresh(programme: str, *, postgresql: bool) -> str:
    """Delete the programme's rows and insert them again. `programme` is a list or a subquery, compared by IN: SQLite
    evaluates an IN subquery once and seeks each table by its result, while `p.id = (subquery)` keeps it from
    carrying the id over to the decisions and rounds joined (it read every programme under conditions instead)."""
    return (f"DELETE FROM attention_items WHERE programme_id IN {programme}; "
            f"{items(f'p.id IN {programme} AND', postgresql=postgresql)};")


def _triggers_sqlite() -> None:
    for name, event, programme in SOURCES:
        op.execute(f"CREATE TRIGGER attention_items_{name} AFTER {event} WHEN {NOT_LOADING} "
                   f"BEGIN {_refresh(programme, postgresql=False)} END")
    op.execute(f"CREATE TRIGGER programme_tallies_added AFTER INSERT ON programmes WHEN {NOT_LOADING} "
               f"BEGIN {COUNT_IN} END")
    op.execute("CREATE TRIGGER programme_tallies_moved AFTER UPDATE OF state ON programmes "
               f"WHEN OLD.state IS NOT NEW.state AND {NOT_LOADING} BEGIN {COUNT_OUT} {COUNT_IN} END")
    op.execute(f"CREATE TRIGGER programme_tallies_removed AFTER DELETE ON programmes WHEN {NOT_LOADING} "
               f"BEGIN {COUNT_OUT} END")


def _triggers_pg() -> None:
    """One function: the row's programme found by the table it fires on; one trigger per event."""
    op.execute(f"""CREATE FUNCTION attention_items_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
                   DECLARE programme integer;
                   BEGIN
                     IF EXISTS (SELECT 1 FROM bulk_loads) THEN RETURN NULL; END IF;
                     IF TG_TABLE_NAME = 'programmes' THEN programme := NEW.id;
                     ELSIF TG_TABLE_NAME IN ('reviews', 'decisions') THEN programme := NEW.programme_id;
                     ELSIF TG_TABLE_NAME = 'review_assignments' THEN
                       SELECT programme_id INTO programme FROM reviews WHERE id = NEW.review_id;
                     ELSE SELECT programme_id INTO programme FROM decisions WHERE id = NEW.decision_id;
                     END IF;
                     {_refresh("(programme)", postgresql=True)}
                     RETURN NULL;
                   END $$""")
    for name, event, _ in SOURCES:
        op.execute(f"""CREATE TRIGGER attention_items_{name} AFTER {event} FOR EACH ROW
                       EXECUTE FUNCTION attention_items_refresh()""")
    # A move takes its two rows in the order of the states' names, whichever way it goes.
    op.execute(f"""CREATE FUNCTION programme_tallies_count() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN
                     IF EXISTS (SELECT 1 FROM bulk_loads) THEN RETURN NULL; END IF;
                     IF TG_OP = 'INSERT' THEN {COUNT_IN}
                     ELSIF TG_OP = 'DELETE' THEN {COUNT_OUT}
                     ELSIF OLD.state < NEW.state THEN {COUNT_OUT} {COUNT_IN}
                     ELSE {COUNT_IN} {COUNT_OUT}
                     END IF;
                     RETURN NULL;
                   END $$""")
    op.execute("""CREATE TRIGGER programme_tallies_added_or_removed AFTER INSERT OR DELETE ON programmes
                  FOR EACH ROW EXECUTE FUNCTION programme_tallies_count()""")
    op.execute("""CREATE TRIGGER programme_tallies_moved AFTER UPDATE OF state ON programmes FOR EACH ROW
                  WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION programme_tallies_count()""")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    tallies = ("added_or_removed", "moved") if postgresql else ("added", "moved", "removed")
    for name in tallies:
        op.execute(f"DROP TRIGGER programme_tallies_{name}" + (" ON programmes" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION programme_tallies_count()")
    op.drop_table("programme_tallies")
    for name, event, _ in SOURCES:
        table = event.rsplit(" ", 1)[1]
        op.execute(f"DROP TRIGGER attention_items_{name} ON {table}" if postgresql
                   else f"DROP TRIGGER attention_items_{name}")
    if postgresql:
        op.execute("DROP FUNCTION attention_items_refresh()")
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="attention_items")
    op.drop_table("attention_items")
    op.drop_table("bulk_loads")
