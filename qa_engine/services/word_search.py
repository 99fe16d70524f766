"""A search by the beginnings of words, over a table of (word, programme_id) kept by triggers: the register's
`register_words` and the programme lists' `programme_words` (see domain.words for how words are split)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, any_, func, intersect, literal, select

from qa_engine.domain.words import LAST, MAX_WORDS, words_of
from qa_engine.models import ProgrammeWord
from qa_engine.models.register_entry import RegisterWord


def each_word_begins(search: str, words: type[RegisterWord] | type[ProgrammeWord], programme: Any, *,
                     postgresql: bool, among: ColumnElement[bool] | None = None) -> ColumnElement[bool] | None:
    """`programme` (a column of programme ids) has, for each word of `search`, a word in `words` that begins with
    it (and meets `among`, a condition on `words`' other columns); None when the search has no word (only
    punctuation). Each word is a range of the table's key (or of an index that leads with `among`'s column),
    lowered by the database's lower() as the kept words are; words are bound values, so nothing typed is syntax. On
    PostgreSQL the programmes found are an array sought by primary key: with a set instead, the planner prefers to
    read every row and hash the matches."""
    found = []
    for word in words_of(search)[:MAX_WORDS]:
        prefix = func.lower(literal(word))
        query = select(words.programme_id).where(words.word >= prefix, words.word < prefix + LAST)
        found.append(query if among is None else query.where(among))
    if not found:
        return None
    ids = found[0] if len(found) == 1 else intersect(*found)
    return programme == any_(func.array(ids.scalar_subquery())) if postgresql else programme.in_(ids)
