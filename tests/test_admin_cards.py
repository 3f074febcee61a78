"""Cards in the admin: issue, reissue, revoke, bind NFC by UID, and the print views."""

from __future__ import annotations

import base64
import re

import pytest

from cards.credentials import scan
from cards.qr import qr_png
from points.audit import list_audit
from points.errors import CornerError
from points.member_cards import card_history, current_qr_card
from tests.admin_support import with_styles
from tests.helpers import card_token, make_member


def kiosk_scan(client, token: str):
    """What the kiosk page sends when a QR card is scanned."""
    return client.post("/api/kiosk/scan", json={"credential": token})


def post(client, url: str, request_id: str = "admin-test-0001", **data):
    return client.post(url, data={"request_id": request_id, **data})


def test_reissue_stops_the_old_card_at_the_kiosk_and_the_new_one_works(instance, db, admin_client):
    make_member(db, points=20)
    old = card_token(instance, db)
    assert kiosk_scan(admin_client, old).status_code == 200

    response = post(admin_client, "/admin/members/QZ001/cards/qr")
    assert response.status_code == 302
    page = admin_client.get(response.location).text
    assert 'class="flashes"' in page

    refused = kiosk_scan(admin_client, old)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "card_revoked"
    new = card_token(instance, db)
    assert new != old
    answer = kiosk_scan(admin_client, new)
    assert answer.status_code == 200 and answer.json["member"]["number"] == "QZ001"
    assert [card.status for card in card_history(db, "QZ001")] == ["active", "replaced"]


def test_a_double_click_on_reissue_issues_one_card(db, admin_client):
    make_member(db)
    for _ in range(2):
        assert (
            post(admin_client, "/admin/members/QZ001/cards/qr", "admin-double-01").status_code
            == 302
        )
    assert len(card_history(db, "QZ001")) == 2  # the first card and one reissue
    assert len(list_audit(db, action="issue_qr_card")) == 1


def test_revoked_card_is_refused_with_its_code(instance, db, admin_client):
    make_member(db)
    token = card_token(instance, db)
    card = current_qr_card(db, "QZ001")
    response = post(admin_client, f"/admin/members/QZ001/cards/{card.id}/revoke")
    assert response.status_code == 302
    assert kiosk_scan(admin_client, token).json["error"]["code"] == "card_revoked"
    page = admin_client.get("/admin/members/QZ001/cards").text
    assert f'data-card="{card.id}" data-status="revoked"' in page
    assert current_qr_card(db, "QZ001") is None
    [entry] = list_audit(db, action="revoke_card")
    assert entry.actor == "wang" and entry.target == f"card:{card.id}"


def test_a_card_of_another_member_cannot_be_revoked_through_this_member(db, admin_client):
    make_member(db, "QZ001")
    make_member(db, "QZ002", "李四")
    other = current_qr_card(db, "QZ002")
    assert post(admin_client, f"/admin/members/QZ001/cards/{other.id}/revoke").status_code == 404
    assert current_qr_card(db, "QZ002") == other


def test_bind_an_nfc_card_by_typed_uid_then_revoke_it(instance, db, admin_client):
    make_member(db)
    response = post(admin_client, "/admin/members/QZ001/cards/nfc", uid="04:a1:b2:c3")
    assert response.status_code == 302
    assert "04A1B2C3" in admin_client.get(response.location).text
    [nfc] = [card for card in card_history(db, "QZ001") if card.kind == "nfc"]
    assert nfc.uid == "04A1B2C3" and nfc.status == "active"
    session = scan(db, instance.secret(), "nfc:04A1B2C3", corner_id=1, trusted_nfc=True)
    assert session.member_number == "QZ001"

    post(admin_client, f"/admin/members/QZ001/cards/{nfc.id}/revoke", "admin-test-0002")
    with pytest.raises(CornerError) as refused:
        scan(db, instance.secret(), "nfc:04A1B2C3", corner_id=1, trusted_nfc=True)
    assert refused.value.code == "card_revoked"
    actions = [entry.action for entry in list_audit(db, actor="wang")]
    assert actions[:2] == ["revoke_card", "bind_nfc_card"]


def test_a_uid_bound_to_someone_else_is_refused_with_the_message(db, admin_client):
    make_member(db, "QZ001")
    make_member(db, "QZ002", "李四")
    assert post(admin_client, "/admin/members/QZ002/cards/nfc", uid="04A1B2C3").status_code == 302
    refused = post(
        admin_client, "/admin/members/QZ001/cards/nfc", "admin-test-0002", uid="04a1b2c3"
    )
    assert refused.status_code == 409  # card_in_use
    assert "这张卡已经绑定给别人了" in refused.text
    assert "QZ002" in refused.text
    assert [card.kind for card in card_history(db, "QZ001")] == ["qr"]


@pytest.mark.parametrize("uid", ["", "12", "XYZ12345", "04A1B2C3D"])
def test_a_malformed_uid_is_refused_next_to_the_field(db, admin_client, uid):
    make_member(db)
    refused = post(admin_client, "/admin/members/QZ001/cards/nfc", uid=uid)
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text
    assert [card.kind for card in card_history(db, "QZ001")] == ["qr"]


def test_the_card_just_tapped_is_offered_only_to_a_browser_on_this_machine(
    office, db, admin_client
):
    make_member(db)
    office.extensions["card_hub"].last_unknown_uid["local"] = "0A0B0C0D"
    here = admin_client.get("/admin/members/QZ001/cards").text
    assert "0A0B0C0D" in here and 'value="0A0B0C0D"' in here
    elsewhere = admin_client.get(
        "/admin/members/QZ001/cards", environ_base={"REMOTE_ADDR": "192.168.1.20"}
    ).text
    assert "0A0B0C0D" not in elsewhere
    # the offered form binds it
    request_id = re.search(r'name="request_id" value="([^"]+-tap)"', here).group(1)
    assert post(
        admin_client, "/admin/members/QZ001/cards/nfc", request_id, uid="0A0B0C0D"
    ).status_code
    assert any(card.uid == "0A0B0C0D" for card in card_history(db, "QZ001"))


def test_card_print_view_shows_name_number_branch_and_the_current_qr(instance, db, admin_client):
    make_member(db)
    page = with_styles(admin_client, admin_client.get("/admin/members/QZ001/cards/print").text)
    assert "张三" in page and "QZ001" in page and "第一支部" in page
    assert "@page { size: A4" in page and "width: 85.6mm; height: 54mm" in page
    image = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    expected = qr_png(card_token(instance, db), box_size=8, border=2)
    assert base64.b64decode(image) == expected
    card_printer = admin_client.get("/admin/members/QZ001/cards/print?paper=card").text
    card_printer = with_styles(admin_client, card_printer)
    assert "@page { size: 85.6mm 54mm; margin: 0; }" in card_printer


def test_card_print_view_without_a_qr_card_sends_the_admin_to_issue_one(db, admin_client):
    make_member(db, card=False)
    response = admin_client.get("/admin/members/QZ001/cards/print")
    assert response.status_code == 302 and response.location.endswith("/admin/members/QZ001/cards")


def test_a_sheet_holds_ten_cards_and_skips_members_without_a_qr_card(db, admin_client):
    for index in range(1, 13):
        make_member(db, f"QZ{index:03}", f"会员{index}")
    make_member(db, "QZ099", "无卡", card=False)
    numbers = [f"QZ{index:03}" for index in range(1, 13)] + ["QZ099"]
    page = admin_client.get("/admin/cards/sheet", query_string={"number": numbers}).text
    sheets = page.split('<section class="sheet paper"')[1:]
    assert [sheet.count('<article class="card"') for sheet in sheets] == [10, 2]
    assert "QZ099 无卡" in page  # named as not printed
    by_branch = admin_client.get("/admin/cards/sheet", query_string={"branch": "第一支部"}).text
    assert by_branch.count('<article class="card"') == 12


def test_batch_page_lists_members_by_branch_with_their_card_state(db, admin_client):
    make_member(db, "QZ001")
    make_member(db, "QZ002", "李四", card=False)
    page = admin_client.get("/admin/cards/print?branch=第一支部").text
    assert 'value="QZ001" id="pick-QZ001">' in page
    assert 'value="QZ002" id="pick-QZ002" disabled>' in page
    assert "/admin/cards/sheet?branch=" in page
