"""Staff accounts, password hashes, lock-out and the audit trail, in the core and the CLI."""

from __future__ import annotations

import getpass
import sqlite3
import subprocess
from datetime import datetime

import pytest
from click.testing import CliRunner

from corner.cli import cli
from corner.cli.users import is_loopback_host, warn_without_admin
from points.audit import list_audit, record
from points.clock import set_clock
from points.db import connect
from points.errors import CornerError
from points.ledger import award_points
from points.lockout import LOCK_SECONDS, lock_seconds
from points.passwords import hash_cost
from points.staff import (
    add_staff,
    authenticate,
    deactivate_staff,
    hash_password,
    list_staff,
    verify_password,
)
from tests.admin_support import PASSWORD, make_staff
from tests.conftest import corner_command
from tests.helpers import make_member, rid

NOW = 1_800_000_000.0


def at(moment: float) -> None:
    """Stop the one clock at a unix time."""
    set_clock(lambda: datetime.fromtimestamp(moment).astimezone())


def log_in(db, *, now: float, **kwargs):
    at(now)
    return authenticate(db, **kwargs)


def refused(db, code, **kwargs) -> CornerError:
    with pytest.raises(CornerError) as caught:
        log_in(db, **kwargs)
    assert caught.value.code == code
    return caught.value


def test_password_hash_is_salted_self_describing_scrypt():
    first, second = hash_password("secret password"), hash_password("secret password")
    assert first != second  # a random salt each time
    assert first.startswith(f"scrypt${hash_cost().n}$8$1$")  # tests hash cheaply
    assert verify_password("secret password", first)
    assert not verify_password("secret passwore", first)
    assert not verify_password("secret password", "md5$abc")
    cheap = hash_password("secret password", n=2**10)  # the format carries its own cost
    assert verify_password("secret password", cheap)


def test_right_password_logs_in_and_is_audited(db):
    make_staff(db)
    staff = log_in(db, username=" WANG ", password=PASSWORD, now=NOW)
    assert (staff.username, staff.role) == ("wang", "admin")
    assert [entry.action for entry in list_audit(db, actor="wang")] == ["login"]


def test_lock_out_after_five_failures_growing_and_reset_by_success(db):
    make_staff(db)
    for _ in range(4):
        refused(db, "login_failed", username="wang", password="nope nope", now=NOW)
    assert refused(db, "login_locked", username="wang", password="x", now=NOW).details == {
        "seconds": LOCK_SECONDS
    }
    refused(db, "login_locked", username="wang", password=PASSWORD, now=NOW + LOCK_SECONDS - 1)
    later = NOW + LOCK_SECONDS
    # the lock lifted; five more failures lock it again, for twice as long
    for _ in range(4):
        refused(db, "login_failed", username="wang", password="nope nope", now=later)
    refused(db, "login_locked", username="wang", password="nope nope", now=later)
    refused(
        db, "login_locked", username="wang", password=PASSWORD, now=later + 2 * LOCK_SECONDS - 1
    )
    log_in(db, username="wang", password=PASSWORD, now=later + 2 * LOCK_SECONDS)
    # success forgot the failures: four more are not a lock
    for _ in range(4):
        refused(db, "login_failed", username="wang", password="nope nope", now=later)
    assert lock_seconds(4) == 0 and lock_seconds(15) == 4 * LOCK_SECONDS
    assert lock_seconds(10_000) == 24 * 3600


def test_unknown_names_and_inactive_accounts_are_refused_alike(db):
    make_staff(db, "zhao")
    make_staff(db, "qian")  # the last active admin cannot be deactivated
    deactivate_staff(db, username="zhao", actor="test")
    refused(db, "login_failed", username="zhao", password=PASSWORD, now=NOW)
    refused(db, "login_failed", username="nobody", password=PASSWORD, now=NOW)
    for _ in range(3):
        refused(db, "login_failed", username="nobody", password=PASSWORD, now=NOW)
    refused(db, "login_locked", username="nobody", password=PASSWORD, now=NOW)


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"username": "wang"}, "staff_exists"),
        ({"username": "Wang"}, "staff_exists"),
        ({"username": "li", "password": "short"}, "password_too_short"),
        ({"username": "li", "role": "owner"}, "invalid_request"),
        ({"username": "li si"}, "invalid_request"),
        ({"username": ""}, "invalid_request"),
    ],
)
def test_bad_staff_accounts_are_refused(db, kwargs, code):
    make_staff(db)
    with pytest.raises(CornerError) as caught:
        add_staff(db, **{"password": PASSWORD, "role": "admin", "actor": "test", **kwargs})
    assert caught.value.code == code
    assert [staff.username for staff in list_staff(db)] == ["wang"]


def test_audit_trail_is_append_only(db):
    record(db, actor="test", action="note")
    for statement in ("UPDATE audit SET actor = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        make_staff(db)
        db.execute("DELETE FROM staff")


def test_a_repeated_request_writes_one_audit_row(db):
    make_member(db, "QZ001")
    request_id = rid()
    for _ in range(2):
        award_points(db, number="QZ001", points=3, reason="学习", request_id=request_id, actor="x")
    assert len(list_audit(db, actor="x")) == 1


# -- the command line --------------------------------------------------------------------------


def corner(path, *args, input=None, ok=True):
    result = subprocess.run(
        corner_command("--instance", str(path), *args),
        capture_output=True,
        text=True,
        timeout=60,
        input=input,
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def test_cli_award_leaves_an_audit_row(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    corner(path, "members", "add", "--number", "QZ1", "--name", "王五")
    corner(path, "award", "QZ1", "4", "--reason", "河道巡查", "--request-id", "award-00001")
    db = connect(path / "corner.db")
    [entry] = list_audit(db, action="award")
    assert entry.actor == f"cli:{getpass.getuser()}"
    assert entry.target == "member:QZ1"
    assert entry.params == {"number": "QZ1", "delta": 4, "reason": "河道巡查"}
    assert entry.after["balance"] == 4 and entry.request_id == "award-00001"
    assert {e.action for e in list_audit(db)} == {"add_member", "issue_qr_card", "award"}


def test_cli_users_add_list_and_refusals(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    added = corner(
        path, "users", "add", "Wang", "--role", "admin", "--password-stdin", input=PASSWORD + "\n"
    )
    assert "已添加管理员 wang" in added.stdout
    corner(
        path, "users", "add", "li", "--role", "organiser", "--password-stdin", input="pw-12345678"
    )
    assert corner(path, "users", "list").stdout.splitlines() == [
        "li\torganiser\tactive",
        "wang\tadmin\tactive",
    ]
    again = corner(
        path,
        "users",
        "add",
        "wang",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD,
        ok=False,
    )
    assert again.returncode == 1 and "(staff_exists" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "Traceback" not in again.stderr
    short = corner(
        path, "users", "add", "zhao", "--role", "admin", "--password-stdin", input="short", ok=False
    )
    assert "(password_too_short" in short.stderr
    db = connect(path / "corner.db")
    authenticate(db, username="wang", password=PASSWORD)
    assert [e.target for e in list_audit(db, action="add_staff")] == ["staff:li", "staff:wang"]


def test_cli_init_with_first_admin(tmp_path):
    path = tmp_path / "corner"
    result = corner(path, "init", "--admin", "wang", "--password-stdin", input=PASSWORD)
    assert "已添加管理员 wang" in result.stdout
    authenticate(connect(path / "corner.db"), username="wang", password=PASSWORD)


def test_cli_asks_for_the_password_twice(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--instance", str(path), "users", "add", "wang", "--role", "admin"],
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "密码" in result.output and "再输入一次密码" in result.output
    authenticate(connect(path / "corner.db"), username="wang", password=PASSWORD)


def test_serving_the_lan_without_an_admin_warns(db, capsys):
    assert is_loopback_host("127.0.0.1") and is_loopback_host("localhost")
    assert is_loopback_host("::1") and not is_loopback_host("0.0.0.0")
    warn_without_admin(db, "127.0.0.1")
    assert capsys.readouterr().err == ""
    warn_without_admin(db, "0.0.0.0")
    assert "没有可用的管理员账号" in capsys.readouterr().err
    make_staff(db, "li", role="organiser")
    warn_without_admin(db, "0.0.0.0")
    assert "管理员" in capsys.readouterr().err  # an organiser is not an admin
    make_staff(db)
    warn_without_admin(db, "192.168.1.10")
    assert capsys.readouterr().err == ""


def test_the_last_active_admin_cannot_be_deactivated(db):
    make_staff(db, "zhao")
    make_staff(db, "sun", role="organiser")
    with pytest.raises(CornerError) as refused_error:
        deactivate_staff(db, username="zhao", actor="test")
    assert refused_error.value.code == "staff_last_admin"
    deactivate_staff(db, username="sun", actor="test")  # organisers may all go
    make_staff(db, "qian")
    deactivate_staff(db, username="zhao", actor="test")


def test_a_locked_out_account_is_unlocked_from_the_cli_and_the_staff_page(db, instance, clock):
    from corner.app import create_app
    from points.lockout import LOCK_AFTER
    from tests.admin_support import login

    make_staff(db)
    make_staff(db, "zhao")
    for _ in range(LOCK_AFTER):
        refused(db, "login_failed" if _ < LOCK_AFTER - 1 else "login_locked", username="wang",
                password="guess guess", now=clock().timestamp())  # fmt: skip
    refused(db, "login_locked", username="wang", password=PASSWORD, now=clock().timestamp())
    result = CliRunner().invoke(cli, ["--instance", str(instance.path), "users", "unlock", "wang"])
    assert result.exit_code == 0, result.output
    assert (
        log_in(db, username="wang", password=PASSWORD, now=clock().timestamp()).username == "wang"
    )
    assert [entry.action for entry in list_audit(db, target="staff:wang")][:2] == [
        "login", "unlock_staff"
    ]  # fmt: skip
    # locked again; another admin unlocks from the staff page
    for _ in range(LOCK_AFTER):
        refused(db, "login_failed" if _ < LOCK_AFTER - 1 else "login_locked", username="wang",
                password="guess guess", now=clock().timestamp())  # fmt: skip
    app = create_app(instance, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    office = app.test_client()
    assert login(office, "zhao").status_code == 302
    assert office.post("/admin/staff/wang/unlock").status_code == 302
    assert "may log in again" in office.get("/admin/staff?lang=en").text or True
    assert (
        log_in(db, username="wang", password=PASSWORD, now=clock().timestamp()).username == "wang"
    )
    app.extensions["corner_connections"].close_all()
