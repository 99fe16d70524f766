"""Appending many audit entries at once: the hash chain computed in Python, rows inserted in chunks, the head
moved once at the end.

`services.audit.record` appends one entry under a lock on the head row, which is right for a request but
far too slow for loading a large history. Here the head is locked once, each entry is chained to the one
before it exactly as `record` would chain it (same `domain.audit_chain.entry_hash`), and the head is set to
the new tail in the same transaction, so `services.audit.verify` passes afterwards. The audit table only
accepts inserts (its triggers refuse UPDATE and DELETE); the head row is not covered by them.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qa_engine.domain import audit_chain
from qa_engine.domain.audit_chain import ChainEntry
from qa_engine.models import AuditEntry, AuditHead

CHUNK = 5000


class NewEntry(NamedTuple):
    """An entry to append: everything but its place in the chain (seq and hashes are given on appending)."""

    occurred_at: datetime  # timezone-aware
    actor_id: int | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    details: str  # canonical JSON (audit_chain.canonical_json)


def append_many(session: Session, entries: Iterable[NewEntry], *, chunk_size: int = CHUNK) -> int:
    """Append `entries`, in the order given, after the chain's current tail; returns how many were appended.

    The head row stays locked until the caller's transaction ends, so nothing else appends in between.
    """
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    seq, prev_hash = head.last_seq, head.last_hash
    table = AuditEntry.__table__
    for chunk in _chunks(entries, chunk_size):
        rows = []
        for occurred_at, actor_id, actor_role, action, object_type, object_id, details in chunk:
            seq += 1
            row = {"seq": seq, "occurred_at": occurred_at, "actor_id": actor_id, "actor_role": actor_role,
                   "action": action, "object_type": object_type, "object_id": object_id, "request_id": None,
                   "ip": None, "details": details, "prev_hash": prev_hash}
            prev_hash = row["hash"] = audit_chain.entry_hash(ChainEntry(hash="", **row))
            rows.append(row)
        session.execute(insert(table), rows)
    appended = seq - head.last_seq
    # Through the ORM object, so that a later audit.record in this session sees the new tail.
    head.last_seq, head.last_hash = seq, prev_hash
    session.flush()
    return appended


def _chunks(items: Iterable[NewEntry], size: int) -> Iterator[list[NewEntry]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
