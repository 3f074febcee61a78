"""The goods area: add and edit goods with pictures, limits, restock, counts, low stock, corners.

The pages are asked for in English here (the admin keeps the language for the login), so the
messages the tests look for read the same before and after a translation is touched.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from points.audit import list_audit
from points.goods import goods_detail, list_goods
from points.stock import stock_history
from tests.helpers import make_goods


@pytest.fixture
def client(admin_client):
    """The admin, with the pages in English."""
    assert admin_client.get("/admin/goods?lang=en").status_code == 200
    return admin_client


def png(width: int = 1200, height: int = 800, colour: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def goods_form(**fields) -> dict:
    return {
        "name": "洗衣皂",
        "points": "8",
        "category": "日用品",
        "active": "y",
        "request_id": "admin-goods-0001",
        **fields,
    }


def post_big(client, url: str, form: dict):
    """Post a multipart form encoded in memory.

    The test client spools a large body to a temporary file that it never closes, which this
    suite's warnings-as-errors would report; a body made here has no such file.
    """
    boundary, body = encode_multipart(form)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def pictures(instance) -> list[str]:
    return sorted(path.name for path in instance.pictures.iterdir())


def test_add_a_good_with_a_picture(client, db, instance):
    form = goods_form(picture=(io.BytesIO(png()), "soap.png"))
    response = client.post("/admin/goods/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302 and response.location == "/admin/goods/1/stock"
    assert "Added 洗衣皂. Now restock it." in client.get(response.location).text
    [item] = list_goods(db)
    assert (item.name, item.points, item.category, item.active, item.stock) == (
        "洗衣皂",
        8,
        "日用品",
        True,
        0,
    )
    assert pictures(instance) == [item.picture]
    with Image.open(instance.pictures / item.picture) as stored:
        assert stored.format == "PNG" and stored.size == (640, 427)  # shrunk, shape kept
    # the same form twice (a double click) adds one good
    again = goods_form(picture=(io.BytesIO(png()), "soap.png"))
    assert client.post("/admin/goods/new", data=again).status_code == 302
    assert len(list_goods(db)) == 1
    [entry] = list_audit(db, action="add_goods")
    assert (entry.actor, entry.target, entry.after) == ("wang", "goods:1", {"id": 1})
    assert entry.params["picture"] == item.picture and entry.params["category"] == "日用品"
    page = client.get("/admin/goods").text
    assert f'src="/pictures/{item.picture}"' in page and "日用品" in page


def test_a_new_good_can_start_hidden(client, db):
    response = client.post("/admin/goods/new", data=goods_form(active=""))
    assert response.status_code == 302
    assert goods_detail(db, 1).active is False


@pytest.mark.parametrize(
    "upload, message",
    [
        ((b"just some text, not a picture\n" * 10, "soap.png"), "This file is not a picture"),
        ((png()[:200], "cut.png"), "This file is not a picture"),
        ((b"\x89PNG" + b"\0" * (20 * 1024 * 1024), "huge.png"), "a picture may be at most 10 MB"),
    ],
    ids=["text-renamed-png", "truncated-png", "20-mb"],
)
def test_a_bad_picture_is_refused_and_nothing_is_written(client, db, instance, upload, message):
    data, filename = upload
    audit_before = len(list_audit(db))
    form = goods_form(picture=FileStorage(io.BytesIO(data), filename))
    response = post_big(client, "/admin/goods/new", form)
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="洗衣皂"' in response.text  # the rest of the form is kept
    assert list_goods(db) == [] and pictures(instance) == []
    assert len(list_audit(db)) == audit_before


def test_a_file_beyond_the_upload_limit_gets_a_clear_page(client, db, instance):
    form = goods_form(picture=FileStorage(io.BytesIO(b"\0" * (31 * 1024 * 1024)), "film.png"))
    response = post_big(client, "/admin/goods/new", form)
    assert response.status_code == 413
    assert "The file is too large" in response.text and "Nothing was saved" in response.text
    assert list_goods(db) == [] and pictures(instance) == []


def test_a_refused_good_leaves_no_picture_behind(client, db, instance):
    make_goods(db, "洗衣皂")
    form = goods_form(picture=(io.BytesIO(png()), "soap.png"))
    response = client.post("/admin/goods/new", data=form)
    assert response.status_code == 409  # goods_exists
    assert "An item with this name already exists." in response.text
    assert pictures(instance) == [] and len(list_goods(db)) == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": ""}, "Please enter the name of the item."),
        ({"name": "皂" * 41}, "At most 40 characters."),
        ({"points": ""}, "Please enter the price in points."),
        ({"points": "0"}, "A whole number from 1 to 10000."),
        ({"points": "abc"}, "Not a valid integer value."),
        ({"category": "类" * 21}, "At most 20 characters."),
    ],
)
def test_a_bad_goods_form_writes_nothing(client, db, fields, message):
    response = client.post("/admin/goods/new", data=goods_form(**fields))
    assert response.status_code == 400 and message in response.text
    assert list_goods(db) == [] and list_audit(db, action="add_goods") == []


def test_edit_a_good_keeps_its_picture_and_audits_before_and_after(client, db, instance):
    client.post("/admin/goods/new", data=goods_form(picture=(io.BytesIO(png()), "a.png")))
    picture = goods_detail(db, 1).picture
    page = client.get("/admin/goods/1/edit")
    assert page.status_code == 200 and 'value="洗衣皂"' in page.text
    form = goods_form(name="肥皂", points="9", category="", active="", request_id="admin-edit-1")
    assert client.post("/admin/goods/1/edit", data=form).status_code == 302
    item = goods_detail(db, 1)
    assert (item.name, item.points, item.category, item.active, item.picture) == (
        "肥皂",
        9,
        None,
        False,
        picture,
    )
    [entry] = list_audit(db, action="update_goods")
    assert (entry.actor, entry.target) == ("wang", "goods:1")
    assert entry.before == {
        "name": "洗衣皂",
        "points": 8,
        "category": "日用品",
        "active": True,
        "picture": picture,
    }
    assert entry.after["name"] == "肥皂" and entry.after["active"] is False
    # a hidden good is gone from the kiosk's catalogue, not from the admin list
    assert client.get("/api/kiosk/catalog").json["goods"] == []
    assert 'data-goods="1"' in client.get("/admin/goods").text
    # a new picture replaces the old one
    form = goods_form(request_id="admin-edit-2", picture=(io.BytesIO(png(colour="blue")), "b.png"))
    assert client.post("/admin/goods/1/edit", data=form).status_code == 302
    replaced = goods_detail(db, 1).picture
    assert replaced not in (None, picture)
    [shown] = client.get("/api/kiosk/catalog").json["goods"]
    assert (shown["name"], shown["picture"]) == ("洗衣皂", f"/pictures/{replaced}")


def test_editing_to_a_name_in_use_is_refused(client, db):
    make_goods(db, "拖鞋")
    make_goods(db, "毛巾")
    response = client.post("/admin/goods/2/edit", data=goods_form(name="拖鞋"))
    assert response.status_code == 409 and "An item with this name already exists." in response.text
    assert goods_detail(db, 2).name == "毛巾" and list_audit(db, action="update_goods") == []


def test_unknown_good_and_unknown_corner_are_not_found(client, db):
    assert client.get("/admin/goods/9/edit").status_code == 404
    assert client.get("/admin/goods/9/stock").status_code == 404
    assert client.post("/admin/goods/9/restock", data={"quantity": "1"}).status_code == 404
    assert client.get("/admin/goods?corner=7").status_code == 404


def test_set_and_lift_a_limit_per_member(client, db):
    make_goods(db, "拖鞋")
    form = {"quantity": "1", "period": "quarter", "request_id": "admin-limit-001"}
    response = client.post("/admin/goods/1/limit", data=form)
    assert response.status_code == 302
    assert "拖鞋: at most 1 per member in a quarter." in client.get(response.location).text
    item = goods_detail(db, 1)
    assert (item.limit_quantity, item.limit_period) == (1, "quarter")
    assert "1 in a quarter" in client.get("/admin/goods").text
    lift = {"lift": "Lift the limit", "quantity": "", "request_id": "admin-limit-002"}
    assert client.post("/admin/goods/1/limit", data=lift).status_code == 302
    assert goods_detail(db, 1).limit_quantity is None
    first, second = reversed(list_audit(db, action="set_goods_limit"))
    assert first.before == {"quantity": None, "period": None}
    assert first.after == {"goods_id": 1, "quantity": 1, "period": "quarter"}
    assert second.before == {"quantity": 1, "period": "quarter"} and second.actor == "wang"
    assert second.after["quantity"] is None


@pytest.mark.parametrize(
    "form, status",
    [({"quantity": "0", "period": "quarter"}, 400), ({"quantity": "2", "period": "week"}, 400)],
)
def test_a_bad_limit_writes_nothing(client, db, form, status):
    make_goods(db, "拖鞋")
    response = client.post("/admin/goods/1/limit", data={**form, "request_id": "admin-l-0001"})
    assert response.status_code == status
    assert goods_detail(db, 1).limit_quantity is None
    assert list_audit(db, action="set_goods_limit") == []


def test_restock_with_source_and_note(client, db):
    make_goods(db, "拖鞋", stock=5)
    form = {
        "quantity": "12",
        "source": "donation",
        "note": "爱心企业捐赠",
        "request_id": "rs-00001",
    }
    response = client.post("/admin/goods/1/restock", data=form)
    assert response.status_code == 302 and response.location == "/admin/goods/1/stock?corner=1"
    page = client.get(response.location).text
    assert "Added 12 × 拖鞋; 17 in stock now." in page
    assert '<strong id="on-hand">17</strong>' in page and "爱心企业捐赠" in page
    assert client.post("/admin/goods/1/restock", data=form).status_code == 302  # a double click
    assert goods_detail(db, 1).stock == 17
    latest = stock_history(db, goods_id=1)[0]
    assert (latest.delta, latest.kind, latest.source, latest.note, latest.actor) == (
        12,
        "restock",
        "donation",
        "爱心企业捐赠",
        "wang",
    )
    [entry] = list_audit(db, action="restock")
    assert entry.actor == "wang" and entry.target == "goods:1"
    assert entry.after == {"goods_id": 1, "name": "拖鞋", "delta": 12, "on_hand": 17}


@pytest.mark.parametrize(
    "form, message",
    [
        ({"quantity": "0", "source": "purchase"}, "A whole number from 1 to 100000."),
        ({"quantity": "", "source": "purchase"}, "Please enter how many."),
        ({"quantity": "3", "source": "stolen"}, "Not a valid choice."),
        ({"quantity": "3", "source": "other", "note": "x" * 201}, "At most 200 characters."),
    ],
)
def test_a_bad_restock_writes_nothing(client, db, form, message):
    make_goods(db, "拖鞋", stock=5)
    response = client.post("/admin/goods/1/restock", data={**form, "request_id": "rs-00002"})
    assert response.status_code == 400 and message in response.text
    assert goods_detail(db, 1).stock == 5 and list_audit(db, action="restock") == []


def test_a_count_is_a_correction_row_of_the_difference(client, db):
    make_goods(db, "拖鞋", stock=10)
    form = {"counted": "7", "note": "三双破损", "request_id": "count-0001"}
    response = client.post("/admin/goods/1/count", data=form)
    assert response.status_code == 302
    assert "Stock of 拖鞋 corrected by -3 to 7." in client.get(response.location).text
    assert goods_detail(db, 1).stock == 7
    latest = stock_history(db, goods_id=1)[0]
    assert (latest.kind, latest.delta, latest.note) == ("correction", -3, "三双破损")
    [entry] = list_audit(db, action="correct_stock")
    assert entry.before == {"on_hand": 10} and entry.after["on_hand"] == 7
    # a count that agrees writes no ledger row, and says so
    agree = {"counted": "7", "note": "月底盘点", "request_id": "count-0002"}
    response = client.post("/admin/goods/1/count", data=agree)
    assert "The count agrees" in client.get(response.location).text
    assert len(stock_history(db, goods_id=1)) == 2


def test_a_count_needs_a_note(client, db):
    make_goods(db, "拖鞋", stock=10)
    response = client.post(
        "/admin/goods/1/count", data={"counted": "7", "note": " ", "request_id": "count-0003"}
    )
    assert response.status_code == 400 and "Please say why" in response.text
    assert goods_detail(db, 1).stock == 10


def test_threshold_and_the_low_stock_list(client, db):
    make_goods(db, "拖鞋", stock=3)
    make_goods(db, "毛巾", stock=30)
    make_goods(db, "牙膏", stock=0)
    for goods_id, threshold in ((1, 5), (2, 5), (3, 2)):
        form = {"threshold": str(threshold), "request_id": f"low-000{goods_id}"}
        assert client.post(f"/admin/goods/{goods_id}/threshold", data=form).status_code == 302
    low = client.get("/admin/goods/low").text
    assert re.findall(r'data-goods="(\d+)"', low) == ["3", "1"]  # the emptiest first
    listed = client.get("/admin/goods").text
    assert re.findall(r'<tr class="active low" data-goods="(\d+)"', listed) == ["1", "3"]
    [entry, *_] = list_audit(db, action="set_low_threshold")
    assert entry.actor == "wang" and entry.after == {"goods_id": 3, "threshold": 2}
    bad = client.post("/admin/goods/1/threshold", data={"threshold": "-1", "request_id": "low-9"})
    assert bad.status_code == 400 and goods_detail(db, 1).low_threshold == 5


def test_stock_per_corner_with_a_selector_only_when_there_are_several(client, db):
    make_goods(db, "拖鞋", stock=4)
    assert 'id="corner"' not in client.get("/admin/goods").text
    db.execute("INSERT INTO corners (id, name) VALUES (2, '第二兑换角')")
    assert 'id="corner"' in client.get("/admin/goods").text
    form = {"quantity": "6", "source": "purchase", "request_id": "corner2-0001"}
    response = client.post("/admin/goods/1/restock?corner=2", data=form)
    assert response.location == "/admin/goods/1/stock?corner=2"
    assert goods_detail(db, 1, corner_id=2).stock == 6
    assert goods_detail(db, 1, corner_id=1).stock == 4
    second = client.get("/admin/goods?corner=2").text
    assert "第二兑换角" in second
    assert re.search(r'data-goods="1">.*?<td class="number stock">6</td>', second, re.S)
