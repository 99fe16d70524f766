"""The QA office's programme lists searched by words (issue #7): `programme_words`, kept by triggers.

The dashboard's and the screening queue's search read every programme of the list with `lower(title) LIKE
'%term%'` (and the providers' names): at 50,000 programmes a search among the 2,500 in review read them all.
`programme_words` holds the distinct words of each programme's title and its provider's name and short name, lowered
and split at the separators the register uses, so that each word of a search is a range of its key, as the register
finds its entries (migration 20261124_1330, whose SQL for splitting words this revision reuses). Triggers rewrite a
programme's words when it is added, retitled or moved to another provider, and all of a provider's programmes' words
when the provider is renamed.

Revision ID: d1f3a5b7c9e2
Revises: c9e2f4a6b8d0
Create Date: 2026-11-24 14:30:00.000000
"""
import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "d1f3a5b7c9e2"
down_revision: str | None = "c9e2f4a6b8d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANGED_WHEN = "OLD.title IS NOT NEW.title OR OLD.provider_id IS NOT NEW.provider_id"
RENAMED_WHEN = "OLD.name IS NOT NEW.name OR OLD.short_name IS NOT NEW.short_name"
#: As the previous revision's triggers, these stand aside during a bulk load, which fills the words at its end.
NOT_LOADING = "NOT EXISTS (SELECT 1 FROM bulk_loads)"


def upgrade() -> None:
    op.create_table("programme_words",
                    sa.Column("word", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False),
                    sa.Column("programme_id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.PrimaryKeyConstraint("word", "programme_id", name=op.f("pk_programme_words")),
                    sqlite_with_rowid=False)
    op.create_index("ix_programme_words_programme", "programme_words", ["programme_id"])
    words = _search()._words("p.title", "i.name", "i.short_name")
    every = f"(SELECT p.id AS programme_id, {words} AS x FROM programmes p JOIN institutions i ON i.id = p.provider_id)"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"INSERT INTO programme_words (word, programme_id) SELECT w, s.programme_id FROM {every} AS s, "
                   f"LATERAL ({_search()._split_pg('s.x')}) AS split")
        _triggers_pg()
    else:
        op.execute(f"INSERT INTO programme_words (word, programme_id) {_search()._split_sqlite(every)}")
        _triggers_sqlite()


def _triggers_sqlite() -> None:
    split, words = _search()._split_sqlite, _search()._words
    own = (f"(SELECT NEW.id AS programme_id, {words('NEW.title', 'i.name', 'i.short_name')} AS x "
           "FROM institutions i WHERE i.id = NEW.provider_id)")
    added = f"INSERT INTO programme_words (word, programme_id) {split(own)};"
    op.execute(f"CREATE TRIGGER programme_words_added AFTER INSERT ON programmes WHEN {NOT_LOADING} "
               f"BEGIN {added} END")
    op.execute(f"CREATE TRIGGER programme_words_changed AFTER UPDATE OF title, provider_id ON programmes "
               f"WHEN ({CHANGED_WHEN}) AND {NOT_LOADING} "
               f"BEGIN DELETE FROM programme_words WHERE programme_id = NEW.id; {added} END")
    op.execute(f"CREATE TRIGGER programme_words_removed AFTER DELETE ON programmes WHEN {NOT_LOADING} "
               "BEGIN DELETE FROM programme_words WHERE programme_id = OLD.id; END")
    theirs = (f"(SELECT p.id AS programme_id, {words('p.title', 'NEW.name', 'NEW.short_name')} AS x "
              "FROM programmes p WHERE p.provider_id = NEW.id)")
    op.execute(f"CREATE TRIGGER programme_words_renamed AFTER UPDATE OF name, short_name ON institutions "
               f"WHEN {RENAMED_WHEN} BEGIN "
               "DELETE FROM programme_words WHERE programme_id IN (SELECT id FROM programmes WHERE provider_id = NEW.id); "
               f"INSERT INTO programme_words (word, programme_id) {split(theirs)}; END")


def _triggers_pg() -> None:
    split, words = _search()._split_pg, _search()._words
    op.execute(f"""CREATE FUNCTION programme_words_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
                   DECLARE text_ text;
                   BEGIN
                     IF EXISTS (SELECT 1 FROM bulk_loads) THEN RETURN NULL; END IF;
                     IF TG_OP <> 'INSERT' THEN
                       DELETE FROM programme_words WHERE programme_id = OLD.id;
                     END IF;
                     IF TG_OP <> 'DELETE' THEN
                       SELECT {words('NEW.title', 'i.name', 'i.short_name')} INTO text_
                       FROM institutions i WHERE i.id = NEW.provider_id;
                       INSERT INTO programme_words (word, programme_id) SELECT w, NEW.id FROM ({split('text_')}) AS s;
                     END IF;
                     RETURN NULL;
                   END $$""")
    op.execute("""CREATE TRIGGER programme_words_added_or_removed AFTER INSERT OR DELETE ON programmes
                  FOR EACH ROW EXECUTE FUNCTION programme_words_refresh()""")
    op.execute(f"""CREATE TRIGGER programme_words_changed AFTER UPDATE OF title, provider_id ON programmes
                   FOR EACH ROW WHEN ({CHANGED_WHEN.replace(' IS NOT ', ' IS DISTINCT FROM ')})
                   EXECUTE FUNCTION programme_words_refresh()""")
    op.execute(f"""CREATE FUNCTION programme_words_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN
                     DELETE FROM programme_words
                     WHERE programme_id IN (SELECT id FROM programmes WHERE provider_id = NEW.id);
                     INSERT INTO programme_words (word, programme_id) SELECT w, p.id FROM programmes p,
                     LATERAL ({split(words('p.title', 'NEW.name', 'NEW.short_name'))}) AS s WHERE p.provider_id = NEW.id;
                     RETURN NULL;
                   END $$""")
    op.execute(f"""CREATE TRIGGER programme_words_renamed AFTER UPDATE OF name, short_name ON institutions
                   FOR EACH ROW WHEN ({RENAMED_WHEN.replace(' IS NOT ', ' IS DISTINCT FROM ')})
                   EXECUTE FUNCTION programme_words_renamed()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (("programme_words_added_or_removed", "programmes"),
                               ("programme_words_changed", "programmes"), ("programme_words_renamed", "institutions")):
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.execute("DROP FUNCTION programme_words_refresh()")
        op.execute("DROP FUNCTION programme_words_renamed()")
    else:
        for trigger in ("added", "changed", "removed", "renamed"):
            op.execute(f"DROP TRIGGER programme_words_{trigger}")
    op.drop_index("ix_programme_words_programme", table_name="programme_words")
    op.drop_table("programme_words")


@cache
def _search():  # noqa: ANN202
    """The module of revision b8d0f2a4c6e8 (the register's word search), whose SQL splits words as this one must."""
    path = Path(__file__).with_name("20261124_1330_b8d0f2a4c6e8_register_search.py")
    spec = importlib.util.spec_from_file_location("register_search_b8d0f2a4c6e8", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
