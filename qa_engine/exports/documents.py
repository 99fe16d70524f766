"""One programme or many as the text of an exchange format: what the command line and the register serve."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from qa_engine.exports import deqar, elm, ob3
from qa_engine.exports.records import ExportItem

FORMATS = ("ob3", "elm", "deqar")


def render(fmt: str, items: list[ExportItem], *, many: bool, as_csv: bool = False,
           issued_on: date | None = None) -> str:
    """The export text of `items` in `fmt` ("ob3", "elm" or "deqar"); `many` gives ob3 as a JSON array.

    :raises ExportError: when an item cannot be exported in that format.
    """
    if fmt == "deqar":
        return deqar.deqar_csv(items) if as_csv else deqar.deqar_json(items)
    if fmt == "elm":
        document: Any = elm.qualification_graph(items)
    else:
        credentials = [ob3.achievement_credential(item, issued_on=issued_on or item.decision.valid_from)
                       for item in items]
        document = credentials if many else credentials[0]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
