"""Argon2id password hashing behind one module, so tests can use a cheap profile."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()
# Verified against when there is no account, so an unknown e-mail costs the same time as a wrong password.
_dummy_hash = _hasher.hash("not a real password")


def configure(time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Set the Argon2id parameters (RFC 9106 low-memory profile by default)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _dummy_hash = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """A new Argon2id hash of `password`."""
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no stored hash, spends the same time and says no."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(stored_hash)


def problems(password: str, *, min_length: int, personal: tuple[str, ...] = ()) -> list[str]:
    """Why `password` is not acceptable (ASVS V6.2: length, no composition rules, not personal data)."""
    found = []
    if len(password) < min_length:
        found.append(_("Use at least %(n)d characters.", n=min_length))
    if len(password) > 128:
        found.append(_("Use at most 128 characters."))
    lowered = password.casefold()
    if any(part and part.casefold() in lowered for part in personal if len(part) >= 4):
        found.append(_("Do not use your name or e-mail address in your password."))
    return found
