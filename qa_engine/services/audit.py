"""Appending to the audit trail and verifying it."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.domain import audit_chain
from qa_engine.domain.audit_chain import ChainBreak, ChainEntry
from qa_engine.models import AuditEntry, AuditHead, User


@dataclass(frozen=True)
class Origin:
    """Where a change came from: the request id and client address (set once per request or command)."""

    request_id: str | None = None
    ip: str | None = None


_NO_ORIGIN = Origin()  # immutable, so a shared default is safe
current_origin: ContextVar[Origin] = ContextVar("audit_origin", default=_NO_ORIGIN)  # noqa: B039


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    role: str | None = None,
    obj: tuple[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain (serialised by a lock on the head row) and flush it."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    origin = current_origin.get()
    entry = AuditEntry(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_role=role,
        action=action,
        object_type=obj[0] if obj else None,
        object_id=str(obj[1]) if obj else None,
        request_id=origin.request_id,
        ip=origin.ip,
        details=audit_chain.canonical_json(dict(details or {})),
        prev_hash=head.last_hash,
    )
    entry.hash = audit_chain.entry_hash(_chain_entry(entry, hash_=""))
    head.last_seq, head.last_hash = entry.seq, entry.hash
    session.add(entry)
    session.flush()
    return entry


def verify(session: Session, batch: int = 2000) -> ChainBreak | None:
    """The first broken entry of the whole trail, or None when it verifies."""
    head = session.get(AuditHead, 1)
    anchor = (head.last_seq, head.last_hash) if head else None
    stream = _stream(session, batch)
    try:
        return audit_chain.verify(stream, anchor)
    finally:
        stream.close()  # closes the server-side cursor when verification stops early


def count(session: Session) -> int:
    """How many entries the trail holds."""
    head = session.get(AuditHead, 1)
    return head.last_seq if head else 0


def _stream(session: Session, batch: int) -> Iterator[ChainEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    result = session.scalars(statement)
    try:
        for entry in result:
            yield _chain_entry(entry)
    finally:
        result.close()


def _chain_entry(entry: AuditEntry, hash_: str | None = None) -> ChainEntry:
    return ChainEntry(
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        request_id=entry.request_id,
        ip=entry.ip,
        details=entry.details,
        prev_hash=entry.prev_hash,
        hash=entry.hash if hash_ is None else hash_,
    )
