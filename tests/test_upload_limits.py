"""No upload can exhaust the machine: zip bombs, lying sheets, huge pictures are refused early.

The bomb is real: a 1.8 MB .xlsx whose sheet inflates to 1.1 GB, uploaded to a real
``corner serve``; the server's peak memory (VmHWM) shows it was never inflated.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
import requests
from openpyxl import Workbook
from PIL import Image

from cards.decode import decode_qr
from points import uploads
from points.errors import MESSAGES, CornerError
from points.members import count_members
from points.uploads import read_table
from tests.admin_support import PASSWORD, csrf_token, make_staff
from web.pictures import prepare_picture

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<dimension ref="%s"/><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def sheet_row(number: int, *cells: str) -> bytes:
    inner = b"".join(
        b'<c t="inlineStr"><is><t>' + cell.encode() + b"</t></is></c>" for cell in cells
    )
    return b'<row r="%d">' % number + inner + b"</row>"


def xlsx_with_sheet(chunks, dimension: bytes = b"A1:B2") -> bytes:
    """A minimal real .xlsx whose one sheet is the given chunks of XML, written streaming."""
    book = Workbook()
    template = io.BytesIO()
    book.save(template)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for member in source.infolist():
            if member.filename != "xl/worksheets/sheet1.xml":
                target.writestr(member.filename, source.read(member))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD % dimension)
            for chunk in chunks:
                sheet.write(chunk)
            sheet.write(SHEET_TAIL)
    return buffer.getvalue()


def bomb_chunks(unpacked: int):
    """Rows of one long repeated cell: deflate packs them about 700:1."""
    row = sheet_row(2, "QZ1", "A" * 60_000)
    chunk = row * (1024 * 1024 // len(row))
    for _ in range(unpacked // len(chunk) + 1):
        yield chunk


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """About 1.8 MB that inflates to more than 1 GB of sheet XML."""
    return xlsx_with_sheet(bomb_chunks(1_100_000_000))


def lying_directory(data: bytes, name: str, claimed: int) -> bytes:
    """The same zip with its central directory claiming ``claimed`` bytes for ``name``."""
    at = 0
    patched = bytearray(data)
    while (at := data.find(b"PK\x01\x02", at + 1)) != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length] == name.encode():
            struct.pack_into("<I", patched, at + 24, claimed)  # uncompressed size
            return bytes(patched)
    raise AssertionError(f"{name} not in the zip")


def refusal(filename: str, data: bytes) -> CornerError:
    with pytest.raises(CornerError) as refused:
        for _row in read_table(filename, io.BytesIO(data)):
            pass
    return refused.value


# -- the rules, on files built by hand ---------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory(bomb):
    assert len(bomb) < 2_500_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size > 1_000_000_000  # it is a real bomb
    error = refusal("members.xlsx", bomb)
    assert error.code == "import_too_large"
    assert error.details["limit"] == "sheet_bytes"


def test_a_small_bomb_is_refused_by_its_compression_ratio():
    error = refusal("members.xlsx", xlsx_with_sheet(bomb_chunks(50_000_000)))
    assert (error.code, error.details["limit"]) == ("import_too_large", "ratio")


def test_a_directory_that_lies_about_the_size_gains_nothing():
    # the directory says 5,000 bytes: zipfile inflates no more than that, then the XML ends
    data = lying_directory(
        xlsx_with_sheet(bomb_chunks(200_000_000)), "xl/worksheets/sheet1.xml", 5_000
    )
    error = refusal("members.xlsx", data)
    assert (error.code, error.details["reason"]) == ("invalid_request", "xlsx")


def test_a_sheet_whose_dimension_claims_too_much_is_refused_before_reading():
    data = xlsx_with_sheet([sheet_row(1, "编号", "姓名")], dimension=b"A1:E1048576")
    assert refusal("members.xlsx", data).details["limit"] == "rows"
    data = xlsx_with_sheet([sheet_row(1, "编号", "姓名")], dimension=b"A1:XFD2")
    assert refusal("members.xlsx", data).details["limit"] == "columns"


def test_a_sheet_whose_dimension_lies_stops_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ROWS", 50)
    rows = [sheet_row(n, f"QZ{n}", "甲") for n in range(1, 200)]
    assert refusal("members.xlsx", xlsx_with_sheet(rows)).details["limit"] == "rows"
    assert refusal("members.csv", b"a,b\r\n" * 200).details["limit"] == "rows"


def test_a_row_of_too_many_cells_or_a_cell_too_long_is_refused():
    wide = b'<row r="1">' + b"<c/>" * 100_000 + b"</row>"  # no column numbers: counted
    assert refusal("members.xlsx", xlsx_with_sheet([wide])).details["limit"] == "columns"
    far = b'<row r="1"><c r="ZZ1" t="inlineStr"><is><t>x</t></is></c></row>'
    assert refusal("members.xlsx", xlsx_with_sheet([far])).details["limit"] == "columns"
    long = [sheet_row(1, "编号", "A" * 20_000)]
    assert refusal("members.xlsx", xlsx_with_sheet(long)).details["limit"] == "cell_chars"
    assert refusal("members.csv", b"a," * 100 + b"\r\n").details["limit"] == "columns"
    assert refusal("members.csv", b"a," + b"b" * 20_000).details["limit"] == "cell_chars"
    assert refusal("members.csv", b'"' + b"b" * 200_000).details["limit"] == "cell_chars"


def test_a_zip_with_odd_entries_is_no_spreadsheet():
    for name in ("../../evil.xml", "/etc/passwd", "xl\\sheet.xml", "nested.xlsx", "a.zip"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(name, b"x")
        error = refusal("members.xlsx", buffer.getvalue())
        assert (error.code, error.details["reason"]) == ("invalid_request", "xlsx"), name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(uploads.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"part{index}.xml", b"x")
    assert refusal("members.xlsx", buffer.getvalue()).details["limit"] == "zip_members"


def with_part(name: str, change) -> bytes:
    """A real .xlsx of one header row, with one part changed by ``change(bytes) -> bytes``."""
    book = Workbook()
    book.active.append(["编号", "姓名"])
    source = io.BytesIO()
    book.save(source)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in original.infolist():
            data = original.read(member)
            target.writestr(member.filename, change(data) if member.filename == name else data)
    return buffer.getvalue()


def test_a_million_cell_formats_cost_no_memory():
    # openpyxl's own stylesheet reader makes an object of each: 120 MB for this 1 MB part
    styles = with_part(
        "xl/styles.xml",
        lambda xml: xml.replace(
            b'<cellXfs count="1">', b'<cellXfs count="1">' + b"<xf/>" * 200_000
        ),
    )
    tracemalloc.start()
    try:
        assert list(read_table("members.xlsx", io.BytesIO(styles))) == [(1, ["编号", "姓名"])]
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    bloated = with_part("xl/workbook.xml", lambda xml: xml + b" " * uploads.MAX_PARSED_PART_BYTES)
    assert refusal("members.xlsx", bloated).details["limit"] == "part_bytes"


def test_a_file_over_the_size_limit_is_refused_unread(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    assert refusal("members.csv", b"a,b\r\n" * 1000).details["limit"] == "file_bytes"


def test_the_message_names_the_limits_it_says():
    text = MESSAGES["import_too_large"]
    assert f"{uploads.MAX_FILE_BYTES // uploads.MB} MB" in text
    assert f"{uploads.MAX_ROWS:,} rows" in text
    assert f"{uploads.MAX_COLUMNS} columns" in text
    assert f"{uploads.MAX_UNPACKED_BYTES // uploads.MB} MB once unpacked" in text


# -- pictures ----------------------------------------------------------------------------------


def huge_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A small PNG whose header claims a huge picture (the pixel data is a stub)."""
    small = io.BytesIO()
    Image.new("L", (1, 1)).save(small, format="PNG")
    data = bytearray(small.getvalue())
    struct.pack_into(">II", data, 16, width, height)  # IHDR's width and height
    # the IHDR checksum must still match, or Pillow refuses the file as damaged, not as large
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def huge_jpeg(width: int = 50_000, height: int = 50_000) -> bytes:
    small = io.BytesIO()
    Image.new("RGB", (8, 8)).save(small, format="JPEG")
    data = bytearray(small.getvalue())
    at = data.index(b"\xff\xc0")  # the frame header: length, precision, height, width
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


@pytest.mark.parametrize("picture", [huge_png(), huge_jpeg()], ids=["png", "jpeg"])
def test_a_picture_whose_header_claims_50000_by_50000_is_refused(picture):
    with pytest.raises(CornerError) as refused:
        uploads.open_picture(picture, max_bytes=10_000_000, max_pixels=40_000_000)
    assert (refused.value.code, refused.value.details["reason"]) == ("image_invalid", "pixels")


def test_goods_picture_and_camera_frame_refuse_a_huge_claim(admin_client, instance):
    for picture in (huge_png(), huge_jpeg()):
        with pytest.raises(CornerError) as refused:
            prepare_picture(picture)
        assert refused.value.details == {"field": "picture", "reason": "too_many_pixels"}
        with pytest.raises(CornerError) as refused:
            decode_qr(picture)
        assert refused.value.details["reason"] == "pixels"
    answer = admin_client.post(
        "/admin/goods/new",
        data={"name": "大图", "points": "5", "picture": (io.BytesIO(huge_png()), "big.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    assert "8000 × 5000" in answer.text  # the pixel limit, named
    assert not any(Path(instance.pictures).glob("*.png"))


# -- the real server ---------------------------------------------------------------------------


def peak_memory(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.server
def test_the_server_refuses_a_bomb_without_inflating_it(instance, db, serve, bomb):
    make_staff(db)
    server = serve()
    browser = requests.Session()
    token = csrf_token(browser.get(server.url + "/admin/login").text)
    logged = browser.post(
        server.url + "/admin/login",
        data={"username": "wang", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert logged.status_code == 302

    def upload(name: str, data: bytes) -> requests.Response:
        token = csrf_token(browser.get(server.url + "/admin/members/import").text)
        return browser.post(
            server.url + "/admin/members/import",
            data={"csrf_token": token},
            files={"file": (name, data, XLSX)},
        )

    refused = upload("members.xlsx", bomb)
    assert refused.status_code == 413
    assert 'data-code="import_too_large"' in refused.text
    assert "160 MB" in refused.text  # the limit it is over, named
    lying = lying_directory(bomb, "xl/worksheets/sheet1.xml", 5_000)
    assert upload("members.xlsx", lying).status_code == 400
    # a body over the upload limit is refused before it is read, with the same code
    too_big = upload("members.csv", b"a" * (uploads.MAX_FILE_BYTES + 2 * uploads.MB))
    assert too_big.status_code == 413 and "20 MB" in too_big.text
    assert peak_memory(server.process.pid) < 300 * 1024 * 1024
    assert count_members(db) == 0
    assert db.execute("SELECT count(*) FROM staged_imports").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM staged_import_rows").fetchone() == (0,)
