"""Register search by words and a stamp of the register's changes (issue #7).

A substring search (`lower(col) LIKE '%term%'`) reads every entry; the register now searches words by their
beginning. Each entry gets `words`, its title, provider name and short name lowered, which the entry triggers fill
(they now join the provider) and a trigger on institutions rewrites when a provider is renamed; `register_words`
holds each entry's distinct words, split at the SEPARATORS, kept by triggers on `register_entries`, so that a word's
beginning is a range seek on its primary key. A plain table rather than SQLite FTS5 or a PostgreSQL tsvector index:
the same table, query and results on both databases, declared in the models like any other (FTS5's virtual and
shadow tables and a tsvector expression index are not), and no query language that a visitor's text could break.
Case is folded by the database's lower(), on the words and on the query alike.

`register_stamps` holds one row whose version every change of `register_entries` bumps, so that the register can
keep its facets until the entries change.

SEPARATORS is written out as of this revision (tests/test_register_entries.py fails when it parts from
services.register.SEPARATORS). The previous revision's triggers are replaced and restored on downgrade.

Revision ID: b8d0f2a4c6e8
Revises: a7c9e1b3d5f4
Create Date: 2026-11-24 13:30:00.000000
"""
import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "b8d0f2a4c6e8"
down_revision: str | None = "a7c9e1b3d5f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: services.register.SEPARATORS: what splits words (ASCII punctuation, white space, common typographic marks).
SEPARATORS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r\f\v\u00a0\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u00ab\u00bb\u00b7\u2026"
COLUMNS = ("programme_id, decision_id, version_id, provider_id, field_code, eqf_level, title, sort_title, status, "
           "valid_from, valid_until, words")


def _words(title: str, name: str, short_name: str) -> str:
    """services.register_entries.source's words: title, provider name and short name, lowered."""
    return f"lower(COALESCE({title}, '') || ' ' || COALESCE({name}, '') || ' ' || COALESCE({short_name}, ''))"


#: The previous revision's ENTRIES with the provider's words.
ENTRIES = f"""INSERT INTO register_entries ({COLUMNS})
SELECT d.programme_id, d.id, v.id, p.provider_id, v.field_code, v.eqf_level, v.title, lower(v.title),
       CASE WHEN COALESCE((SELECT a.outcome FROM decision_addenda a WHERE a.decision_id = d.id ORDER BY a.id DESC LIMIT 1),
                          d.outcome) = 'approved' THEN 'approved'
            WHEN EXISTS (SELECT 1 FROM conditions c WHERE c.decision_id = d.id AND c.status <> 'met')
            THEN 'conditions_open'
            ELSE 'conditions_met' END,
       d.valid_from, d.valid_until, {_words("v.title", "i.name", "i.short_name")}
FROM decisions d
JOIN programmes p ON p.id = d.programme_id
JOIN institutions i ON i.id = p.provider_id
JOIN programme_versions v ON v.programme_id = d.programme_id AND v.number = d.version_number
WHERE {{where}} d.status = 'effective' AND d.outcome IN ('approved', 'approved_with_conditions')
  AND p.state IN ('approved', 'conditions', 'draft', 'submitted', 'screening', 'returned', 'in_review',
                  'consolidation', 'provider_response')
  AND NOT EXISTS (SELECT 1 FROM decisions n WHERE n.programme_id = d.programme_id AND n.status = 'effective'
                  AND n.id > d.id)"""

BUMP = ("INSERT INTO register_stamps (id, version) VALUES (1, 1) "
        "ON CONFLICT (id) DO UPDATE SET version = register_stamps.version + 1")
RENAMED = (f"UPDATE register_entries SET words = {_words('title', 'NEW.name', 'NEW.short_name')} "
           "WHERE provider_id = NEW.id")
RENAMED_WHEN = "OLD.name IS NOT NEW.name OR OLD.short_name IS NOT NEW.short_name"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _split_sqlite(source: str) -> str:
    """The distinct (word, programme_id) of `source`, a query of (programme_id, x): each separator of x made a space
    (twelve a step: SQLite's parser nests some fifty calls at most), then x split at the spaces as the items of a
    JSON array (json_quote escapes what JSON must, and a space is never part of an escape)."""
    for start in range(0, len(SEPARATORS), 12):
        spaced = "x"
        for separator in SEPARATORS[start:start + 12]:
            spaced = f"replace({spaced}, {_sql_text(separator)}, ' ')"
        source = f"(SELECT programme_id, {spaced} AS x FROM {source})"
    return (f"SELECT DISTINCT split.value, s.programme_id FROM {source} AS s, "
            "json_each('[' || replace(json_quote(s.x), ' ', '\",\"') || ']') AS split WHERE split.value <> ''")


def _split_pg(words: str) -> str:
    spaces = _sql_text(" " * len(SEPARATORS))
    return (f"SELECT DISTINCT w FROM regexp_split_to_table(translate({words}, {_sql_text(SEPARATORS)}, {spaces}), ' +') "
            "AS w WHERE w <> ''")


def upgrade() -> None:
    op.add_column("register_entries", sa.Column("words", sa.Text(), nullable=True))
    op.create_table("register_words",
                    sa.Column("word", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False),
                    sa.Column("programme_id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.PrimaryKeyConstraint("word", "programme_id", name=op.f("pk_register_words")),
                    sqlite_with_rowid=False)
    op.create_index("ix_register_words_programme", "register_words", ["programme_id"])
    op.create_table("register_stamps",
                    sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("version", sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_register_stamps")))
    op.execute("INSERT INTO register_stamps (id, version) VALUES (1, 0)")
    op.execute("UPDATE register_entries SET words = (SELECT "
               + _words("register_entries.title", "i.name", "i.short_name")
               + " FROM institutions i WHERE i.id = register_entries.provider_id)")
    if op.get_bind().dialect.name == "postgresql":
        _previous()._drop_triggers(postgresql=True)
        _triggers_pg()
        op.execute(f"INSERT INTO register_words (word, programme_id) SELECT w, programme_id FROM register_entries, "
                   f"LATERAL ({_split_pg('words')}) AS split")
    else:
        _previous()._drop_triggers(postgresql=False)
        _triggers_sqlite()
        op.execute("INSERT INTO register_words (word, programme_id) "
                   + _split_sqlite("(SELECT programme_id, words AS x FROM register_entries)"))


def _triggers_sqlite() -> None:
    """The previous revision's entry triggers with the provider's words, and the words' and the stamp's."""
    _previous()._triggers_sqlite(ENTRIES)
    op.execute(f"CREATE TRIGGER register_entries_renamed AFTER UPDATE OF name, short_name ON institutions "
               f"WHEN {RENAMED_WHEN} BEGIN {RENAMED}; END")
    added = ("INSERT INTO register_words (word, programme_id) "
             + _split_sqlite("(SELECT NEW.programme_id AS programme_id, NEW.words AS x)"))
    removed = "DELETE FROM register_words WHERE programme_id = OLD.programme_id"
    op.execute(f"CREATE TRIGGER register_words_added AFTER INSERT ON register_entries BEGIN {added}; {BUMP}; END")
    op.execute(f"CREATE TRIGGER register_words_removed AFTER DELETE ON register_entries BEGIN {removed}; {BUMP}; END")
    op.execute(f"CREATE TRIGGER register_words_changed AFTER UPDATE ON register_entries "
               f"BEGIN {removed}; {added}; {BUMP}; END")


def _triggers_pg() -> None:
    """The previous revision's function with the provider's words, and one function for the words and the stamp."""
    _previous()._triggers_pg(ENTRIES)
    op.execute(f"""CREATE FUNCTION register_entries_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN {RENAMED}; RETURN NULL; END $$""")
    op.execute(f"""CREATE TRIGGER register_entries_renamed AFTER UPDATE OF name, short_name ON institutions
                   FOR EACH ROW WHEN ({RENAMED_WHEN.replace(' IS NOT ', ' IS DISTINCT FROM ')})
                   EXECUTE FUNCTION register_entries_renamed()""")
    op.execute(f"""CREATE FUNCTION register_words_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN
                     IF TG_OP <> 'INSERT' THEN
                       DELETE FROM register_words WHERE programme_id = OLD.programme_id;
                     END IF;
                     IF TG_OP <> 'DELETE' THEN
                       INSERT INTO register_words (word, programme_id) SELECT w, NEW.programme_id
                       FROM ({_split_pg('NEW.words')}) AS split;
                     END IF;
                     {BUMP};
                     RETURN NULL;
                   END $$""")
    op.execute("""CREATE TRIGGER register_words_refresh AFTER INSERT OR UPDATE OR DELETE ON register_entries
                  FOR EACH ROW EXECUTE FUNCTION register_words_refresh()""")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER register_words_refresh ON register_entries")
        op.execute("DROP FUNCTION register_words_refresh()")
        op.execute("DROP TRIGGER register_entries_renamed ON institutions")
        op.execute("DROP FUNCTION register_entries_renamed()")
    else:
        for name in ("register_words_added", "register_words_removed", "register_words_changed",
                     "register_entries_renamed"):
            op.execute(f"DROP TRIGGER {name}")
    previous = _previous()
    previous._drop_triggers(postgresql=postgresql)
    previous._triggers_pg() if postgresql else previous._triggers_sqlite()
    op.drop_table("register_stamps")
    op.drop_index("ix_register_words_programme", table_name="register_words")
    op.drop_table("register_words")
    op.drop_column("register_entries", "words")


@cache
def _previous():  # noqa: ANN202
    """The module of revision e5a7c9d1f3b2, which creates (and drops) the entry triggers this one replaces: they
    differ only in the query that fills an entry, ENTRIES here."""
    path = Path(__file__).with_name("20261124_1200_e5a7c9d1f3b2_register_entries.py")
    spec = importlib.util.spec_from_file_location("register_entries_e5a7c9d1f3b2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
