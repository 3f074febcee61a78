"""Members in and out of spreadsheets: import .xlsx/.csv with a paged preview, export .xlsx.

An upload is opened by the core's one safe reader (``points.uploads.read_table``: limits checked
before reading, the sheet streamed) and staged on the server by ``points.member_import``: checked
once, kept under an import id. The preview pages through the staged rows or their problems; the
confirm form posts only the import id, and the core imports the staged rows in one transaction,
or none. Nothing is written to the members until the admin confirms a file whose every row
passed.
"""

from __future__ import annotations

import io
import math

from flask import flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from admin.blueprint import blueprint
from admin.exports import workbook
from points.clock import now
from points.errors import CornerError
from points.member_import import (
    FIELDS,
    StagedImport,
    confirm_import,
    member_rows,
    stage_import,
    staged_import,
    staged_problems,
    staged_rows,
)
from points.members import list_members
from points.uploads import MAX_FILE_BYTES, MAX_ROWS, MB, read_table
from web.auth import accepts_uploads
from web.db import get_db
from web.errors import STATUS, message

# the body of an upload: the file's limit and room for the form around it; a larger body is
# refused before it is read (413, import_too_large), a file just over the limit by the core
UPLOAD_LIMIT = MAX_FILE_BYTES + 1 * MB
PAGE_ROWS = 100  # rows or problems on one preview page
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# the columns of the template and the export, in the page's language (the reader knows both)
COLUMN_LABELS = {
    "number": lazy_gettext("Number"),
    "name": lazy_gettext("Name"),
    "branch": lazy_gettext("Party branch"),
    "community": lazy_gettext("Community"),
    "phone": lazy_gettext("Phone"),
}

# why a file could not be read (points.uploads and points.member_import say ``reason``)
UNREADABLE = {
    "file_type": lazy_gettext("Please choose an .xlsx or .csv file."),
    "xlsx": lazy_gettext("This file could not be read as an .xlsx spreadsheet."),
    "csv": lazy_gettext("This file could not be read as a .csv file."),
    "empty": lazy_gettext("The file is empty."),
    "header": lazy_gettext(
        "The first row must name the columns; 编号 (number) and 姓名 (name) are needed."
    ),
}
# which limit a file is over (import_too_large's ``limit``); %(n)s is the limit's figure
TOO_LARGE = {
    "file_bytes": lazy_gettext("This file is too large: a file may be at most %(n)s MB."),
    "rows": lazy_gettext(
        "This file has too many rows: at most %(n)s rows can be imported at once."
        " Please split it into smaller files."
    ),
    "columns": lazy_gettext("This file has too many columns: at most %(n)s."),
    "cell_chars": lazy_gettext("A cell of this file is too long: at most %(n)s characters."),
    "zip_members": lazy_gettext("This spreadsheet has too many parts: at most %(n)s."),
    "unpacked_bytes": lazy_gettext(
        "This spreadsheet is too large once unpacked: at most %(n)s MB. It was not read."
    ),
    "sheet_bytes": lazy_gettext(
        "This spreadsheet's sheet is too large once unpacked: at most %(n)s MB. It was not read."
    ),
    "strings_bytes": lazy_gettext(
        "This spreadsheet holds too much text: at most %(n)s MB once unpacked. It was not read."
    ),
    "part_bytes": lazy_gettext(
        "A part of this spreadsheet is too large once unpacked: at most %(n)s MB. It was not read."
    ),
    "ratio": lazy_gettext(
        "This spreadsheet is packed more than %(n)s times tighter than any real spreadsheet"
        " (a zip bomb). It was not read."
    ),
}
_IN_MB = {"file_bytes", "unpacked_bytes", "sheet_bytes", "strings_bytes", "part_bytes"}


def refusal_text(error: CornerError) -> str:
    """What is wrong with an uploaded file, in plain words, naming the limit it is over."""
    if error.code == "import_too_large":
        limit = error.details.get("limit")
        figure = error.details.get("maximum", 0)
        figure = figure // MB if limit in _IN_MB else figure
        if limit in TOO_LARGE:
            return str(TOO_LARGE[limit]) % {"n": f"{figure:,}"}
        return message(error.code)
    reason = error.details.get("reason")
    if error.details.get("field") == "file" and reason in UNREADABLE:
        return str(UNREADABLE[reason])
    return message(error.code)


def _workbook(title: str, header: list[str], rows: list[list]) -> io.BytesIO:
    return workbook([(title, header, rows)], widths=(12, 12, 20, 20, 18, 10, 10))


class UploadForm(FlaskForm):
    file = FileField(
        lazy_gettext("Spreadsheet (.xlsx or .csv)"),
        validators=[FileRequired(lazy_gettext("Please choose a file."))],
    )


class ConfirmForm(FlaskForm):
    """Only the staged import's id: the rows stay on the server."""

    import_id = HiddenField()


def _upload_page(form: UploadForm, status: int, code: str | None = None):
    page = render_template(
        "admin/imports/upload.html",
        form=form,
        code=code,
        max_rows=MAX_ROWS - 1,  # the header is a row too
        max_mb=MAX_FILE_BYTES // MB,
    )
    return page, status


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _preview(
    staged: StagedImport,
    page: int,
    problems: list | None = None,
    count: int | None = None,
    status: int | None = None,
):
    """One page of a staged import: its counts, and its rows (clean) or its problems."""
    db = get_db()
    if problems is not None:  # refused on confirming: the problems found then, all on one page
        shown, pages = problems, 1
    elif staged.ok:
        pages = max(1, math.ceil(staged.good / PAGE_ROWS))
        page = min(page, pages)
        shown = staged_rows(db, staged, offset=(page - 1) * PAGE_ROWS, limit=PAGE_ROWS)
    else:
        pages = max(1, math.ceil(staged.problems / PAGE_ROWS))
        page = min(page, pages)
        shown = staged_problems(db, staged, offset=(page - 1) * PAGE_ROWS, limit=PAGE_ROWS)
    clean = staged.ok and problems is None
    body = render_template(
        "admin/imports/preview.html",
        form=UploadForm(formdata=None),
        confirm=ConfirmForm(formdata=None, import_id=staged.id),
        staged=staged,
        clean=clean,
        rows=shown if clean else [],
        problems=[] if clean else shown,
        problem_count=(count or len(problems)) if problems is not None else staged.problems,
        page=page,
        pages=pages,
    )
    return body, status or (200 if clean else 400)


@blueprint.route("/members/import", methods=["GET", "POST"])
@accepts_uploads(UPLOAD_LIMIT, too_large="import_too_large")
def members_import():
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 400 if request.method == "POST" else 200)
    upload = form.file.data
    try:
        table = read_table(upload.filename or "", upload.stream)
        staged = stage_import(
            get_db(),
            rows=member_rows(table),
            staff=g.staff.username,
            source=upload.filename or None,
        )
    except CornerError as error:
        form.file.errors = [refusal_text(error)]
        return _upload_page(form, STATUS[error.code], error.code)
    return _preview(staged, 1)


@blueprint.get("/members/import/<import_id>")
def members_import_preview(import_id: str):
    """Another page of a staged import's preview."""
    try:
        staged = staged_import(get_db(), import_id, staff=g.staff.username)
    except CornerError:
        flash(gettext("This check of the file has expired. Please choose the file again."), "error")
        return redirect(url_for("admin.members_import"))
    return _preview(staged, _page_number())


@blueprint.post("/members/import/confirm")
def members_import_confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _upload_page(UploadForm(formdata=None), 400)
    db = get_db()
    try:
        result = confirm_import(db, import_id=form.import_id.data, staff=g.staff.username)
    except CornerError as error:
        problems = error.details.get("problems")
        if problems is None:  # expired, or not this admin's: choose the file again
            flash(
                gettext("This check of the file has expired. Please choose the file again."),
                "error",
            )
            return _upload_page(UploadForm(formdata=None), 404)
        # a number was registered since the preview: show the file's problems, write nothing
        staged = staged_import(db, form.import_id.data, staff=g.staff.username)
        return _preview(staged, 1, list(problems), error.details.get("count"), status=409)
    flash(gettext("Imported %(count)s members.", count=result.count))
    return redirect(url_for("admin.members"))


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
