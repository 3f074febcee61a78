"""Bad input gets a clear 4xx, never a 500 (issue 11, part 4).

Every JSON endpoint of the kiosk and the check-in page is sent JSON nested beyond the parser's
reach, lone surrogates in every field, huge and negative numbers, wrong types, control
characters, the wrong content type and a 10 MB body; routes with an id are asked for ids beyond
SQLite's integers. Each answer must be a 4xx with an error code, and no points, redemption or
check-in row may be written, nor a line in the scan log.
"""

from __future__ import annotations

import json

import pytest

from points.kiosks import add_kiosk
from tests.helpers import make_activity, make_member

FIELDS = ("credential", "session", "request_id", "items", "pin", "scans", "action", "kiosk",
          "uid", "service", "readers")  # fmt: skip

PAYLOADS = {
    "nested list": "[" * 30_000 + "]" * 30_000,
    "nested in a field": '{"session": ' + "[" * 30_000 + "]" * 30_000 + "}",
    "surrogates": "{" + ", ".join(f'"{field}": "\\ud800"' for field in FIELDS) + "}",
    "surrogate key": '{"\\udfff": 1, "session": "x"}',
    "huge numbers": json.dumps({field: 10**30 for field in FIELDS}),
    "negative numbers": json.dumps({field: -(2**63) for field in FIELDS}),
    "wrong types": json.dumps({field: [{"a": None}] for field in FIELDS}),
    "control characters": json.dumps({field: "\x00\x1b[2J\r\n" for field in FIELDS}),
    "not an object": json.dumps(["session"]),
    "not JSON": "session=abc",
}


@pytest.fixture
def endpoints(office, db):
    make_member(db, "QZ001", "张三", points=10)
    activity = make_activity(db)
    _kiosk, token = add_kiosk(db, name="corner-2")
    return activity.id, token


def rows(db) -> tuple[int, ...]:
    return tuple(
        db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("points_entries", "redemptions", "checkins", "scan_log")
    )


def urls(activity_id: int) -> list[str]:
    return [
        "/api/kiosk/scan",
        "/api/kiosk/redeem",
        "/api/kiosk/record",
        "/api/kiosk/standing",
        "/api/kiosk/logout",
        "/api/kiosk/tap",
        "/api/kiosk/reader-status",
        "/checkin/pin",  # (/checkin/leave reads its body only for a PIN login: see pin)
        f"/checkin/{activity_id}/scan",
        f"/checkin/{activity_id}/batch",
    ]


def test_every_json_endpoint_refuses_bad_input_with_a_4xx(admin_client, db, endpoints, caplog):
    activity_id, token = endpoints
    before = rows(db)
    answers = {}
    for url in urls(activity_id):
        for name, body in PAYLOADS.items():
            for content_type in ("application/json", "text/plain"):
                answer = admin_client.post(
                    url,
                    data=body.encode("utf-8", "surrogatepass"),
                    content_type=content_type,
                    headers={"Authorization": f"Bearer {token}"},
                )
                answers[(url, name, content_type)] = answer.status_code
                assert 400 <= answer.status_code < 500, (url, name, content_type, answer.data)
                assert answer.json["error"]["code"], (url, name)
        big = admin_client.post(url, data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
                                content_type="application/json")  # fmt: skip
        assert big.status_code == 413, url
    assert rows(db) == before
    assert admin_client.get(f"/checkin/{activity_id}/board").status_code == 200  # still in
    assert not [record for record in caplog.records if "unexpected error" in record.getMessage()]


@pytest.mark.parametrize(
    "url",
    [
        "/checkin/9223372036854775808/board",
        "/checkin/9223372036854775808",
        "/admin/goods/99999999999999999999999/edit",
        "/admin/activities/9223372036854775808",
        "/board/2026Q1/9223372036854775808",
        "/api/board/2026Q1/9223372036854775808",
        "/admin/redemptions/9223372036854775808",
    ],
)
def test_an_id_beyond_sqlite_integers_is_not_found(admin_client, url):
    answer = admin_client.get(url)
    assert answer.status_code == 404, (url, answer.status_code)


# every value a converter in an address may be handed from outside
ODD_VALUES = ["9223372036854775808", "99999999999999999999999", "-1", "0", "1e3", "%00",
              "%C0%AF", "%F0%9F%98%80", "..%2F..%2Fetc%2Fpasswd", "x" * 300, "2026Q9", "0000Q1",
              " "]  # fmt: skip


def test_every_route_with_a_variable_answers_odd_values_with_a_4xx(office, admin_client, db):
    """Every route of the app with a variable part, every odd value in each variable: a 4xx
    (or a page), never a 500, and nothing written."""
    before = rows(db)
    tried = 0
    for rule in office.url_map.iter_rules():
        if not rule.arguments or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for value in ODD_VALUES:
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{argument}>", value)
                for converter in ("int", "string", "path", "quarter", "bounded"):
                    path = path.replace(f"<{converter}:{argument}>", value)
            path = path.replace("<", "").replace(">", "")  # any converter left: its raw name
            for method in methods:
                answer = admin_client.open(path, method=method, data={})
                tried += 1
                assert answer.status_code < 500, (method, path, answer.status_code)
    assert tried > 300
    assert rows(db) == before
