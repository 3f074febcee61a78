"""``corner activities`` and ``corner users pin``, run as real processes (one with CliRunner)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from corner.cli import cli
from points.activities import get_activity
from points.audit import list_audit
from points.checkins import check_in, check_out
from points.db import connect
from points.errors import CornerError
from points.staff import authenticate_pin, get_staff
from tests.admin_support import PASSWORD
from tests.test_admin_staff import corner
from tests.test_cli import assert_one_line_error

PIN = "135790"


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init", "--admin", "wang", "--password-stdin", input=PASSWORD)
    corner(path, "members", "add", "--number", "QZ1", "--name", "王五")
    corner(path, "members", "add", "--number", "QZ2", "--name", "赵六")
    return path


def in_english(path):
    config = path / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('language = "zh_CN"', 'language = "en"'), encoding="utf-8")


def add_study(path, *extra):
    return corner(
        path,
        "activities",
        "add",
        "--title",
        "四月理论学习",
        "--category",
        "理论学习",
        "--starts",
        "2025-04-12T09:30",
        "--place",
        "社区活动室",
        *extra,
    )


def scan(db, number, request_id, action=check_in, activity_id=1):
    return action(
        db,
        activity_id=activity_id,
        member_number=number,
        method="qr",
        operator="li",
        request_id=request_id,
        device="kiosk:local",
    )


def test_add_list_open_and_close_activities(path):
    added = add_study(path, "--capacity", "20", "--request-id", "cli-activity-0001")
    assert (
        "1" in added.stdout
        and "四月理论学习" in added.stdout
        and "2025-04-12 09:30" in added.stdout
    )
    add_study(path, "--capacity", "20", "--request-id", "cli-activity-0001")  # acts once
    corner(
        path,
        "activities",
        "add",
        "--title",
        "河道巡查",
        "--category",
        "5",  # a category by its id: 河道巡查
        "--starts",
        "2025-05-01 08:00",
        "--points",
        "5",
        "--award-mode",
        "on_close",
    )
    assert corner(path, "activities", "list").stdout.splitlines() == [
        "2\t2025-05-01 08:00\tplanned\t河道巡查\t河道巡查\t5\t0",
        "1\t2025-04-12 09:30\tplanned\t四月理论学习\t理论学习\t4\t0/20",
    ]
    opened = corner(path, "activities", "open", "2")
    assert "河道巡查" in opened.stdout
    assert corner(path, "activities", "list", "--status", "open").stdout.startswith("2\t")
    assert corner(path, "activities", "list", "--status", "closed").stdout == ""
    db = connect(path / "corner.db")
    assert scan(db, "QZ1", "scan-0001", activity_id=2).accepted
    closed = corner(path, "activities", "close", "2")
    assert "河道巡查" in closed.stdout and "1" in closed.stdout.splitlines()[1]  # one pending
    activity = get_activity(db, 2)
    assert (activity.status, activity.pending, activity.award_mode) == ("closed", 1, "on_close")
    assert {entry.action for entry in list_audit(db) if entry.target == "activity:2"} >= {
        "create_activity",
        "open_activity",
        "close_activity",
    }
    db.close()


def test_show_counts_pending_and_the_latest_scans_in_chinese(path):
    add_study(path, "--award-mode", "on_close", "--capacity", "20")
    corner(path, "activities", "open", "1")
    db = connect(path / "corner.db")
    scan(db, "QZ1", "scan-0001")
    scan(db, "QZ1", "scan-0001")  # a resend: counted once
    scan(db, "QZ1", "scan-0002")  # a second check-in: refused
    scan(db, "QZ2", "scan-0003")
    scan(db, "QZ2", "scan-0004", action=check_out)
    shown = corner(path, "activities", "show", "1").stdout.splitlines()
    assert "四月理论学习" in shown[0]
    assert any("2025-04-12 09:30" in line for line in shown)
    assert "签到中" in shown[5]  # the status, in the admin pages' words
    # checked in (of the capacity), checked out, waiting for approval
    assert [re.findall(r"\d+", line) for line in shown[6:9]] == [["2", "20"], ["1"], ["2"]]
    assert "  王五 QZ1" in shown and "  赵六 QZ2" in shown  # both wait for approval
    scans = [line for line in shown if line.startswith("  20")]
    assert len(scans) == 5 and scans[0].endswith("li") and "赵六 QZ2" in scans[0]
    assert "已经签到过了" in scans[2]  # a refusal, in plain words
    assert "二维码卡" in scans[-1]
    last_two = corner(path, "activities", "show", "1", "--last", "2").stdout
    assert last_two.count("\n  20") == 2
    db.close()


def test_show_in_english_says_what_every_scan_came_to(path):
    in_english(path)
    add_study(path, "--capacity", "20")
    corner(path, "activities", "open", "1")
    db = connect(path / "corner.db")
    scan(db, "QZ1", "scan-0001")
    scan(db, "QZ1", "scan-0001")
    scan(db, "QZ1", "scan-0002")
    scan(db, "QZ1", "scan-0003", action=check_out)
    scan(db, "QZ2", "scan-0004", action=check_out)
    shown = corner(path, "activities", "show", "1").stdout
    lines = shown.splitlines()
    assert lines[:7] == [
        "Activity 1: 四月理论学习",
        "Category: 理论学习, 4 points",
        "Time: 2025-04-12 09:30",
        "Place: 社区活动室",
        "Award points: On check-in",
        "Status: Check-in open",
        "Checked in: 1 of 20",
    ]
    assert "Checked out: 1" in lines and "Waiting for approval: 0" in lines
    scans = [line.split("  ")[2:] for line in lines if line.startswith("  20")]
    assert scans == [
        [
            "赵六 QZ2",
            "Check-out",
            "QR card",
            "This member has not checked in, so cannot check out.",
            "li",
        ],
        ["王五 QZ1", "Check-out", "QR card", "Checked out", "li"],
        ["王五 QZ1", "Check-in", "QR card", "Already checked in for this activity.", "li"],
        ["王五 QZ1", "Check-in", "QR card", "Checked in (Sent again: counted once)", "li"],
        ["王五 QZ1", "Check-in", "QR card", "Checked in", "li"],
    ]
    db.close()


@pytest.mark.parametrize(
    "args, code",
    [
        (["activities", "open", "99"], "activity_unknown"),
        (["activities", "close", "99"], "activity_unknown"),
        (["activities", "show", "99"], "activity_unknown"),
        (["activities", "open", "abc"], None),
        (["activities", "list", "--status", "gone"], None),
        (
            ["activities", "add", "--title", "x", "--category", "打麻将", "--starts", "2025-04-12"],
            "category_unknown",
        ),
        (
            ["activities", "add", "--title", "x", "--category", "理论学习", "--starts", "soon"],
            "invalid_request, field=starts",
        ),
        (
            [
                "activities",
                "add",
                "--title",
                " ",
                "--category",
                "理论学习",
                "--starts",
                "2025-04-12",
            ],
            "invalid_request, field=title",
        ),
    ],
)
def test_bad_activity_commands_get_a_one_line_error(path, args, code):
    assert_one_line_error(corner(path, *args, ok=False), code)
    assert corner(path, "activities", "list").stdout == ""


def test_users_pin_sets_refuses_a_taken_one_and_clears(path):
    corner(path, "users", "add", "li", "--role", "organiser", "--password-stdin", input=PASSWORD)
    set_ = corner(path, "users", "pin", "Wang", "--pin-stdin", input=PIN + "\n")
    assert "wang" in set_.stdout and PIN not in set_.stdout
    db = connect(path / "corner.db")
    assert authenticate_pin(db, pin=PIN, device="test").username == "wang"

    taken = corner(path, "users", "pin", "li", "--pin-stdin", input=PIN, ok=False)
    assert_one_line_error(taken, "pin_taken")
    assert "wang" not in taken.stderr and get_staff(db, "li").pin_stamp == ""
    short = corner(path, "users", "pin", "li", "--pin-stdin", input="12345", ok=False)
    assert_one_line_error(short)
    assert short.returncode == 1 and "6" in short.stderr
    unknown = corner(path, "users", "pin", "nobody", "--pin-stdin", input=PIN, ok=False)
    assert_one_line_error(unknown, "staff_unknown")
    both = corner(path, "users", "pin", "li", "--clear", "--pin-stdin", ok=False)
    assert_one_line_error(both)

    assert "wang" in corner(path, "users", "pin", "wang", "--clear").stdout
    with pytest.raises(CornerError) as refused:
        authenticate_pin(db, pin=PIN, device="test")
    assert refused.value.code == "pin_wrong"
    corner(path, "users", "pin", "wang", "--clear")  # nothing to clear: says so, writes nothing
    assert [
        entry.action for entry in list_audit(db, target="staff:wang") if "pin" in entry.action
    ] == [
        "clear_pin",
        "set_pin",
    ]
    db.close()


def test_users_pin_asks_twice_like_passwd(path):
    result = CliRunner().invoke(
        cli,
        ["--instance", str(path), "users", "pin", "wang"],
        input=f"1234\n{PIN}\n864201\n{PIN}\n{PIN}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("PIN") >= 4  # asked, refused (too short), asked again, repeated
    assert PIN not in result.output
    db = connect(path / "corner.db")
    assert authenticate_pin(db, pin=PIN, device="test").username == "wang"
    db.close()
