"""Members in and out of spreadsheets: import .xlsx/.csv with a preview, export .xlsx, a template.

Reading a file (which sheet, which header says what, which encoding) happens here; what makes a
row good or bad is the core's (points.member_import). Nothing is written until the admin
confirms a file whose every row passed; the confirmed rows travel back in the confirm form and
are checked once more inside the import's transaction.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import warnings
import zipfile

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from admin.blueprint import blueprint
from admin.exports import workbook
from admin.forms import flash_errors
from points.clock import now
from points.errors import N_
from points.member_import import FIELDS, check_import, import_members
from points.members import list_members
from web.auth import accepts_uploads
from web.db import get_db
from web.errors import shown_on

UPLOAD_LIMIT = 4 * 1024 * 1024  # a few thousand members; the app's default limit is 64 KB
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# header cell (lower case, no spaces) -> field; Chinese and English, as staff type them
HEADERS = {
    **dict.fromkeys(
        ["编号", "党员编号", "会员编号", "number", "membernumber", "no", "no."], "number"
    ),
    **dict.fromkeys(["姓名", "名字", "name"], "name"),
    **dict.fromkeys(["党支部", "支部", "所在支部", "branch", "partybranch"], "branch"),
    **dict.fromkeys(["社区", "所在社区", "community"], "community"),
    **dict.fromkeys(["电话", "手机", "手机号", "联系电话", "phone", "mobile"], "phone"),
}
# the columns of the template and the export, in the page's language (the reader knows both)
COLUMN_LABELS = {
    "number": lazy_gettext("Number"),
    "name": lazy_gettext("Name"),
    "branch": lazy_gettext("Party branch"),
    "community": lazy_gettext("Community"),
    "phone": lazy_gettext("Phone"),
}


class FileProblem(Exception):
    """The file as a whole cannot be read; the message is a msgid."""


def _cells_xlsx(data: bytes) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # files saved by WPS or older Excel make openpyxl warn about styles it ignores
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise FileProblem(N_("This file could not be read as an .xlsx spreadsheet.")) from error
    try:
        sheet = book.worksheets[0]
        return [
            (number, list(row)) for number, row in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    finally:
        book.close()


def _cells_csv(data: bytes) -> list[tuple[int, list]]:
    # Excel on a Chinese Windows saves CSV as GBK; everything else as UTF-8 (maybe with a BOM)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(N_("This file could not be read as a .csv file."))
    return list(enumerate(csv.reader(io.StringIO(text, newline="")), 1))


def read_rows(filename: str, data: bytes) -> list[dict]:
    """The member rows of an .xlsx or .csv file, each with ``row``, its line in the file."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        table = _cells_xlsx(data)
    elif suffix == "csv":
        table = _cells_csv(data)
    else:
        raise FileProblem(N_("Please choose an .xlsx or .csv file."))
    table = [(line, cells) for line, cells in table if any(_filled(cell) for cell in cells)]
    if not table:
        raise FileProblem(N_("The file is empty."))
    _line, header = table[0]
    columns = {}
    for index, cell in enumerate(header):
        key = str(cell or "").replace(" ", "").replace("*", "").strip().lower()
        if key in HEADERS and HEADERS[key] not in columns.values():
            columns[index] = HEADERS[key]
    if not {"number", "name"} <= set(columns.values()):
        raise FileProblem(
            N_("The first row must name the columns; 编号 (number) and 姓名 (name) are needed.")
        )
    return [
        {
            "row": line,
            **{field: (cells[i] if i < len(cells) else None) for i, field in columns.items()},
        }
        for line, cells in table[1:]
    ]


def _filled(cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def _workbook(title: str, header: list[str], rows: list[list]) -> io.BytesIO:
    return workbook([(title, header, rows)], widths=(12, 12, 20, 20, 18, 10, 10))


def _new_request_id() -> str:
    return f"import-{uuid.uuid4()}"


class UploadForm(FlaskForm):
    file = FileField(
        lazy_gettext("Spreadsheet (.xlsx or .csv)"),
        validators=[FileRequired(lazy_gettext("Please choose a file."))],
    )


class ConfirmForm(FlaskForm):
    request_id = HiddenField()
    source = HiddenField()
    rows = HiddenField()


@blueprint.route("/members/import", methods=["GET", "POST"])
@accepts_uploads(UPLOAD_LIMIT)
def members_import():
    form = UploadForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("admin/imports/upload.html", form=form), status
    upload = form.file.data
    filename = upload.filename or ""
    try:
        rows = read_rows(filename, upload.read())
    except FileProblem as problem:
        form.file.errors = [gettext(str(problem))]
        return render_template("admin/imports/upload.html", form=form), 400
    checked = check_import(get_db(), rows=rows)
    confirm = ConfirmForm(
        formdata=None,
        request_id=_new_request_id(),
        source=filename,
        rows=json.dumps(rows, ensure_ascii=False, default=str),
    )
    page = render_template(
        "admin/imports/preview.html",
        form=UploadForm(formdata=None),
        confirm=confirm,
        checked=checked,
        total=len(rows),
        source=filename,
    )
    return page, 200 if checked.ok else 400


@blueprint.post("/members/import/confirm")
@accepts_uploads(UPLOAD_LIMIT)  # the confirmed rows come back in the form
def members_import_confirm():
    form = ConfirmForm()
    try:
        rows = json.loads(form.rows.data or "")
    except ValueError:
        abort(400)
    if not form.validate_on_submit() or not isinstance(rows, list):
        abort(400)
    with shown_on(form) as refusal:
        result = import_members(
            get_db(),
            rows=[row for row in rows if isinstance(row, dict)],
            request_id=form.request_id.data,
            actor=g.staff.username,
            source=form.source.data or None,
        )
        flash(gettext("Imported %(count)s members.", count=result.count))
        return redirect(url_for("admin.members"))
    checked = check_import(get_db(), rows=rows)
    if not checked.ok:
        # a number was registered since the preview: show the file's problems again, write nothing
        page = render_template(
            "admin/imports/preview.html",
            form=UploadForm(formdata=None),
            confirm=form,
            checked=checked,
            total=len(rows),
            source=form.source.data,
        )
        return page, 409  # the file now clashes with members registered since its preview
    # refused for another reason (the message is above the form): choose the file again
    flash_errors(form)
    page = render_template("admin/imports/upload.html", form=UploadForm(formdata=None))
    return page, refusal.status


@blueprint.get("/members/import/template.xlsx")
def members_import_template():
    header = [str(COLUMN_LABELS[field]) for field in FIELDS]
    buffer = _workbook(gettext("Members"), header, [])
    return send_file(
        buffer, mimetype=XLSX, as_attachment=True, download_name="members-template.xlsx"
    )


@blueprint.get("/members/export.xlsx")
def members_export():
    header = [str(COLUMN_LABELS[field]) for field in FIELDS]
    header += [gettext("Status"), gettext("Balance")]
    status = {"active": gettext("Active"), "inactive": gettext("Inactive")}
    rows = [
        [
            member.number,
            member.name,
            member.branch,
            member.community,
            member.phone,
            status.get(member.status, member.status),
            member.balance,
        ]
        for member in list_members(get_db())
    ]
    buffer = _workbook(gettext("Members"), header, rows)
    name = f"members-{now().date().isoformat()}.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)
