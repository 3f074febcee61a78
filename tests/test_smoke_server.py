from tests.helpers import card_token, make_goods, make_member


def test_real_server_scans_and_redeems(instance, db, serve):
    import requests

    make_member(db, points=15)
    slippers = make_goods(db, "拖鞋", 10, stock=2)
    server = serve()
    scanned = requests.post(
        server.url + "/api/kiosk/scan", json={"credential": card_token(instance, db)}
    ).json()
    assert scanned["balance"] == 15
    answer = requests.post(
        server.url + "/api/kiosk/redeem",
        json={
            "session": scanned["session"],
            "request_id": "test-request-0001",
            "items": [{"goods_id": slippers.id, "quantity": 1}],
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["balance"] == 5
