"""The audit hash chain: how an entry's hash is computed and how a chain is verified. Pure."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainEntry:
    """The hashed content of one audit entry."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    request_id: str | None
    ip: str | None
    details: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """Where verification failed: the first entry that is wrong, and why."""

    seq: int
    reason: str


def canonical_json(data: Mapping[str, Any]) -> str:
    """JSON with sorted keys and no spaces, so the same data always hashes the same."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(entry: ChainEntry) -> str:
    """SHA-256 over the previous hash and every recorded field of the entry."""
    content = {
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "details": entry.details,
    }
    return hashlib.sha256((entry.prev_hash + canonical_json(content)).encode()).hexdigest()


def verify(entries: Iterable[ChainEntry], head: tuple[int, str] | None = None) -> ChainBreak | None:
    """The first broken entry of a chain given in sequence order, or None when it is whole.

    `head` is the anchored (last seq, last hash): without it a chain cut short would look whole.
    """
    expected_seq, prev_hash = 1, GENESIS_HASH
    for entry in entries:
        if entry.seq != expected_seq:
            missing = expected_seq if entry.seq > expected_seq else entry.seq
            return ChainBreak(missing, f"entry {expected_seq} expected, found {entry.seq} (missing or reordered)")
        if entry.prev_hash != prev_hash:
            return ChainBreak(entry.seq, "does not link to the entry before it")
        if entry_hash(entry) != entry.hash:
            return ChainBreak(entry.seq, "content does not match its hash (altered)")
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    if head is not None and head != (expected_seq - 1, prev_hash):
        return ChainBreak(expected_seq, f"the chain ends at {expected_seq - 1} but its head says {head[0]}")
    return None
