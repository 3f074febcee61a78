"""Password hashing: salted scrypt in a self-describing format, its check, the length rule.

A hash reads ``scrypt$n$r$p$salt$key``: it records its own cost, so verification always uses the
parameters stored with the hash, and the cost can be raised later without breaking old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from points.errors import CornerError

MIN_PASSWORD = 8
MAX_PASSWORD = 200
# 2**15 x 8 x 1: about 0.1 s and 32 MiB on a small PC; a guesser gets ten tries a second at most
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n, dklen=32
    )


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash that names its own parameters."""
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


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to spend on unknown names, so that they take as long as known ones."""
    return hash_password(secrets.token_hex(16))


def check_password(password: object) -> str:
    """A new password of MIN_PASSWORD to MAX_PASSWORD characters, or ``password_too_short``."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise CornerError("password_too_short", minimum=MIN_PASSWORD)
    return password
