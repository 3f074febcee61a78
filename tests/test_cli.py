"""The ``corner`` command, run as a real process: outputs, exit codes, one-line errors."""

import subprocess

import pytest

from corner.demo import DEMO_PIN
from points.activities import list_activities
from points.check import check
from points.db import connect
from points.goods import catalog
from points.members import get_member
from points.staff import authenticate_pin
from tests.conftest import corner_command


def corner(instance_path, *args, ok=True):
    result = subprocess.run(
        corner_command("--instance", str(instance_path), *args),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def assert_one_line_error(result, code=None):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("错误：")
    if code:
        assert f"({code}" in result.stderr


def test_init_creates_instance_once(tmp_path):
    path = tmp_path / "corner"
    assert "已创建" in corner(path, "init").stdout or (path / "card-secret").exists()
    secret = (path / "card-secret").read_text()
    corner(path, "init")
    assert (path / "card-secret").read_text() == secret  # never replaced: old cards keep working
    assert (path / "corner.db").exists() and (path / "config.toml").exists()


def test_members_award_goods_restock_and_check(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    corner(path, "members", "add", "--number", "QZ100", "--name", "王五", "--branch", "第一支部")
    assert "余额 9 分" in corner(path, "award", "QZ100", "9", "--reason", "河道巡查").stdout
    assert "余额 7 分" in corner(path, "deduct", "QZ100", "2", "--reason", "缺席").stdout
    corner(path, "goods", "add", "--name", "拖鞋", "--points", "10", "--stock", "2")
    assert "库存 5" in corner(path, "restock", "拖鞋", "3").stdout
    assert "库存 6" in corner(path, "restock", "1", "1", "--source", "donation").stdout
    assert "一致" in corner(path, "check").stdout
    db = connect(path / "corner.db")
    assert get_member(db, "QZ100").balance == 7 and check(db) == []


def test_repeated_request_id_awards_once(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    corner(path, "members", "add", "--number", "QZ1", "--name", "王五")
    for _ in range(2):
        corner(path, "award", "QZ1", "4", "--reason", "学习", "--request-id", "award-0001-x")
    assert get_member(connect(path / "corner.db"), "QZ1").balance == 4


def test_cards_qr_writes_png_and_prints_token(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    corner(path, "members", "add", "--number", "QZ1", "--name", "王五")
    token = corner(path, "cards", "qr", "QZ1", "--text").stdout.strip()
    assert token.startswith("EC1.") and ".QZ1." in token
    corner(path, "cards", "qr", "QZ1", "-o", str(tmp_path / "card.png"))
    assert (tmp_path / "card.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    corner(path, "cards", "issue", "QZ1")
    assert corner(path, "cards", "qr", "QZ1", "--text").stdout.strip() != token


@pytest.mark.parametrize(
    "args, code",
    [
        (["award", "QZ404", "5", "--reason", "x"], "member_unknown"),
        (["award", "QZ1", "0", "--reason", "x"], "invalid_request"),
        (["deduct", "QZ1", "50", "--reason", "x"], "insufficient_points"),
        (["restock", "冰箱", "3"], "goods_unknown"),
        (["restock", "1", "0"], "invalid_request"),
        (["restock", "1", "-3"], None),
        (["members", "add", "--number", "QZ1", "--name", "重复"], "member_exists"),
        (["award", "QZ1", "abc", "--reason", "x"], None),
        (["award", "QZ1", "5"], None),
        (["no-such-command"], None),
        (["cards", "qr", "QZ404"], "member_unknown"),
    ],
)
def test_bad_input_gets_a_one_line_error(tmp_path, args, code):
    path = tmp_path / "corner"
    corner(path, "init")
    corner(path, "members", "add", "--number", "QZ1", "--name", "王五")
    corner(path, "goods", "add", "--name", "拖鞋", "--points", "10")
    assert_one_line_error(corner(path, *args, ok=False), code)


def test_missing_instance_is_a_one_line_error(tmp_path):
    result = corner(tmp_path / "nowhere", "check", ok=False)
    assert_one_line_error(result)
    assert result.returncode == 2 and "corner init" in result.stderr


def test_check_exits_non_zero_on_a_mismatch(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    corner(path, "members", "add", "--number", "QZ1", "--name", "王五")
    corner(path, "award", "QZ1", "5", "--reason", "x")
    db = connect(path / "corner.db")
    db.execute("UPDATE members SET balance = 6")  # a cached balance that lies
    result = corner(path, "check", ok=False)
    assert result.returncode == 1
    assert "member QZ1: stored balance 6 but ledger sums to 5" in result.stdout


def test_demo_fills_once_and_refuses_real_data(tmp_path):
    path = tmp_path / "demo"
    corner(path, "demo", "--no-serve")
    corner(path, "demo", "--no-serve")  # idempotent: fixed request ids
    db = connect(path / "corner.db")
    assert db.execute("SELECT count(*) FROM members").fetchone()[0] == 25
    goods = db.execute("SELECT name, points FROM goods").fetchall()
    assert ("拖鞋", 10) in goods and ("鸡蛋", 5) in goods and len(goods) == 10
    assert [item.name for item in catalog(db) if item.stock == 0] == ["洗洁精"]
    assert len({row[0] for row in db.execute("SELECT balance FROM members")}) > 10
    # a past activity with its awards, an open one to try check-in, an organiser with a PIN
    activities = {a.title: a for a in list_activities(db)}
    assert activities["十一月社区党课"].status == "closed"
    assert activities["十一月社区党课"].checked_in == 8
    assert activities["秦灶河巡河"].status == "open"
    assert authenticate_pin(db, pin=DEMO_PIN, device="test").username == "demo"
    assert check(db) == []
    real = tmp_path / "real"
    corner(real, "init")
    corner(real, "members", "add", "--number", "QZ1", "--name", "王五")
    assert_one_line_error(corner(real, "demo", "--no-serve", ok=False))


def test_cards_bind_list_revoke_and_kiosks(tmp_path):
    path = tmp_path / "corner"
    corner(path, "init")
    corner(path, "members", "add", "--number", "QZ1", "--name", "王五")
    assert "04A1B2C3" in corner(path, "cards", "bind", "QZ1", "--uid", "04:a1:b2:c3").stdout
    assert_one_line_error(
        corner(path, "cards", "bind", "QZ1", "--uid", "04A1B2C3", ok=False), "card_in_use"
    )
    assert_one_line_error(
        corner(path, "cards", "bind", "QZ1", "--uid", "xyz", ok=False), "card_invalid"
    )
    listed = corner(path, "cards", "list", "QZ1").stdout.splitlines()
    assert [line.split("\t")[1:] for line in listed] == [
        ["nfc", "active", "04A1B2C3"],
        ["qr", "active", ""],
    ]
    serial = listed[0].split("\t")[0]
    assert "挂失" in corner(path, "cards", "revoke", serial).stdout
    assert "\trevoked\t" in corner(path, "cards", "list", "QZ1").stdout
    added = corner(path, "kiosks", "add", "corner-2").stdout.splitlines()
    assert len(added[-1]) >= 32
    assert_one_line_error(corner(path, "kiosks", "add", "corner-2", ok=False), "kiosk_exists")
    corner(path, "kiosks", "revoke", "corner-2")
    assert corner(path, "kiosks", "list").stdout.strip() == "corner-2\t1\trevoked"
