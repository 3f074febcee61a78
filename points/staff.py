"""Staff accounts: names, roles, passwords and check-in PINs, and logging in with either.

Passwords are hashed by ``points.passwords``; failed logins and PINs lock out by the one rule in
``points.lockout``. Failures are counted for unknown names too, and an unknown name costs a
hash as well, so neither the answer nor its timing says whether a name exists.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from points.audit import record
from points.clock import timestamp
from points.db import Store, transaction
from points.errors import CornerError
from points.lockout import LOGINS, PINS, attempt, clear_failures
from points.logins import PIN, end_account_logins
from points.passwords import check_password, dummy_hash, hash_password, verify_password

ROLES = ("admin", "organiser")
MAX_USERNAME = 40
USERNAME_PATTERN = rf"[a-z0-9][a-z0-9._-]{{0,{MAX_USERNAME - 1}}}"
_USERNAME = re.compile(USERNAME_PATTERN)
MAX_DEVICE = 80  # the device a PIN is typed on, as its failures are counted


@dataclass(frozen=True)
class Staff:
    username: str
    role: str
    active: bool
    created: str
    # a digest of the password hash: a login session remembers it and ends when it changes
    password_stamp: str = ""
    # the same for the check-in PIN ("" when there is none): a PIN login ends when it changes
    pin_stamp: str = ""


def normalise_username(username: object) -> str:
    """User names are 1-40 lower-case letters, digits, dots, dashes and underscores."""
    text = str(username or "").strip().lower()
    if not _USERNAME.fullmatch(text):
        raise CornerError("invalid_request", field="username")
    return text


def _stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


_STAFF_SQL = "SELECT username, role, active, created, password_hash, pin_digest FROM staff"


def _staff(row) -> Staff:
    pin_stamp = _stamp(row[5]) if row[5] else ""
    return Staff(row[0], row[1], bool(row[2]), row[3], _stamp(row[4]), pin_stamp)


def get_staff(db: Store, username: str) -> Staff | None:
    """The staff account of this name (active or not), or None."""
    row = db.execute(_STAFF_SQL + " WHERE username = ?", [username]).fetchone()
    return _staff(row) if row else None


def list_staff(db: Store) -> list[Staff]:
    """Every staff account, by name."""
    return [_staff(row) for row in db.execute(_STAFF_SQL + " ORDER BY username")]


def has_active_admin(db: Store) -> bool:
    """Is there at least one active admin account?"""
    return bool(db.execute("SELECT 1 FROM staff WHERE role = 'admin' AND active = 1").fetchone())


def add_staff(db: Store, *, username: str, password: str, role: str, actor: str) -> Staff:
    """Create a staff account. No request id: the name is the natural key, and a repeat is
    refused as ``staff_exists`` (a remembered outcome must never hold a password's hash)."""
    username = normalise_username(username)
    if role not in ROLES:
        raise CornerError("invalid_request", field="role")
    password_hash = hash_password(check_password(password))  # outside the write: it is slow
    with transaction(db):
        if get_staff(db, username) is not None:
            raise CornerError("staff_exists", username=username)
        db.execute(
            "INSERT INTO staff (username, password_hash, role, created) VALUES (?, ?, ?, ?)",
            [username, password_hash, role, timestamp()],
        )
        staff = get_staff(db, username)
        after = {"username": username, "role": role, "active": True}
        record(db, actor=actor, action="add_staff", target=f"staff:{username}", after=after)
    return staff


def set_password(
    db: Store, *, username: str, password: str, actor: str, keep_login: str | None = None
) -> Staff:
    """Give an account a new password; its open logins end, and any lock lifts.

    ``keep_login`` is the token of the login that made the change, when it is the account's
    own: that one stays open (whoever changes their password is still at their desk).
    """
    username = normalise_username(username)
    password_hash = hash_password(check_password(password))
    with transaction(db):
        if get_staff(db, username) is None:
            raise CornerError("staff_unknown", username=username)
        db.execute(
            "UPDATE staff SET password_hash = ? WHERE username = ?", [password_hash, username]
        )
        clear_failures(db, guard=LOGINS, key=username)
        end_account_logins(db, username=username, reason="password", keep=keep_login)
        record(db, actor=actor, action="set_password", target=f"staff:{username}")
        return get_staff(db, username)


def _keep_an_admin(db: Store, staff: Staff) -> None:
    """Refuse to take the last active admin away (``staff_last_admin``); inside the write, so
    two admins cannot remove each other at the same moment."""
    if staff.role == "admin" and staff.active:
        others = db.execute(
            "SELECT count(*) FROM staff WHERE role = 'admin' AND active = 1 AND username <> ?",
            [staff.username],
        ).fetchone()[0]
        if not others:
            raise CornerError("staff_last_admin", username=staff.username)


def _set_active(db: Store, *, username: str, active: bool, actor: str) -> Staff:
    username = normalise_username(username)
    # the browser's actor is the login name: an admin who locked themselves out could not undo it
    if not active and username == actor:
        raise CornerError("staff_self", username=username)
    with transaction(db):
        staff = get_staff(db, username)
        if staff is None:
            raise CornerError("staff_unknown", username=username)
        if not active:
            _keep_an_admin(db, staff)
        db.execute("UPDATE staff SET active = ? WHERE username = ?", [int(active), username])
        if not active:
            end_account_logins(db, username=username, reason="deactivated")
        record(
            db,
            actor=actor,
            action="reactivate_staff" if active else "deactivate_staff",
            target=f"staff:{username}",
            before={"active": staff.active},
            after={"active": active},
        )
        return get_staff(db, username)


def deactivate_staff(db: Store, *, username: str, actor: str) -> Staff:
    """Stop an account from logging in; every open login of it ends at once.

    Nobody deactivates their own account (``staff_self``), and the last active admin stays
    (``staff_last_admin``): without one, nobody could run the admin pages.
    """
    return _set_active(db, username=username, active=False, actor=actor)


def reactivate_staff(db: Store, *, username: str, actor: str) -> Staff:
    """Let a deactivated account log in again (with the password it had)."""
    return _set_active(db, username=username, active=True, actor=actor)


def set_role(db: Store, *, username: str, role: str, actor: str) -> Staff:
    """Make an account an admin or an organiser; every open login of it ends at once.

    A login's rights are the role it was opened with in the user's mind: whoever was demoted
    logs in again and sees what they may do now. The last active admin stays one
    (``staff_last_admin``). The same role again changes nothing and ends nothing.
    """
    username = normalise_username(username)
    if role not in ROLES:
        raise CornerError("invalid_request", field="role")
    with transaction(db):
        staff = get_staff(db, username)
        if staff is None:
            raise CornerError("staff_unknown", username=username)
        if staff.role == role:
            return staff
        _keep_an_admin(db, staff)
        db.execute("UPDATE staff SET role = ? WHERE username = ?", [role, username])
        end_account_logins(db, username=username, reason="role")
        record(
            db,
            actor=actor,
            action="set_role",
            target=f"staff:{username}",
            before={"role": staff.role},
            after={"role": role},
        )
        return get_staff(db, username)


def unlock_staff(db: Store, *, username: str, actor: str) -> Staff:
    """Lift an account's lock-outs at once, from every address (the real admin, locked out).

    PIN lock-outs name no account (they are per kiosk), so they are all lifted too: whoever is
    unlocked may well be about to type their PIN.
    """
    username = normalise_username(username)
    with transaction(db):
        staff = get_staff(db, username)
        if staff is None:
            raise CornerError("staff_unknown", username=username)
        clear_failures(db, guard=LOGINS, key=username)
        clear_failures(db, guard=PINS, key=username)
        record(db, actor=actor, action="unlock_staff", target=f"staff:{username}")
        return staff


def authenticate(
    db: Store, *, username: object, password: object, address: str | None = None
) -> Staff:
    """The active account these credentials open, or ``login_failed`` / ``login_locked``.

    Failures count per (name, client ``address``) and, more slowly, per name from everywhere
    (``points.lockout``).
    """
    name = str(username or "").strip().lower()[:MAX_USERNAME]
    given = password if isinstance(password, str) else ""

    def check() -> Staff | None:
        found = db.execute(_STAFF_SQL + " WHERE username = ?", [name]).fetchone()
        right = verify_password(given, found[4] if found else dummy_hash())
        if not (found and right and found[2]):
            return None
        record(db, actor=name, action="login", target=f"staff:{name}")
        return _staff(found)

    return attempt(db, guard=LOGINS, key=name, address=address, check=check)


# ---- check-in PINs -----------------------------------------------------------------------------
# A PIN opens the check-in page at a kiosk (a touchscreen has digits, not a keyboard) and nothing
# else. It names its staff member by itself, so it is stored as a keyed digest that can be
# looked up (migration 006 says why that is no weaker than a slow hash for six digits).

PIN_LENGTH = 6
_PIN = re.compile(rf"[0-9]{{{PIN_LENGTH}}}")


def _pin_digest(db: Store, pin: str) -> str:
    key = db.execute("SELECT key FROM instance_keys WHERE name = 'pin'").fetchone()[0]
    return hmac.new(key, pin.encode(), hashlib.sha256).hexdigest()


def set_pin(db: Store, *, username: str, pin: str | None, actor: str) -> Staff:
    """Give a staff member a check-in PIN of six digits, or take it away (``pin=None``).

    A PIN already held by someone else is refused as ``pin_taken`` without saying whose.
    Setting or clearing it ends the check-in pages opened with the old one.
    """
    username = normalise_username(username)
    if pin is not None and (not isinstance(pin, str) or not _PIN.fullmatch(pin)):
        raise CornerError("invalid_request", field="pin")
    with transaction(db):
        staff = get_staff(db, username)
        if staff is None:
            raise CornerError("staff_unknown", username=username)
        digest = None if pin is None else _pin_digest(db, pin)
        if (
            digest is not None
            and db.execute(
                "SELECT 1 FROM staff WHERE pin_digest = ? AND username <> ?", [digest, username]
            ).fetchone()
        ):
            raise CornerError("pin_taken")
        db.execute("UPDATE staff SET pin_digest = ? WHERE username = ?", [digest, username])
        end_account_logins(db, username=username, reason="pin", kind=PIN)
        record(
            db,
            actor=actor,
            action="set_pin" if pin is not None else "clear_pin",
            target=f"staff:{username}",
        )
        return get_staff(db, username)


def authenticate_pin(db: Store, *, pin: object, device: str, address: str | None = None) -> Staff:
    """The active staff member whose PIN this is, or ``pin_wrong`` / ``pin_locked``.

    Failures are counted per device (a kiosk) and client address, since a PIN names no account:
    five wrong PINs lock that pair for five minutes, doubling like a login's lock-out; and more
    slowly over every device and address at once (``points.lockout``).
    """
    device = str(device or "?")[:MAX_DEVICE]
    given = pin if isinstance(pin, str) and _PIN.fullmatch(pin) else None

    def check() -> Staff | None:
        if given is None:
            return None
        found = db.execute(
            _STAFF_SQL + " WHERE pin_digest = ? AND active = 1", [_pin_digest(db, given)]
        ).fetchone()
        if found is None:
            return None
        record(db, actor=found[0], action="pin_login", target=f"device:{device}")
        return _staff(found)

    return attempt(db, guard=PINS, key=device, address=address, check=check)
