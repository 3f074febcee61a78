"""The public board over HTTP: who may look, live and posted boards, masking, the JSON."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from points.boards import add_board, revoke_board
from points.quarters import begin_review, post_quarter
from points.stars import choose_quarter_star
from tests.helpers import make_member, rid

LAN = {"REMOTE_ADDR": "192.168.1.60"}


@pytest.fixture
def branch(db, clock):
    """第一支部 with five members in 2026Q1, two of them tied."""
    clock.set(datetime(2026, 2, 2, 9))
    for number, name, points in [
        ("QZ001", "张秀英", 26),
        ("QZ002", "李建国", 12),
        ("QZ003", "王桂兰", 12),
        ("QZ004", "赵德明", 3),
        ("QZ005", "欧阳春花", 0),
    ]:
        make_member(db, number, name, points=points)
    db.execute("UPDATE members SET phone = '13800138000'")
    return db.execute("SELECT id FROM branches").fetchone()[0]


def test_a_live_board_ranks_ties_and_never_shows_a_phone(client, branch):
    answer = client.get(f"/api/board/2026Q1/{branch}")
    assert answer.status_code == 200
    board = answer.json
    assert board["status"] == "open" and board["branch"] == "第一支部"
    ranked = [(line["rank"], line["name"], line["quarter_points"]) for line in board["lines"]]
    assert ranked == [
        (1, "张秀英", 26),
        (2, "李建国", 12),
        (2, "王桂兰", 12),
        (4, "赵德明", 3),
        (5, "欧阳春花", 0),
    ]
    page = client.get(f"/board/2026Q1/{branch}").text
    assert "13800138000" not in page and "13800138000" not in answer.text
    assert "第一支部" in page and "2026" in page


def test_masked_names_never_leak_the_full_name(client, branch):
    for url in (f"/board/2026Q1/{branch}?mask=1", f"/api/board/2026Q1/{branch}?mask=1"):
        text = client.get(url).get_data(as_text=True)
        for full, masked in [("张秀英", "张*英"), ("欧阳春花", "欧**花")]:
            assert masked in text and full not in text


def test_the_board_is_for_this_machine_a_bound_screen_or_staff(app, db, branch):
    elsewhere = app.test_client()
    elsewhere.environ_base.update(LAN)
    refused = elsewhere.get(f"/api/board/2026Q1/{branch}")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "screen_unauthorized"
    assert elsewhere.get(f"/board/2026Q1/{branch}").status_code == 403
    _screen, token = add_board(db, name="hall-tv")
    assert elsewhere.get("/board?board=hall-tv&key=wrong").status_code == 403
    bound = elsewhere.get(f"/board?board=hall-tv&key={token}")
    assert bound.status_code == 302 and "key=" not in bound.headers["Location"]
    assert elsewhere.get(f"/api/board/2026Q1/{branch}").status_code == 200
    revoke_board(db, name="hall-tv")
    assert elsewhere.get(f"/api/board/2026Q1/{branch}").status_code == 403


def test_a_screen_bound_with_masking_always_masks(app, db, branch):
    tv = app.test_client()
    tv.environ_base.update(LAN)
    _screen, token = add_board(db, name="square-tv")
    tv.get(f"/board?board=square-tv&key={token}&mask=1")
    text = tv.get(f"/api/board/2026Q1/{branch}").get_data(as_text=True)
    assert "张*英" in text and "张秀英" not in text


def test_a_posted_board_shows_its_period_and_the_star_of_the_quarter(client, db, branch, clock):
    clock.set(datetime(2026, 4, 1, 9))
    begin_review(db, quarter="2026Q1", request_id=rid(), actor="wang")
    post_quarter(db, quarter="2026Q1", contact="社区办公室 王老师", request_id=rid(), actor="wang")
    choose_quarter_star(
        db, quarter="2026Q1", number="QZ001", reason="带头巡河", request_id=rid(), actor="wang"
    )
    make_member(db, "QZ009", "新来的", points=40)  # after posting: not on the posted board
    board = client.get(f"/api/board/2026Q1/{branch}").json
    assert board["posting"] == {
        "starts": "2026-04-01", "ends": "2026-04-07", "contact": "社区办公室 王老师"
    }  # fmt: skip
    assert [line["name"] for line in board["lines"]][:1] == ["张秀英"]
    assert board["lines"][0]["star_of_quarter"] and board["lines"][0]["stars"] == 5
    assert "新来的" not in [line["name"] for line in board["lines"]]
    page = client.get(f"/board/2026Q1/{branch}?mode=print").text
    assert re.search(r"2026-04-01.*2026-04-07", page) and "一季度之星" in page


def test_bad_requests_are_refused_in_words(client, branch):
    assert client.get(f"/board/2027Q1/{branch}").status_code == 400
    assert client.get("/board/2026Q1/999").status_code == 404
    assert client.get(f"/board/2026Q1/{branch}?mode=cinema").status_code == 400
    assert client.get("/api/board/2026Q1/999").json["error"]["code"] == "branch_unknown"


def test_the_kiosk_tells_a_member_their_quarter(client, instance, db, branch, clock):
    from cards.credentials import scan
    from points.stars import set_star_thresholds
    from tests.helpers import card_token

    set_star_thresholds(
        db, quarter="2026Q1", thresholds=[5, 10, 15, 20, 25], request_id=rid(), actor="wang"
    )
    session = scan(db, instance.secret(), card_token(instance, db, "QZ003"), corner_id=1)
    mine = client.post("/api/kiosk/standing", json={"session": session.token}).json
    assert mine == {
        "quarter": "2026Q1", "points": 12, "stars": 2, "rank": 2, "star_of_quarter": None
    }  # fmt: skip
    clock.advance(3600)  # the session is long over
    late = client.post("/api/kiosk/standing", json={"session": session.token})
    assert late.status_code == 401 and late.json["error"]["code"] == "session_expired"


def test_the_cli_adds_screens_and_prints_a_board(instance, db, branch, tmp_path):
    from click.testing import CliRunner

    from corner.cli import cli

    def corner(*args: str):
        return CliRunner().invoke(cli, ["--instance", str(instance.path), *args])

    added = corner("boards", "add", "hall-tv", "--server", "http://10.0.0.5:8000", "--mask")
    assert added.exit_code == 0
    link = added.output.splitlines()[-1]
    assert re.fullmatch(r"http://10\.0\.0\.5:8000/board\?board=hall-tv&key=[\w-]+&mask=1", link)
    assert corner("boards", "list").output == "hall-tv\tactive\n"
    assert corner("boards", "revoke", "hall-tv").exit_code == 0
    assert corner("boards", "list").output == "hall-tv\trevoked\n"
    printed = corner(
        "boards", "print", "2026Q1", "--branch", str(branch), "-o", str(tmp_path / "b.html")
    )
    assert printed.exit_code == 0, printed.output
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "<style>" in html and "@page" in html and "张秀英" in html and "board.js" not in html
    refused = corner("boards", "print", "2026Q1", "--branch", "999", "-o", str(tmp_path / "x.html"))
    assert refused.exit_code != 0 and not (tmp_path / "x.html").exists()


@pytest.mark.browser
def test_the_cli_prints_a_board_to_an_a4_pdf(instance, db, branch, tmp_path):
    import subprocess

    from tests.conftest import corner_command

    target = tmp_path / "board.pdf"
    printed = subprocess.run(
        corner_command(
            "--instance",
            str(instance.path),
            "boards",
            "print",
            "2026Q1",
            "--branch",
            str(branch),
            "-o",
            str(target),
        ),  # fmt: skip
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert printed.returncode == 0, printed.stderr
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)", info), info
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True).stdout
    assert "张秀英" in text and "欧阳春花" in text


def test_a_community_board_ranks_every_branch_as_one(client, db, branch, clock):
    from points.members import add_member

    clock.set(datetime(2026, 2, 3, 9))
    add_member(
        db, number="QZ101", name="钱二", branch="第二支部", community="银枫社区",
        request_id=rid(),
    )  # fmt: skip
    from points.ledger import award_points

    award_points(db, number="QZ101", points=12, reason="巡河", request_id=rid(), actor="wang")
    community = db.execute("SELECT id FROM communities").fetchone()[0]
    board = client.get(f"/api/board/2026Q1/community/{community}").json
    assert board["branch"] is None and board["title"].startswith("银枫社区 2026")
    ranked = [(line["rank"], line["name"], line["branch"]) for line in board["lines"]][:4]
    assert ranked == [
        (1, "张秀英", "第一支部"),
        (2, "李建国", "第一支部"),
        (2, "王桂兰", "第一支部"),
        (2, "钱二", "第二支部"),
    ]
    page = client.get(f"/board/2026Q1/community/{community}?mode=tv").text
    assert "第二支部" in page and "钱二" in page
    assert client.get("/api/board/2026Q1/community/99").json["error"]["code"] == (
        "community_unknown"
    )
