"""Member import (.xlsx, .csv) with a preview that writes nothing, and the .xlsx export."""

from __future__ import annotations

import html
import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from admin import imports as admin_imports
from points import member_import, uploads
from points.audit import list_audit
from points.db import connect
from points.errors import CornerError
from points.member_import import STAGED_SECONDS, check_import, import_members, member_rows
from points.members import add_member, count_members, get_member, list_members
from points.uploads import read_table
from tests.admin_support import logged_in, make_staff
from tests.helpers import make_member, rid
from web.instance import init_instance

HEADER_ZH = ["编号", "姓名", "党支部", "社区", "电话"]
HEADER_EN = ["Number", "Name", "Party branch", "Community", "Phone"]
CLEAN = [
    ["QZ101", "王五", "第一支部", "银枫社区", "13900001111"],
    ["qz102", " 赵六 ", "第二支部", None, None],
    ["QZ103", "孙七", None, None, "0571-8888 1234"],
]


def read_rows(filename: str, data: bytes) -> list[dict]:
    """The member rows of a file, as the import reads them."""
    return list(member_rows(read_table(filename, io.BytesIO(data))))


def xlsx(rows: list[list], header: list[str] = HEADER_ZH) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], header: list[str] = HEADER_EN, encoding="utf-8-sig") -> bytes:
    lines = [",".join(header), *(",".join(cell or "" for cell in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def branches(db):
    """Two branches that exist: 第一支部 (with QZ001) and 第二支部 (with QZ002)."""
    make_member(db, "QZ001", "张三")
    add_member(
        db, number="QZ002", name="李四", branch="第二支部", community="银枫社区", request_id=rid()
    )


def upload(client, data: bytes, filename: str):
    return client.post(
        "/admin/members/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def confirm_form(page: str) -> dict:
    """The hidden fields of the preview's confirm form, as the browser would send them."""
    form = page.split('action="/admin/members/import/confirm"', 1)[1].split("</form>", 1)[0]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form)
    }


def problems(page: str) -> list[tuple[int | None, str]]:
    return [
        (int(row) if row else None, code)
        for row, code in re.findall(r'data-row="(\d*)" data-code="([a-z_]+)"', page)
    ]


@pytest.mark.parametrize(
    "filename, data",
    [
        ("members.xlsx", xlsx(CLEAN)),
        ("members.xlsx", xlsx(CLEAN, HEADER_EN)),
        ("members.csv", csv_bytes(CLEAN)),
        ("members.csv", csv_bytes(CLEAN, HEADER_ZH, encoding="gb18030")),  # Excel's CSV in China
    ],
    ids=["xlsx-zh", "xlsx-en", "csv-utf8", "csv-gbk"],
)
def test_a_clean_file_imports_only_after_confirmation(db, admin_client, branches, filename, data):
    preview = upload(admin_client, data, filename)
    assert preview.status_code == 200
    assert re.findall(r'<tr data-number="([^"]+)"', preview.text) == ["QZ101", "QZ102", "QZ103"]
    assert count_members(db) == 2  # the preview wrote nothing

    done = admin_client.post("/admin/members/import/confirm", data=confirm_form(preview.text))
    assert done.status_code == 302 and done.location.endswith("/admin/members")
    assert count_members(db) == 5
    wang = get_member(db, "QZ101")
    assert (wang.name, wang.branch, wang.community, wang.phone) == (
        "王五",
        "第一支部",
        "银枫社区",
        "13900001111",
    )
    zhao = get_member(db, "QZ102")
    assert (zhao.name, zhao.branch, zhao.community) == ("赵六", "第二支部", "银枫社区")
    assert get_member(db, "QZ103").branch is None
    [entry] = list_audit(db, action="import_members")
    assert entry.actor == "wang" and entry.after["count"] == 3
    assert entry.params["source"] == filename
    added = list_audit(db, action="add_member", actor="wang")
    assert sorted(item.target for item in added) == ["member:QZ101", "member:QZ102", "member:QZ103"]
    assert {item.request_id for item in added} == {entry.request_id}


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(db, admin_client, branches):
    rows = [
        ["QZ101", "王五", "第一支部", "银枫社区", "13900001111"],  # row 2: good
        ["QZ102", None, "第一支部", None, None],  # 3: no name
        ["QZ001", "重复", None, None, None],  # 4: number already registered
        ["QZ104", "周八", "第九支部", None, None],  # 5: unknown branch
        ["QZ105", "吴九", None, None, "12"],  # 6: bad phone
        ["QZ 106", "郑十", None, None, None],  # 7: bad number
        ["QZ107", "冯一", None, None, None],  # 8: repeated in the file ...
        ["QZ107", "冯二", None, None, None],  # 9: ... here
        [None, "陈三", None, None, None],  # 10: no number
        ["QZ108", "褚四", "第一支部", "金桂社区", None],  # 11: branch of another community
        ["QZ109", "卫五", None, "银枫社区", None],  # 12: community without a branch
    ]
    for filename, data in (("bad.xlsx", xlsx(rows)), ("bad.csv", csv_bytes(rows))):
        preview = upload(admin_client, data, filename)
        assert preview.status_code == 400
        assert problems(preview.text) == [
            (3, "name_missing"),
            (4, "number_taken"),
            (5, "branch_unknown"),
            (6, "phone_invalid"),
            (7, "number_invalid"),
            (8, "number_repeated"),
            (9, "number_repeated"),
            (10, "number_missing"),
            (11, "branch_elsewhere"),
            (12, "community_without_branch"),
        ]
        assert "第九支部" in preview.text and "QZ107" in preview.text
        assert "import/confirm" not in preview.text  # no way to import a bad file
    assert count_members(db) == 2
    assert not list_audit(db, action="import_members")


def test_confirming_twice_imports_once(db, admin_client, branches):
    form = confirm_form(upload(admin_client, xlsx(CLEAN), "members.xlsx").text)
    first = admin_client.post("/admin/members/import/confirm", data=form)
    second = admin_client.post("/admin/members/import/confirm", data=form)
    assert first.status_code == second.status_code == 302
    assert count_members(db) == 5
    assert len(list_audit(db, action="import_members")) == 1
    assert len(list_audit(db, action="add_member", actor="wang")) == 3


def test_a_number_registered_after_the_preview_stops_the_whole_import(db, admin_client, branches):
    form = confirm_form(upload(admin_client, xlsx(CLEAN), "members.xlsx").text)
    add_member(db, number="QZ103", name="抢先", request_id=rid())
    refused = admin_client.post("/admin/members/import/confirm", data=form)
    assert refused.status_code == 409
    assert problems(refused.text) == [(4, "number_taken")]
    assert count_members(db) == 3  # QZ101 and QZ102 were not imported either
    assert not list_audit(db, action="import_members")


def test_the_confirm_form_carries_only_the_import_id(db, admin_client, branches):
    form = confirm_form(upload(admin_client, xlsx(CLEAN), "members.xlsx").text)
    assert set(form) == {"import_id"}  # and the CSRF token, off in these tests
    # rows posted along are not read: the staged rows are imported as they were checked
    form["rows"] = '[{"row": 2, "number": "QZ999", "name": "x"}]'
    assert admin_client.post("/admin/members/import/confirm", data=form).status_code == 302
    assert get_member(db, "QZ102").branch == "第二支部"
    assert count_members(db) == 5


@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("members.txt", b"QZ1,a", "xlsx"),
        ("members.xlsx", b"not a zip file", "xlsx"),
        ("members.csv", "姓名,电话\n王五,1390000".encode(), "编号"),
        ("members.csv", b"", ""),
    ],
)
def test_an_unreadable_file_is_refused_with_a_message(db, admin_client, filename, data, message):
    refused = upload(admin_client, data, filename)
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text and message in refused.text


def test_template_has_the_columns_the_import_reads(admin_client):
    response = admin_client.get("/admin/members/import/template.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("members-template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [cell.value for cell in sheet[1]] == HEADER_ZH
    sheet.append(["QZ201", "新人"])
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    assert read_rows("filled.xlsx", buffer.getvalue()) == [
        {
            "row": 2,
            "number": "QZ201",
            "name": "新人",
            "branch": None,
            "community": None,
            "phone": None,
        }
    ]


def test_export_round_trip_into_another_instance(db, admin_client, branches, tmp_path):
    from points.ledger import award_points

    award_points(db, number="QZ001", points=15, reason="理论学习", request_id=rid(), actor="t")
    admin_client.post(
        "/admin/members/QZ002/status", data={"status": "inactive", "request_id": rid()}
    )
    exported = admin_client.get("/admin/members/export.xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["编号", "姓名", "党支部", "社区", "电话", "状态", "积分余额"],
        ["QZ001", "张三", "第一支部", "银枫社区", None, "正常", 15],
        ["QZ002", "李四", "第二支部", "银枫社区", None, "已停用", 0],
    ]

    other, _new = init_instance(tmp_path / "other")
    other_db = connect(other.database)
    for index, branch in enumerate(("第一支部", "第二支部")):
        add_member(
            other_db,
            number=f"X{index}",
            name="占位",
            branch=branch,
            community="银枫社区",
            request_id=rid(),
        )
    rows = read_rows("export.xlsx", exported.data)
    assert import_members(other_db, rows=rows, request_id=rid(), actor="wang").count == 2
    imported = {m.number: m for m in list_members(other_db)}
    for member in list_members(db):
        copy = imported[member.number]
        assert (copy.name, copy.branch, copy.community, copy.phone) == (
            member.name,
            member.branch,
            member.community,
            member.phone,
        )
    other_db.close()


def test_check_import_takes_plain_rows(db, branches):
    checked = check_import(
        db,
        rows=[
            {"number": "qz300", "name": "甲", "branch": "第一支部", "phone": 13900001111},
            {"number": 301, "name": "乙"},
            {"number": 302.0, "name": "丙"},
        ],
    )
    assert checked.ok
    assert [(row.row, row.number, row.phone) for row in checked.rows] == [
        (2, "QZ300", "13900001111"),
        (3, "301", None),
        (4, "302", None),
    ]
    assert check_import(db, rows=[]).problems[0].code == "no_rows"


def test_a_branch_in_two_communities_needs_the_community(db, branches):
    add_member(
        db, number="QZ003", name="王", branch="第一支部", community="金桂社区", request_id=rid()
    )
    [problem] = check_import(
        db, rows=[{"number": "QZ300", "name": "甲", "branch": "第一支部"}]
    ).problems
    assert problem.code == "branch_ambiguous"
    checked = check_import(
        db, rows=[{"number": "QZ300", "name": "甲", "branch": "第一支部", "community": "金桂社区"}]
    )
    assert checked.ok and checked.rows[0].community == "金桂社区"


def test_read_rows_skips_empty_lines_and_keeps_file_row_numbers():
    data = csv_bytes([["QZ1", "甲", None, None, None], [None] * 5, ["QZ2", "乙", None, None, None]])
    assert [(row["row"], row["number"]) for row in read_rows("a.csv", data)] == [
        (2, "QZ1"),
        (4, "QZ2"),
    ]
    with pytest.raises(CornerError) as refused:
        read_rows("a.csv", "编号,名称\n".encode())
    assert refused.value.details["reason"] == "header"


# -- staged on the server, paged, expiring -------------------------------------------------------


def staged_counts(db) -> tuple[int, int, int]:
    return (
        db.execute("SELECT count(*) FROM staged_imports").fetchone()[0],
        db.execute("SELECT count(*) FROM staged_import_rows").fetchone()[0],
        db.execute("SELECT count(*) FROM staged_import_problems").fetchone()[0],
    )


def test_the_preview_pages_through_rows_and_problems(db, admin_client, branches, monkeypatch):
    monkeypatch.setattr(admin_imports, "PAGE_ROWS", 2)
    preview = upload(admin_client, xlsx(CLEAN), "members.xlsx")
    assert re.findall(r'<tr data-number="([^"]+)"', preview.text) == ["QZ101", "QZ102"]
    assert 'data-total="3" data-new="3" data-refused="0"' in preview.text
    import_id = confirm_form(preview.text)["import_id"]
    later = admin_client.get(f"/admin/members/import/{import_id}?page=2")
    assert later.status_code == 200
    assert re.findall(r'<tr data-number="([^"]+)"', later.text) == ["QZ103"]
    assert confirm_form(later.text) == {"import_id": import_id}  # confirm from any page

    bad = [["QZ201", None], ["QZ202", None], ["QZ001", "重复"], ["QZ204", "好"]]
    preview = upload(admin_client, xlsx(bad, HEADER_ZH[:2]), "bad.xlsx")
    assert preview.status_code == 400
    assert 'data-total="4" data-new="1" data-refused="3"' in preview.text
    assert problems(preview.text) == [(2, "name_missing"), (3, "name_missing")]
    import_id = re.search(r"/admin/members/import/([\w-]+)\?page=2", preview.text).group(1)
    later = admin_client.get(f"/admin/members/import/{import_id}?page=2")
    assert problems(later.text) == [(4, "number_taken")]
    assert "import/confirm" not in later.text
    assert count_members(db) == 2


def test_a_staged_import_expires_and_is_cleaned_up(db, admin_client, branches, clock):
    form = confirm_form(upload(admin_client, xlsx(CLEAN), "members.xlsx").text)
    assert staged_counts(db) == (1, 3, 0)
    for _ in range(3):  # an hour and more, with a page now and then (or the login would end)
        clock.advance(STAGED_SECONDS / 3 + 1)
        assert admin_client.get("/admin/members").status_code == 200
    refused = admin_client.post("/admin/members/import/confirm", data=form)
    assert refused.status_code == 404
    page = admin_client.get(f"/admin/members/import/{form['import_id']}")
    assert page.status_code == 302  # back to choosing the file
    assert count_members(db) == 2
    upload(admin_client, xlsx(CLEAN[:1]), "other.xlsx")  # staging anew drops the expired one
    assert staged_counts(db) == (1, 1, 0)


def test_a_newer_file_replaces_the_staged_one_and_no_one_else_may_confirm_it(
    db, admin_client, office, branches
):
    first = confirm_form(upload(admin_client, xlsx(CLEAN), "members.xlsx").text)
    second = confirm_form(upload(admin_client, xlsx(CLEAN[:1]), "one.xlsx").text)
    assert staged_counts(db) == (1, 1, 0)
    assert admin_client.post("/admin/members/import/confirm", data=first).status_code == 404
    make_staff(db, "zhao")
    other = logged_in(office, "zhao")
    assert other.post("/admin/members/import/confirm", data=second).status_code == 404
    assert other.get(f"/admin/members/import/{second['import_id']}").status_code == 302
    assert count_members(db) == 2
    done = admin_client.post("/admin/members/import/confirm", data=second)
    assert done.status_code == 302 and count_members(db) == 3
    assert staged_counts(db) == (1, 0, 0)  # the rows are gone; the header answers a repeat


def test_a_file_refused_while_it_is_read_leaves_nothing_staged(db, admin_client, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ROWS", 30)
    monkeypatch.setattr(member_import, "STAGE_BATCH", 5)  # some batches are written first
    rows = [[f"QZ{n:03d}", "甲", None, None, None] for n in range(100)]
    refused = upload(admin_client, csv_bytes(rows), "members.csv")
    assert refused.status_code == 413
    assert 'data-code="import_too_large"' in refused.text
    assert "最多导入 30 行" in refused.text  # the limit, named (the page is in Chinese)
    assert staged_counts(db) == (0, 0, 0)
    assert count_members(db) == 0
