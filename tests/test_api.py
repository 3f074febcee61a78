"""The kiosk's JSON API through Flask's test client: shapes, codes and translated messages."""

import pytest

from points.members import get_member
from tests.helpers import card_token, make_goods, make_member


@pytest.fixture
def scanned(instance, db, client):
    make_member(db, points=15)
    make_goods(db, "拖鞋", 10, stock=2)
    make_goods(db, "鸡蛋", 5, stock=0)
    return client.post("/api/kiosk/scan", json={"credential": card_token(instance, db)}).json


def test_scan_answers_member_and_balance(scanned):
    assert scanned["member"] == {"number": "QZ001", "name": "张三"}
    assert scanned["balance"] == 15
    assert len(scanned["session"]) >= 32 and scanned["expires_in"] == 300


def test_catalog_lists_goods_with_stock(client, scanned):
    goods = client.get("/api/kiosk/catalog").json["goods"]
    assert [(item["name"], item["points"], item["stock"]) for item in goods] == [
        ("鸡蛋", 5, 0),
        ("拖鞋", 10, 2),
    ]
    assert set(goods[0]) == {"id", "name", "points", "stock", "picture"}


def test_redeem_answers_redemption_and_balance(client, db, scanned):
    slippers = client.get("/api/kiosk/catalog").json["goods"][1]
    answer = client.post(
        "/api/kiosk/redeem",
        json={
            "session": scanned["session"],
            "request_id": "kiosk-0123456789abcdef",
            "items": [{"goods_id": slippers["id"], "quantity": 1}],
        },
    )
    assert answer.status_code == 200
    body = answer.json
    assert body["balance"] == 5
    assert body["redemption"]["points"] == 10
    assert body["redemption"]["lines"] == [
        {"goods_id": slippers["id"], "name": "拖鞋", "quantity": 1, "points_each": 10}
    ]
    assert get_member(db, "QZ001").balance == 5


def test_error_answers_carry_code_and_chinese_message_by_default(client, scanned):
    answer = client.post("/api/kiosk/scan", json={"credential": "rubbish"})
    assert answer.status_code == 403
    assert answer.json == {
        "error": {"code": "card_invalid", "message": "这张卡没有读出来，请再试一次或找工作人员。"}
    }


def test_error_message_in_english_when_asked(client, scanned):
    answer = client.post("/api/kiosk/scan?lang=en", json={"credential": "rubbish"})
    assert answer.json["error"]["message"].startswith("This card could not be read")


def test_insufficient_points_says_how_many_are_missing(client, scanned):
    slippers = client.get("/api/kiosk/catalog").json["goods"][1]
    answer = client.post(
        "/api/kiosk/redeem",
        json={
            "session": scanned["session"],
            "request_id": "kiosk-0123456789abcdef",
            "items": [{"goods_id": slippers["id"], "quantity": 2}],
        },
    )
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "insufficient_points"
    assert answer.json["error"]["details"] == {"balance": 15, "needed": 20}


def test_member_number_alone_never_spends(client, scanned):
    slippers = client.get("/api/kiosk/catalog").json["goods"][1]
    answer = client.post(
        "/api/kiosk/redeem",
        json={
            "session": "QZ001",
            "request_id": "kiosk-0123456789abcdef",
            "member": "QZ001",
            "items": [{"goods_id": slippers["id"], "quantity": 1}],
        },
    )
    assert answer.status_code == 401 and answer.json["error"]["code"] == "session_expired"


def test_logout_ends_the_session(client, scanned):
    assert client.post("/api/kiosk/logout", json={"session": scanned["session"]}).json == {
        "ok": True
    }
    answer = client.post(
        "/api/kiosk/redeem",
        json={
            "session": scanned["session"],
            "request_id": "kiosk-0123456789abcdef",
            "items": [{"goods_id": 1, "quantity": 1}],
        },
    )
    assert answer.json["error"]["code"] == "session_expired"


@pytest.mark.parametrize(
    "method, path, kwargs, status",
    [
        ("post", "/api/kiosk/scan", {"data": "not json", "content_type": "application/json"}, 400),
        ("post", "/api/kiosk/scan", {"json": ["a", "list"]}, 400),
        ("post", "/api/kiosk/redeem", {"json": {"session": "x"}}, 400),
        ("get", "/api/kiosk/scan", {}, 405),
        ("get", "/api/kiosk/nothing-here", {}, 404),
        ("post", "/api/kiosk/scan", {"json": {"credential": "x" * 70_000}}, 413),
    ],
)
def test_malformed_requests_get_invalid_request(client, scanned, method, path, kwargs, status):
    answer = getattr(client, method)(path, **kwargs)
    assert answer.status_code == status
    assert answer.json["error"]["code"] == "invalid_request"


def test_pictures_are_served_from_the_instance(client, instance):
    (instance.pictures / "egg.png").write_bytes(b"\x89PNG fake")
    with client.get("/pictures/egg.png") as answer:
        assert answer.data == b"\x89PNG fake"
    with client.get("/pictures/../card-secret") as answer:
        assert answer.status_code == 404


def test_demo_cards_page_exists_only_in_demo_mode(client, scanned):
    assert client.get("/kiosk/demo-cards").status_code == 404
    assert client.get("/kiosk/demo-cards/QZ001.png").status_code == 404


def test_kiosk_page_is_chinese_by_default_and_english_on_request(client):
    page = client.get("/kiosk").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "积分兑换角" in page
    page = client.get("/kiosk?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "Points Exchange Corner" in page


def test_pages_load_nothing_from_outside(client):
    import re

    page = client.get("/kiosk").get_data(as_text=True)
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    with client.get("/static/kiosk.css") as answer:
        assert "http" not in answer.get_data(as_text=True)


def test_an_unexpected_failure_is_a_coded_json_error(app, client, db, scanned, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("kiosk.api.corner_catalog", broken)
    # quiet for this test only: every app's logger is the one logger named "corner"
    monkeypatch.setattr(app.logger, "disabled", True)
    answer = client.get("/api/kiosk/catalog")
    assert answer.status_code == 500
    assert answer.json["error"]["code"] == "internal_error"
    assert "disk on fire" not in answer.get_data(as_text=True)
