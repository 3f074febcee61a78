"""Demo data: a community, a branch, 25 members with varied balances, goods with pictures,
a past activity the first members attended, an open one to try check-in with, and an organiser
whose check-in PIN is DEMO_PIN.

Every change carries a fixed request id, so filling the same instance twice changes nothing.
"""

from __future__ import annotations

import secrets
import subprocess
from datetime import datetime, time, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from points.activities import close_activity, create_activity, list_categories, open_activity
from points.checkins import check_in
from points.clock import frozen, now, quarter_of
from points.goods import add_goods
from points.ledger import award_points, deduct_points
from points.member_cards import issue_qr_card
from points.members import add_member
from points.objections import raise_objection
from points.periods import previous_quarter, quarter_bounds
from points.quarters import begin_review, lock_quarter, post_quarter
from points.settlement import settlement
from points.staff import add_staff, get_staff, set_pin
from points.stars import choose_quarter_star

COMMUNITY = "银枫社区"
BRANCH = "退休干部第一党支部"

NAMES = [
    "张桂英",
    "王建国",
    "李秀兰",
    "刘德华",
    "陈志强",
    "杨玉珍",
    "赵国庆",
    "黄淑芬",
    "周卫东",
    "吴美华",
    "徐长林",
    "孙丽娟",
    "马建华",
    "朱红梅",
    "胡振东",
    "郭秀珍",
    "何立新",
    "高凤英",
    "林国栋",
    "罗桂兰",
    "郑永福",
    "梁玉兰",
    "宋德明",
    "谢金凤",
    "韩志刚",
]

# (category of the activity, points) as the pilot scheme awards them: 3-5 points an activity
ACTIVITIES = [
    ("理论学习", 4),
    ("银枫讲堂宣讲", 5),
    ("调解邻里纠纷", 5),
    ("垃圾清理", 3),
    ("河道巡查", 4),
    ("门岗值守", 3),
    ("疫情防控", 5),
    ("文明创建", 3),
]

# (name, points, stock, colour); 洗洁精 is out of stock on purpose
GOODS = [
    ("抽纸", 4, 40, "#d8e8f8"),
    ("鸡蛋", 5, 30, "#fbe3c0"),
    ("肥皂", 3, 25, "#e4f3dc"),
    ("牙膏", 6, 20, "#dff1f1"),
    ("洗洁精", 7, 0, "#f3e0ef"),
    ("毛巾", 8, 15, "#fde2e2"),
    ("拖鞋", 10, 12, "#e8e2f8"),
    ("洗衣液", 15, 10, "#dde7fb"),
    ("大米", 20, 8, "#f5efd6"),
    ("食用油", 25, 5, "#fdf0c8"),
]

DEMO_ORGANISER = "demo"
DEMO_PIN = "123456"  # shown on the demo cards page; a demo instance only


def fill_demo(db, pictures: Path) -> None:
    """Fill an instance with the demo community; safe to run again."""
    pictures.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(NAMES, start=1):
        number = f"QZ{index:03d}"
        with frozen(_in_quarter(2, day=1)):  # members since the quarter before last
            add_member(
                db,
                number=number,
                name=name,
                branch=BRANCH,
                community=COMMUNITY,
                request_id=f"demo-member-{number}",
            )
            issue_qr_card(db, number=number, request_id=f"demo-card-{number}")
        # varied balances: from none at all to a long-serving member close to 80 points, earned
        # over the last three quarters (the history is dated in them)
        for turn in range(0 if index % 9 == 0 else (index * 7) % 20 + 1):
            activity, points = ACTIVITIES[(index + turn) % len(ACTIVITIES)]
            with frozen(_in_quarter(2 - turn % 3)):
                award_points(
                    db,
                    number=number,
                    points=points,
                    reason=activity,
                    actor="demo",
                    request_id=f"demo-award-{number}-{turn}",
                )
        if index % 6 == 0 and index % 9 != 0:
            deduct_points(
                db,
                number=number,
                points=2,
                reason="活动无故缺席",
                actor="demo",
                request_id=f"demo-deduct-{number}",
            )
    for index, (name, points, stock, colour) in enumerate(GOODS, start=1):
        picture = f"goods-{index}.png"
        if not (pictures / picture).exists():
            draw_picture(pictures / picture, GLYPHS.get(name, name[0]), colour)
        add_goods(
            db,
            name=name,
            points=points,
            stock=stock,
            picture=picture,
            actor="demo",
            request_id=f"demo-goods-{index}",
        )
    fill_demo_activities(db)
    fill_demo_quarters(db)


def _in_quarter(back: int, day: int = 45) -> datetime:
    """A moment ``back`` quarters before this one, ``day`` days into it (0: now)."""
    if back == 0:
        return now()
    quarter = quarter_of()
    for _ in range(back):
        quarter = previous_quarter(quarter)
    first, _last = quarter_bounds(quarter)
    return datetime.combine(first + timedelta(days=day), time(10)).astimezone()


def fill_demo_quarters(db) -> None:
    """The quarter before last locked, with its stars and a star of the quarter; the last one
    posted with an objection still open; the current one open."""
    last = previous_quarter(quarter_of())
    before = previous_quarter(last)
    with frozen(_in_quarter(1, day=1)):
        begin_review(db, quarter=before, request_id="demo-review-1", actor="demo")
        post_quarter(
            db, quarter=before, contact="社区党委办公室", request_id="demo-post-1", actor="demo"
        )
        best = max(settlement(db, before), key=lambda line: (line.quarter_points, line.number))
        if best.stars == 5:
            choose_quarter_star(
                db,
                quarter=before,
                number=best.number,
                reason="带头参加河道巡查和理论学习",
                request_id="demo-star-1",
                actor="demo",
            )
    with frozen(_in_quarter(1, day=20)):
        lock_quarter(db, quarter=before, request_id="demo-lock-1", actor="demo")
    begin_review(db, quarter=last, request_id="demo-review-2", actor="demo")
    post_quarter(db, quarter=last, contact="社区党委办公室", request_id="demo-post-2", actor="demo")
    raise_objection(
        db,
        quarter=last,
        number="QZ004",
        raised_by="刘德华",
        text="河道巡查少记了一次",
        request_id="demo-objection-1",
        actor="demo",
    )


def fill_demo_activities(db) -> None:
    """A closed activity with awards (the kiosk's record shows it) and an open one, by a demo
    organiser whose PIN opens check-in at the kiosk."""
    if get_staff(db, DEMO_ORGANISER) is None:
        # nobody needs this account's password: the demo organiser signs in with the PIN
        add_staff(
            db,
            username=DEMO_ORGANISER,
            password=secrets.token_urlsafe(16),
            role="organiser",
            actor="demo",
        )
    set_pin(db, username=DEMO_ORGANISER, pin=DEMO_PIN, actor="demo")
    categories = {c.name: c.id for c in list_categories(db, kind="award")}
    lecture = create_activity(
        db,
        title="十一月社区党课",
        category_id=categories["理论学习"],
        starts="2026-11-20T09:00",
        place="社区活动室",
        request_id="demo-activity-lecture",
        actor=DEMO_ORGANISER,
    )
    if lecture.status == "planned":
        open_activity(db, activity_id=lecture.id, request_id="demo-open-lecture", actor="demo")
    for index in range(1, 9):
        number = f"QZ{index:03d}"
        check_in(
            db,
            activity_id=lecture.id,
            member_number=number,
            method="manual",
            operator=DEMO_ORGANISER,
            request_id=f"demo-checkin-lecture-{number}",
            device="demo",
        )
    close_activity(db, activity_id=lecture.id, request_id="demo-close-lecture", actor="demo")
    patrol = create_activity(
        db,
        title="秦灶河巡河",
        category_id=categories["河道巡查"],
        starts="2026-11-28T08:30",
        place="秦灶河",
        award_mode="on_close",
        request_id="demo-activity-patrol",
        actor=DEMO_ORGANISER,
    )
    open_activity(db, activity_id=patrol.id, request_id="demo-open-patrol", actor="demo")


def cjk_font(size: int) -> ImageFont.ImageFont:
    """A CJK font for the pictures (the one the install command puts on the machine)."""
    try:
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:bold"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        if path:
            return ImageFont.truetype(path, size)
    except (OSError, subprocess.SubprocessError):
        pass
    return ImageFont.load_default(size)


# two goods start with 洗: give each picture its own character
GLYPHS = {"洗洁精": "洁", "洗衣液": "衣"}


def draw_picture(path: Path, glyph: str, colour: str) -> None:
    """A simple tile: one character of the name, large, on a coloured rounded square."""
    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((20, 10, 300, 230), radius=36, fill=colour, outline="#333", width=4)
    font = cjk_font(140)
    draw.text((160, 122), glyph, fill="#222", font=font, anchor="mm")
    image.save(path, format="PNG", optimize=True)
