"""Password hashing: salted scrypt in a self-describing format, its check, the length rule.

A hash reads ``scrypt$n$r$p$salt$key``: it records its own cost, so verification always uses the
parameters stored with the hash, and the cost can be raised later without breaking old hashes.

New hashes are made at ``PRODUCTION_COST``. A test suite may lower that for its own process with
``set_hash_cost(TEST_COST)`` (tests/conftest.py does); nothing else calls it and no setting or
environment variable reaches it, so a server or the CLI never hashes at the test cost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

from points.errors import CornerError

MIN_PASSWORD = 8
MAX_PASSWORD = 200


@dataclass(frozen=True)
class ScryptCost:
    n: int  # CPU and memory cost, a power of two
    r: int  # block size
    p: int  # parallelism


# 2**15 x 8 x 1: about 0.1 s and 32 MiB on a small PC; a guesser gets ten tries a second at most
PRODUCTION_COST = ScryptCost(n=2**15, r=8, p=1)
# for test suites only: a hash in microseconds, so a test that makes staff does not wait
TEST_COST = ScryptCost(n=2**4, r=8, p=1)

_cost = PRODUCTION_COST


def hash_cost() -> ScryptCost:
    """The cost new hashes are made at in this process."""
    return _cost


def set_hash_cost(cost: ScryptCost | None) -> None:
    """For test suites: make new hashes at ``cost`` in this process (None: the production cost).

    Hashes already stored keep verifying at the cost they record.
    """
    global _cost
    _cost = PRODUCTION_COST if cost is None else cost


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n, dklen=32
    )


def hash_password(
    password: str, *, n: int | None = None, r: int | None = None, p: int | None = None
) -> str:
    """A salted scrypt hash that names its own parameters (by default at ``hash_cost()``)."""
    cost = hash_cost()
    n, r, p = n or cost.n, r or cost.r, p or cost.p
    salt = secrets.token_bytes(16)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def verify_password(password: str, stored: str) -> bool:
    """Does the password match the stored hash, at the hash's own cost? (constant-time)"""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        given = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(given, base64.b64decode(key))
    except ValueError:  # not six fields, not numbers, not base64, or parameters scrypt refuses
        return False


def dummy_hash() -> str:
    """A hash to spend on unknown names, so that they take as long as known ones."""
    return _dummy_hash(hash_cost())


@lru_cache(maxsize=4)
def _dummy_hash(cost: ScryptCost) -> str:
    return hash_password(secrets.token_hex(16), n=cost.n, r=cost.r, p=cost.p)


def check_password(password: object) -> str:
    """A new password of MIN_PASSWORD to MAX_PASSWORD characters, or ``password_too_short``."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise CornerError("password_too_short", minimum=MIN_PASSWORD)
    return password
