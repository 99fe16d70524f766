"""Words as the searches split them: the register's entries and the QA office's programme lists are found by the
beginnings of their words (migrations 20261124_1330 and 20261124_1430 write SEPARATORS out for their triggers)."""
from __future__ import annotations

import re

#: What splits words: ASCII punctuation, white space and common typographic marks.
SEPARATORS = ("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r\f\v\u00a0\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c"
              "\u201d\u00ab\u00bb\u00b7\u2026")
MAX_WORDS = 8  # of a search: more narrow nothing that a person means, and each is one more index seek
LAST = "\U0010ffff"  # sorts after every character: a prefix's words are those from it to it + LAST
_SPLIT = re.compile("[ " + re.escape(SEPARATORS) + "]+")


def words_of(text: str) -> list[str]:
    """The words of `text` (split at SEPARATORS and spaces), each once, in order."""
    return list(dict.fromkeys(word for word in _SPLIT.split(text) if word))
