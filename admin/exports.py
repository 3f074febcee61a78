"""Spreadsheets the office downloads, made so that no cell can run as a formula.

A name such as ``=HYPERLINK("http://e.x","m")`` (typed, or arriving through an import) must
reach Excel or WPS as text. In an ``.xlsx`` every text cell is written as a string cell, never a
formula; in a ``.csv`` (which has no cell types) text that a spreadsheet would evaluate — it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — gets a leading apostrophe.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from points.chain import fingerprint
from points.clock import timestamp
from web.db import get_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: object) -> str:
    """A CSV cell's text; one a spreadsheet would evaluate is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def append_row(sheet: Worksheet, values: Iterable[object], *, bold: bool = False) -> None:
    """Add a row whose text cells are strings, never formulas (numbers stay numbers)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        _as_text(cell)
        if bold:
            cell.font = Font(bold=True)


def _as_text(cell: Cell) -> None:
    if cell.data_type == "f" or isinstance(cell.value, str):
        cell.data_type = "s"


def workbook(
    sheets: Iterable[tuple[str, list[str], Iterable[Iterable[object]]]],
    *,
    widths: tuple[int, ...] = (),
) -> io.BytesIO:
    """An ``.xlsx`` of (title, header, rows) sheets: bold header, frozen, text cells as text.

    A last sheet carries the ledgers' fingerprint (``points.chain``) and the time of the export,
    so the file can later be checked against the database with ``corner verify --at``.
    """
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        append_row(sheet, header, bold=True)
        for row in rows:
            append_row(sheet, row)
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[sheet.cell(1, column).column_letter].width = width
        sheet.freeze_panes = "A2"
    _fingerprint_sheet(book)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def _fingerprint_sheet(book: Workbook) -> None:
    """The last sheet: the ledgers' head as of this export (the member import reads sheet 1)."""
    sheet = book.create_sheet(gettext("Ledger fingerprint")[:31])
    append_row(sheet, [gettext("Ledger fingerprint"), gettext("Exported at")], bold=True)
    append_row(sheet, [fingerprint(get_db()), timestamp()])
    append_row(sheet, [gettext("Check it against the database with: corner verify --at")])
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 30
