"""NFC card bindings, revocation, and kiosk tokens in the core."""

import pytest

from cards.credentials import scan
from points.errors import CornerError
from points.kiosks import add_kiosk, authenticate_kiosk, list_kiosks, revoke_kiosk
from points.member_cards import bind_nfc_card, card_by_uid, list_cards, revoke_card
from points.redemptions import redeem
from tests.helpers import make_goods, make_member, rid

UID = "04A1B2C3D4E5F6"


def nfc_scan(instance, db, uid=UID):
    return scan(db, instance.secret(), f"nfc:{uid}", corner_id=1, trusted_nfc=True)


def test_a_bound_card_opens_a_session_for_its_member(instance, db):
    make_member(db, points=9)
    card = bind_nfc_card(db, number="QZ001", uid=UID, request_id=rid())
    assert (card.kind, card.status, card.uid) == ("nfc", "active", UID)
    session = nfc_scan(instance, db)
    assert (session.member_number, session.balance) == ("QZ001", 9)


def test_a_uid_serves_one_member_at_a_time(db):
    make_member(db)
    make_member(db, number="QZ002", name="李四")
    bind_nfc_card(db, number="QZ001", uid=UID, request_id=rid())
    with pytest.raises(CornerError) as refused:
        bind_nfc_card(db, number="QZ002", uid=UID, request_id=rid())
    assert refused.value.code == "card_in_use"
    assert refused.value.details == {"number": "QZ001"}


def test_a_revoked_card_is_refused_and_its_sessions_stop(instance, db):
    make_member(db, points=20)
    goods = make_goods(db)
    card = bind_nfc_card(db, number="QZ001", uid=UID, request_id=rid())
    session = nfc_scan(instance, db)
    assert revoke_card(db, card_id=card.id, request_id=rid()).status == "revoked"
    with pytest.raises(CornerError) as refused:
        nfc_scan(instance, db)
    assert refused.value.code == "card_revoked"
    with pytest.raises(CornerError) as refused:
        redeem(
            db,
            session=session.token,
            items=[{"goods_id": goods.id, "quantity": 1}],
            request_id=rid(),
        )
    assert refused.value.code == "card_revoked"


def test_a_revoked_uid_may_be_bound_again(instance, db):
    make_member(db)
    make_member(db, number="QZ002", name="李四")
    first = bind_nfc_card(db, number="QZ001", uid=UID, request_id=rid())
    revoke_card(db, card_id=first.id, request_id=rid())
    again = bind_nfc_card(db, number="QZ002", uid=UID, request_id=rid())
    assert card_by_uid(db, UID) == again
    assert nfc_scan(instance, db).member_number == "QZ002"
    assert [card.status for card in list_cards(db, "QZ001")] == ["revoked", "active"]


def test_unknown_uid_is_card_unknown(instance, db):
    with pytest.raises(CornerError) as refused:
        nfc_scan(instance, db, "0A0B0C0D")
    assert refused.value.code == "card_unknown"


def test_a_typed_uid_is_not_a_credential_from_the_public(instance, db):
    make_member(db)
    bind_nfc_card(db, number="QZ001", uid=UID, request_id=rid())
    with pytest.raises(CornerError) as refused:
        scan(db, instance.secret(), f"nfc:{UID}", corner_id=1)
    assert refused.value.code == "card_invalid"


def test_revoking_an_unknown_card(db):
    with pytest.raises(CornerError) as refused:
        revoke_card(db, card_id=99, request_id=rid())
    assert refused.value.code == "card_unknown"


def test_kiosk_token_authenticates_until_revoked(db):
    kiosk, token = add_kiosk(db, name="Corner-2")
    assert (kiosk.name, kiosk.corner_id) == ("corner-2", 1)
    assert authenticate_kiosk(db, name="corner-2", token=token).name == "corner-2"
    for name, key in (
        ("corner-2", token + "x"),
        ("corner-9", token),
        ("corner-2", None),
        (None, token),
        ("corner-2", "x" * 500),
    ):
        with pytest.raises(CornerError) as refused:
            authenticate_kiosk(db, name=name, token=key)
        assert refused.value.code == "kiosk_unauthorized"
    revoke_kiosk(db, name="corner-2")
    with pytest.raises(CornerError) as refused:
        authenticate_kiosk(db, name="corner-2", token=token)
    assert refused.value.code == "kiosk_unauthorized"
    assert list_kiosks(db)[0].revoked


def test_kiosk_names_are_unique_and_checked(db):
    add_kiosk(db, name="corner-2")
    with pytest.raises(CornerError) as refused:
        add_kiosk(db, name="corner-2")
    assert refused.value.code == "kiosk_exists"
    for name, code in (("has space", "invalid_request"), ("", "invalid_request")):
        with pytest.raises(CornerError) as refused:
            add_kiosk(db, name=name)
        assert refused.value.code == code
    with pytest.raises(CornerError) as refused:
        add_kiosk(db, name="corner-3", corner_id=7)
    assert refused.value.code == "corner_unknown"
    with pytest.raises(CornerError) as refused:
        revoke_kiosk(db, name="nobody")
    assert refused.value.code == "kiosk_unknown"


def test_the_token_itself_is_not_stored(db):
    _kiosk, token = add_kiosk(db, name="corner-2")
    stored = db.execute("SELECT token_digest FROM kiosks").fetchone()[0]
    assert token not in stored and len(stored) == 64
