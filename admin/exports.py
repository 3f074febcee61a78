"""Spreadsheets the office downloads, made so that no cell can run as a formula.

A name such as ``=HYPERLINK("http://e.x","m")`` (typed, or arriving through an import) must
reach Excel or WPS as text. In an ``.xlsx`` every text cell is written as a string cell, never a
formula; in a ``.csv`` (which has no cell types) text that a spreadsheet would evaluate — it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — gets a leading apostrophe.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

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
    """An ``.xlsx`` of (title, header, rows) sheets: bold header, frozen, text cells as text."""
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
    if not book.sheetnames:
        book.create_sheet("-")
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer
