"""The QA office's lists searched by words within one state (issue #7): `programme_words.state`.

The dashboard filtered by a state and searched found the programmes whose words begin with the search, then looked
up each one's state: "forest" among the programmes in review sought 1,414 programmes at 50,000 to list 65. Each word
row now carries its programme's state, so that a state and a word's beginning are one range of an index. Triggers
keep it: a word row written without a state takes its programme's (so the triggers of revision d1f3a5b7c9e2 that
write words are left as they are), and a programme's move to another state moves its words (standing aside during a
bulk load, which writes the words with their states at its end).

Revision ID: e3b5d7f9a1c4
Revises: d1f3a5b7c9e2
Create Date: 2026-11-24 19:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3b5d7f9a1c4"
down_revision: str | None = "d1f3a5b7c9e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_LOADING = "NOT EXISTS (SELECT 1 FROM bulk_loads)"
ITS_STATE = "(SELECT p.state FROM programmes p WHERE p.id = {row}.programme_id)"


def upgrade() -> None:
    op.add_column("programme_words", sa.Column("state", sa.String(length=30), nullable=True))
    op.execute(f"UPDATE programme_words SET state = {ITS_STATE.format(row='programme_words')}")
    op.create_index("ix_programme_words_state", "programme_words", ["state", "word", "programme_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION programme_words_stated() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN NEW.state := {ITS_STATE.format(row='NEW')}; RETURN NEW; END $$""")
        op.execute("""CREATE TRIGGER programme_words_stated BEFORE INSERT ON programme_words
                      FOR EACH ROW WHEN (NEW.state IS NULL) EXECUTE FUNCTION programme_words_stated()""")
        op.execute(f"""CREATE FUNCTION programme_words_moved() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN
                         IF {NOT_LOADING} THEN
                           UPDATE programme_words SET state = NEW.state WHERE programme_id = NEW.id;
                         END IF;
                         RETURN NULL;
                       END $$""")
        op.execute("""CREATE TRIGGER programme_words_moved AFTER UPDATE OF state ON programmes
                      FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
                      EXECUTE FUNCTION programme_words_moved()""")
    else:
        op.execute("CREATE TRIGGER programme_words_stated AFTER INSERT ON programme_words WHEN NEW.state IS NULL "
                   f"BEGIN UPDATE programme_words SET state = {ITS_STATE.format(row='NEW')} "
                   "WHERE word = NEW.word AND programme_id = NEW.programme_id; END")
        op.execute("CREATE TRIGGER programme_words_moved AFTER UPDATE OF state ON programmes "
                   f"WHEN OLD.state IS NOT NEW.state AND {NOT_LOADING} "
                   "BEGIN UPDATE programme_words SET state = NEW.state WHERE programme_id = NEW.id; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER programme_words_moved ON programmes")
        op.execute("DROP TRIGGER programme_words_stated ON programme_words")
        op.execute("DROP FUNCTION programme_words_moved()")
        op.execute("DROP FUNCTION programme_words_stated()")
    else:
        op.execute("DROP TRIGGER programme_words_moved")
        op.execute("DROP TRIGGER programme_words_stated")
    op.drop_index("ix_programme_words_state", table_name="programme_words")
    op.drop_column("programme_words", "state")
