"""A server with two corners: the same goods, stock at each, and a kiosk bound to corner 2."""

from __future__ import annotations

from dataclasses import dataclass

from points.corners import add_corner
from points.goods import goods_detail
from points.kiosks import add_kiosk
from points.member_cards import bind_nfc_card
from points.stock import restock
from tests.helpers import card_token, make_goods, make_member, rid

NFC_UID = "04A1B2C3D4E5F6"


@dataclass
class TwoCorners:
    goods_id: int
    kiosk_token: str
    qr_token: str  # 张三's QR card
    nfc_uid: str  # 李四's NFC card

    def stock(self, db, corner_id: int) -> int:
        return goods_detail(db, self.goods_id, corner_id=corner_id).stock


def two_corners(instance, db) -> TwoCorners:
    """Slippers: 5 at corner 1, 3 at corner 2; members with points; kiosk ``corner-2``."""
    make_member(db, "QZ001", "张三", points=50)
    make_member(db, "QZ002", "李四", points=50)
    bind_nfc_card(db, number="QZ002", uid=NFC_UID, request_id=rid())
    slippers = make_goods(db, "拖鞋", 10, stock=5)
    corner = add_corner(db, name="二号兑换角", request_id=rid(), actor="test")
    assert corner.id == 2
    restock(
        db, goods_id=slippers.id, quantity=3, request_id=rid(), actor="test", corner_id=corner.id
    )
    _kiosk, token = add_kiosk(db, name="corner-2", corner_id=corner.id)
    return TwoCorners(slippers.id, token, card_token(instance, db, "QZ001"), NFC_UID)
