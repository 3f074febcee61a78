"""No export runs code: text that a spreadsheet would evaluate arrives as text, in every export.

A member named like a formula (typed, or from an import) and a good and a reason that start with
``+``, ``-``, ``@``, a tab: each ``.xlsx`` export is opened with openpyxl and every cell that
holds text must be a string cell, never a formula; the CSV quotes such text with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from points.ledger import award_points
from points.members import add_member
from points.quarters import begin_review, post_quarter
from tests.helpers import make_goods, rid

RUNNABLE = [
    '=HYPERLINK("http://e.x","m")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\tTAB",
    "\rCR",
]


@pytest.fixture
def poisoned(db, clock):
    clock.set(datetime(2026, 2, 2, 9))
    for index, text in enumerate(RUNNABLE):
        add_member(
            db, number=f"X{index}", name=text[:40], branch="第一支部", community="银枫社区",
            request_id=rid(),
        )  # fmt: skip
        award_points(db, number=f"X{index}", points=5, reason=text, request_id=rid(), actor="wang")
    make_goods(db, "=1+2", stock=3)
    # a request id may start with "-": the audit trail's cell then looks like a sum
    award_points(db, number="X0", points=1, reason="r", request_id="-23-00001", actor="wang")
    clock.set(datetime(2026, 4, 1, 9))
    begin_review(db, quarter="2026Q1", request_id=rid(), actor="wang")
    post_quarter(db, quarter="2026Q1", request_id=rid(), actor="wang")


def cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/export.xlsx",
        "/admin/members/import/template.xlsx",
        "/admin/audit/export.xlsx",
        "/admin/quarters/2026Q1/board.xlsx",
    ],
)
def test_no_xlsx_export_holds_a_formula(admin_client, poisoned, url, clock):
    from tests.admin_support import login

    login(admin_client)
    answer = admin_client.get(url)
    assert answer.status_code == 200
    found = cells(answer.data)
    assert not [cell.coordinate for cell in found if cell.data_type == "f"]
    texts = [cell.value for cell in found if cell.data_type == "s"]
    runnable = "-23-00001" if "audit" in url else "=HYPERLINK"
    if "template" not in url:
        assert any(str(text).startswith(runnable) for text in texts)


def test_the_csv_export_quotes_what_a_spreadsheet_would_run(admin_client, poisoned):
    from tests.admin_support import login

    login(admin_client)
    text = admin_client.get("/admin/audit/export.csv").data.decode("utf-8-sig")
    values = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'-23-00001" in values
    assert not [value for value in values if value.startswith(("=", "+", "-", "@", "\t", "\r"))]
