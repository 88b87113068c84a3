"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Demo data hashes many accounts, so its hasher is cheaper; both are Argon2id.
_HASHER = PasswordHasher()
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def hash_password(password: str, *, fast: bool = False) -> str:
    """An Argon2id hash of `password` to store."""
    return (_FAST_HASHER if fast else _HASHER).hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches `stored_hash`; never raises for a wrong password."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Argon2Passwords:
    """The PasswordVerifier port with Argon2id."""

    def __init__(self) -> None:
        self._dummy: str | None = None

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None:
            # Spend the same effort as a real check so an unknown account cannot be timed.
            if self._dummy is None:
                self._dummy = hash_password("no account has this password")
            verify_password(self._dummy, password)
            return False
        return verify_password(stored_hash, password)
