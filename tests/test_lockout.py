"""One lock-out rule for password logins and check-in PINs, on the moved clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from points.clock import frozen
from points.errors import CornerError
from points.lockout import (
    GLOBAL_LIMIT,
    GLOBAL_WINDOW,
    LOCK_AFTER,
    LOCK_SECONDS,
    MAX_LOCK_SECONDS,
    lock_seconds,
)
from points.staff import (
    authenticate,
    authenticate_pin,
    deactivate_staff,
    set_password,
    set_pin,
    unlock_staff,
)
from tests.admin_support import PASSWORD, make_staff


def code_of(function, *args, **kwargs) -> CornerError:
    with pytest.raises(CornerError) as refused:
        function(*args, **kwargs)
    return refused.value


def login(db, username="wang", password="nope nope"):
    return code_of(authenticate, db, username=username, password=password)


def test_the_lock_grows_with_every_round_of_failures_up_to_a_day():
    assert [lock_seconds(n) for n in range(LOCK_AFTER)] == [0] * LOCK_AFTER
    assert lock_seconds(LOCK_AFTER) == LOCK_SECONDS
    assert lock_seconds(LOCK_AFTER + 1) == 0  # counted, but no new lock between rounds
    assert lock_seconds(2 * LOCK_AFTER) == 2 * LOCK_SECONDS
    assert lock_seconds(3 * LOCK_AFTER) == 4 * LOCK_SECONDS
    assert lock_seconds(10_000) == MAX_LOCK_SECONDS == 24 * 3600


def test_login_lock_out_grows_and_a_success_forgets_the_failures(db):
    make_staff(db)
    with frozen(datetime(2026, 6, 1, 9, 0)) as clock:
        assert [login(db).code for _ in range(LOCK_AFTER - 1)] == ["login_failed"] * 4
        locked = login(db, password="x")
        assert locked.code == "login_locked" and locked.details == {"seconds": LOCK_SECONDS}
        clock.advance(LOCK_SECONDS - 1)
        assert login(db, password=PASSWORD).details == {"seconds": 2}
        clock.advance(1)
        # the lock lifted; five more failures lock it again, for twice as long
        assert [login(db).code for _ in range(LOCK_AFTER)][-1] == "login_locked"
        clock.advance(2 * LOCK_SECONDS - 1)
        assert login(db, password=PASSWORD).code == "login_locked"
        clock.advance(1)
        assert authenticate(db, username="wang", password=PASSWORD).username == "wang"
        # success forgot the failures: four more are not a lock
        assert {login(db).code for _ in range(LOCK_AFTER - 1)} == {"login_failed"}


def test_unknown_names_and_inactive_accounts_are_refused_and_locked_alike(db):
    make_staff(db, "zhao")
    make_staff(db, "qian")  # the last active admin cannot be deactivated
    deactivate_staff(db, username="zhao", actor="test")
    with frozen(datetime(2026, 6, 1, 9, 0)):
        assert login(db, "zhao", PASSWORD).code == "login_failed"
        codes = [login(db, "nobody", PASSWORD).code for _ in range(LOCK_AFTER)]
        assert codes == ["login_failed"] * (LOCK_AFTER - 1) + ["login_locked"]


def test_a_new_password_lifts_the_lock(db):
    make_staff(db)
    with frozen(datetime(2026, 6, 1, 9, 0)):
        for _ in range(LOCK_AFTER):
            login(db)
        assert login(db, password=PASSWORD).code == "login_locked"
        set_password(db, username="wang", password="another password", actor="admin")
        assert authenticate(db, username="wang", password="another password").username == "wang"


def test_pins_lock_by_the_same_rule_per_device(db):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="li")

    def pin(value, device="kiosk:hall"):
        return code_of(authenticate_pin, db, pin=value, device=device)

    with frozen(datetime(2026, 6, 1, 9, 0)) as clock:
        assert [pin("000000").code for _ in range(LOCK_AFTER)][-1] == "pin_locked"
        assert pin("not digits", device="kiosk:hall").details == {"seconds": LOCK_SECONDS + 1}
        clock.advance(LOCK_SECONDS)
        assert [pin("000000").code for _ in range(LOCK_AFTER)] == ["pin_wrong"] * 4 + ["pin_locked"]
        assert pin("246810").details == {"seconds": 2 * LOCK_SECONDS + 1}
        assert authenticate_pin(db, pin="246810", device="kiosk:door").username == "li"


# -- per account and client address, and the slower count from everywhere -------------------------


def at(db, address, password="nope nope", username="wang"):
    return code_of(authenticate, db, username=username, password=password, address=address)


def test_a_guesser_locks_only_their_own_address_out(db):
    make_staff(db)
    with frozen(datetime(2026, 6, 1, 9, 0)):
        codes = [at(db, "203.0.113.9").code for _ in range(LOCK_AFTER)]
        assert codes == ["login_failed"] * (LOCK_AFTER - 1) + ["login_locked"]
        assert at(db, "203.0.113.9", PASSWORD).code == "login_locked"
        # the real admin, at the office's address, logs in all the same
        staff = authenticate(db, username="wang", password=PASSWORD, address="192.168.1.10")
        assert staff.username == "wang"
        # and the guesser's address is still locked (a success elsewhere forgets nothing there)
        assert at(db, "203.0.113.9", PASSWORD).code == "login_locked"


def test_the_slower_count_from_everywhere_locks_the_account_for_everyone(db):
    make_staff(db)
    make_staff(db, "zhao")
    with frozen(datetime(2026, 6, 1, 9, 0)) as clock:
        # a guesser spread over many addresses: four tries from each, never a lock per address
        addresses = [f"198.51.100.{n}" for n in range(GLOBAL_LIMIT // (LOCK_AFTER - 1) + 1)]
        codes = [at(db, address).code for address in addresses for _ in range(LOCK_AFTER - 1)]
        assert codes[: GLOBAL_LIMIT - 1] == ["login_failed"] * (GLOBAL_LIMIT - 1)
        assert codes[GLOBAL_LIMIT - 1] == "login_locked"  # the fiftieth failure
        # everyone is refused now, from anywhere, with the right password too
        refused = at(db, "192.168.1.10", PASSWORD)
        assert refused.code == "login_locked" and refused.details == {"seconds": LOCK_SECONDS + 1}
        # other accounts are not touched
        assert authenticate(db, username="zhao", password=PASSWORD, address="x").username == "zhao"
        clock.advance(LOCK_SECONDS)
        assert authenticate(db, username="wang", password=PASSWORD, address="192.168.1.10")
        # fifty more within the hour: locked again, for twice as long
        for n in range(GLOBAL_LIMIT):
            last = at(db, f"198.51.100.{n % 13}-{n // 13}")
        assert last.code == "login_locked" and last.details == {"seconds": 2 * LOCK_SECONDS}
        # an admin unlocks it at once
        unlock_staff(db, username="wang", actor="zhao")
        assert authenticate(db, username="wang", password=PASSWORD, address="192.168.1.10")


def test_failures_spread_over_more_than_an_hour_lock_nobody(db):
    make_staff(db)
    with frozen(datetime(2026, 6, 1, 9, 0)) as clock:
        for n in range(3 * GLOBAL_LIMIT):
            assert at(db, f"198.51.100.{n}").code == "login_failed"
            clock.advance(2 * GLOBAL_WINDOW / GLOBAL_LIMIT)  # 25 an hour
        assert authenticate(db, username="wang", password=PASSWORD, address="a").username == "wang"


def test_pins_lock_per_device_and_address_and_slowly_over_every_device(db):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="li")

    def pin(value, device="kiosk:hall", address="127.0.0.1"):
        return code_of(authenticate_pin, db, pin=value, device=device, address=address)

    with frozen(datetime(2026, 6, 1, 9, 0)):
        assert [pin("000000").code for _ in range(LOCK_AFTER)][-1] == "pin_locked"
        assert pin("246810").code == "pin_locked"
        # the same kiosk from another address (a browser bound as that kiosk) is not locked
        assert authenticate_pin(db, pin="246810", device="kiosk:hall", address="192.168.1.7")
        failures = LOCK_AFTER
        for n in range(GLOBAL_LIMIT):
            outcome = pin(f"{n:06d}", device=f"kiosk:{n % 7}", address=f"10.0.0.{n // 4}")
            failures += 1
            if failures == GLOBAL_LIMIT:
                assert outcome.code == "pin_locked"
                break
        # every kiosk is locked now, the right PIN too, until someone unlocks
        assert pin("246810", device="kiosk:door", address="10.9.9.9").code == "pin_locked"
        unlock_staff(db, username="li", actor="wang")
        assert authenticate_pin(db, pin="246810", device="kiosk:door", address="10.9.9.9")
