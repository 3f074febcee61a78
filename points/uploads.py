"""Files from outside, opened so that no file can exhaust the machine: spreadsheets and pictures.

An upload is checked by what it says about itself before any of it is unpacked, then read in
bounded steps:

- an .xlsx is a zip: its directory gives every member's packed and unpacked size, so a total or a
  part over its limit, a compression ratio only a zip bomb has, too many members or odd names are
  refused before one byte is inflated. (Python's zipfile stops inflating a member at the size the
  directory gives and then fails its checksum, so a directory that lies gains nothing.) The
  sheet's ``<dimension>`` is checked next, then the sheet is read streaming, one row at a time,
  and reading stops at the row, column or cell limit whatever the dimension said;
- a .csv is read streaming too, with the same row, column and cell limits;
- a picture's width and height are read from its header and refused before a pixel is decoded.

``read_table`` is the one way to read a spreadsheet upload: the member import uses it, and so
will any later import (staff, standards, scores). A file over a limit is ``import_too_large``
with ``limit`` (which one) and ``maximum`` (its figure); a file that cannot be read is
``invalid_request`` on the field ``file`` with a ``reason``.
"""

from __future__ import annotations

import codecs
import csv
import io
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import ParseError, iterparse

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser, _cast_number
from openpyxl.xml.constants import SHEET_MAIN_NS
from PIL import Image, JpegImagePlugin, PngImagePlugin

from points.errors import CornerError

MB = 1024 * 1024

# -- the limits of a spreadsheet upload (a 100,000-member file must fit with room to spare) -------
MAX_FILE_BYTES = 20 * MB  # the file as uploaded; 100,000 members are 2.5 MB of .xlsx, 5 MB of .csv
MAX_ROWS = 200_000  # rows read, the header included
MAX_COLUMNS = 64  # cells in a row, and the widest <dimension> accepted
MAX_CELL_CHARS = 10_000  # the text of one cell
# the .xlsx zip, from its directory
MAX_ZIP_MEMBERS = 256  # Excel and WPS write about a dozen parts
MAX_UNPACKED_BYTES = 256 * MB  # all parts together, unpacked
MAX_SHEET_BYTES = 160 * MB  # one sheet unpacked: 100,000 members are about 31 MB of sheet XML
MAX_STRINGS_BYTES = 16 * MB  # the shared strings, which openpyxl holds in memory whole
MAX_PART_BYTES = 16 * MB  # any other part (theme, pictures; not parsed)
MAX_PARSED_PART_BYTES = 512 * 1024  # a part openpyxl parses whole: workbook, manifest, rels
MAX_STYLE_BYTES = 16 * MB  # the styles, read streaming for the date formats only
MAX_STYLES = 65_000  # cell formats looked at (Excel allows 64,000); any more are not dates
MAX_RATIO = 100  # unpacked : packed of a part; a real sheet is 10-30, a zip bomb 1,000
RATIO_FLOOR = 1 * MB  # a part smaller than this unpacked may have any ratio (tiny, repetitive)
MAX_CELL_PARTS = 64  # XML elements in one cell (value, rich text runs)
MAX_HEAD_ELEMENTS = 20_000  # XML elements before a sheet's cells (column widths and the like)

# -- the limits of a picture --------------------------------------------------------------------
MAX_PICTURE_PIXELS = 40_000_000  # a phone photo is 12-50 MP; a 50,000 x 50,000 claim is refused

# Pillow's own check, for any Image.open anywhere in the program: warn past this, refuse at twice
# this. Our openers below check the header against their own (smaller) limit first.
Image.MAX_IMAGE_PIXELS = MAX_PICTURE_PIXELS

_NS = f"{{{SHEET_MAIN_NS}}}"
_ROW, _CELL, _DATA, _DIMENSION = _NS + "row", _NS + "c", _NS + "sheetData", _NS + "dimension"
_VALUE, _INLINE, _TEXT, _RUN = _NS + "v", _NS + "is", _NS + "t", _NS + "r"
_STRINGS_PART = "xl/sharedStrings.xml"
_STYLES_PART = "xl/styles.xml"
_PARSED_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}
_SHEET_PREFIX = "xl/worksheets/"


def too_large(limit: str, maximum: int) -> CornerError:
    """The refusal of a file over one of the limits above: which, and its figure."""
    return CornerError("import_too_large", field="file", limit=limit, maximum=maximum)


def unreadable(reason: str) -> CornerError:
    """The refusal of a file that is not what its name says, or is damaged."""
    return CornerError("invalid_request", field="file", reason=reason)


# -- spreadsheets ------------------------------------------------------------------------------


def read_table(filename: str, stream: BinaryIO) -> Iterator[tuple[int, list]]:
    """The rows of an uploaded .xlsx (its first sheet) or .csv: (row number in the file, cells).

    The checks that need no reading (size, the zip directory, the sheet's dimension) run before
    this returns, so a bomb is refused at once; the rest are applied while the caller iterates.
    Empty rows are not skipped; a row's cells are as many as the row has (at most MAX_COLUMNS).
    """
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in ("xlsx", "csv"):
        raise unreadable("file_type")
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > MAX_FILE_BYTES:
        raise too_large("file_bytes", MAX_FILE_BYTES)
    if suffix == "csv":
        return _bounded(_csv_rows(stream))
    return _bounded(_xlsx_rows(stream))


def _bounded(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """Stop at the row limit and refuse a row or a cell over its limit, whatever the file said."""
    count = 0
    for line, cells in rows:
        count += 1
        if count > MAX_ROWS:
            raise too_large("rows", MAX_ROWS)
        if len(cells) > MAX_COLUMNS:
            raise too_large("columns", MAX_COLUMNS)
        for cell in cells:
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise too_large("cell_chars", MAX_CELL_CHARS)
        yield line, cells


def _csv_encoding(stream: BinaryIO) -> str:
    """UTF-8 (maybe with a BOM) if the whole file decodes as such, else GB18030 (Excel in China)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(64 * 1024):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    stream.seek(0)
    return encoding


def _csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list]]:
    encoding = _csv_encoding(stream)
    text = io.TextIOWrapper(_Unclosed(stream), encoding=encoding, newline="")
    try:
        # csv's own field limit (128 KB) is above MAX_CELL_CHARS, so a long cell is read whole
        # once and then refused by _bounded; a longer one is refused here
        yield from enumerate(csv.reader(text), 1)
    except UnicodeDecodeError:
        raise unreadable("csv") from None
    except csv.Error as error:
        if "field limit" in str(error):
            raise too_large("cell_chars", MAX_CELL_CHARS) from None
        raise unreadable("csv") from None  # a NUL byte, a quote left open at the end
    finally:
        text.detach()


class _Unclosed(io.RawIOBase):
    """A view of an upload's stream that TextIOWrapper can read and never closes."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose directory shows a bomb or something no spreadsheet has in it."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise too_large("zip_members", MAX_ZIP_MEMBERS)
    total = 0
    names = set()
    for member in members:
        name = member.filename
        if (
            name in names
            or name.startswith(("/", "\\"))
            or "\\" in name
            or ".." in name.split("/")
            or ":" in name
            or member.flag_bits & 0x1  # encrypted
            or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or name.lower().endswith((".zip", ".xlsx", ".xlsm", ".jar", ".7z", ".rar", ".gz"))
        ):
            raise unreadable("xlsx")
        names.add(name)
        size = member.file_size
        total += size
        if name == _STRINGS_PART:
            limit, maximum = "strings_bytes", MAX_STRINGS_BYTES
        elif name == _STYLES_PART:
            limit, maximum = "part_bytes", MAX_STYLE_BYTES
        elif name in _PARSED_PARTS or name.endswith(".rels"):
            limit, maximum = "part_bytes", MAX_PARSED_PART_BYTES
        elif name.startswith(_SHEET_PREFIX) and name.endswith(".xml"):
            limit, maximum = "sheet_bytes", MAX_SHEET_BYTES
        else:
            limit, maximum = "part_bytes", MAX_PART_BYTES
        if size > maximum:
            raise too_large(limit, maximum)
        if size > RATIO_FLOOR and size > MAX_RATIO * max(member.compress_size, 1):
            raise too_large("ratio", MAX_RATIO)
    if total > MAX_UNPACKED_BYTES:
        raise too_large("unpacked_bytes", MAX_UNPACKED_BYTES)


def _xlsx_rows(stream: BinaryIO) -> Iterator[tuple[int, list]]:
    # openpyxl's own load_workbook is not used: even read-only it parses every sheet once on
    # opening to find its <dimension> (all of it when there is none), keeping every row it
    # passed, and builds an object for every cell format (1 MB of them is 120 MB); its parts
    # are used instead (the manifest, shared strings, workbook), the styles are read here
    try:
        with zipfile.ZipFile(stream) as archive:
            check_archive(archive)
        stream.seek(0)
        with warnings.catch_warnings():
            # files saved by WPS or older Excel make openpyxl warn about styles it ignores
            warnings.simplefilter("ignore")
            reader = ExcelReader(stream, read_only=True, data_only=True)
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            path = _first_sheet(reader)
            dates = _date_styles(reader.archive)
    except CornerError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, ParseError, EOFError):
        raise unreadable("xlsx") from None
    try:
        _check_dimension(reader.archive, path)
    except BaseException:
        reader.archive.close()
        raise
    return _sheet_rows(reader, path, dates)


def _date_styles(archive: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """The cell formats (style ids) that show a date, and those that show a duration.

    Read streaming, each element dropped once read, at most MAX_STYLES formats.
    """
    if _STYLES_PART not in archive.namelist():
        return set(), set()
    codes = dict(BUILTIN_FORMATS)
    formats: list[int] = []
    parents: list = []
    in_cell_formats = False
    with archive.open(_STYLES_PART) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag
            if event == "start":
                parents.append(element)
                if tag == _NS + "cellXfs":
                    in_cell_formats = True
                elif tag == _NS + "numFmt":
                    codes[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
                elif tag == _NS + "xf" and in_cell_formats and len(formats) < MAX_STYLES:
                    formats.append(int(element.get("numFmtId", "0")))
                continue
            parents.pop()
            if tag == _NS + "cellXfs":
                in_cell_formats = False
            if parents:
                element.clear()
                parents[-1].remove(element)
    dates = {index for index, code in enumerate(formats) if is_date_format(codes.get(code, ""))}
    spans = {index for index in dates if is_timedelta_format(codes.get(formats[index], ""))}
    return dates, spans


def _first_sheet(reader: ExcelReader) -> str:
    """The path of the workbook's first worksheet (not a chart sheet) in the zip."""
    names = set(reader.archive.namelist())
    for _sheet, relation in reader.parser.find_sheets():
        if relation.Type.endswith("/worksheet") and relation.target in names:
            return relation.target
    raise unreadable("xlsx")


def _check_dimension(archive: zipfile.ZipFile, path: str) -> None:
    """Refuse a sheet whose ``<dimension>`` says it is over the row or column limit.

    Only the sheet's head is read, up to ``<sheetData>``; the dimension may be missing or lie,
    which reading the rows then catches.
    """
    seen = 0
    try:
        with archive.open(path) as source:
            for _event, element in iterparse(source, events=("start",)):
                seen += 1
                if element.tag == _DATA:
                    return
                if element.tag == _DIMENSION:
                    reference = element.get("ref", "")
                    _min_col, _min_row, max_col, max_row = range_boundaries(
                        reference.split(":")[-1]
                    )
                    if (max_col or 0) > MAX_COLUMNS:
                        raise too_large("columns", MAX_COLUMNS)
                    if (max_row or 0) > MAX_ROWS:
                        raise too_large("rows", MAX_ROWS)
                    return
                if seen > MAX_HEAD_ELEMENTS:
                    raise too_large("columns", MAX_COLUMNS)
    except CornerError:
        raise
    except (ParseError, ValueError, TypeError, zipfile.BadZipFile, zlib.error, EOFError):
        raise unreadable("xlsx") from None


def _sheet_rows(
    reader: ExcelReader, path: str, dates: tuple[set[int], set[int]]
) -> Iterator[tuple[int, list]]:
    """Stream the sheet's rows, holding one row's cells at a time (not openpyxl's own reader).

    openpyxl's reader keeps each whole row in memory before it looks at it and pads gaps in the
    row numbers with empty rows, so one row of ten million cells, or a jump to row 1,048,576,
    costs gigabytes or minutes; here every element is dropped once read, a row stops at the
    column limit, and reading ends with ``<sheetData>``.
    """
    book = reader.wb
    try:
        with reader.archive.open(path) as source, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = WorkSheetParser(
                source,
                reader.shared_strings,
                data_only=True,
                epoch=book.epoch,
                date_formats=dates[0],
                timedelta_formats=dates[1],
            )
            parents: list = []  # the open elements outside any cell, outermost first
            in_cell = False
            cells: list = []
            parts = 0
            for event, element in iterparse(source, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if in_cell:  # a value or a run of rich text: kept until the cell ends
                        parts += 1
                        if parts > MAX_CELL_PARTS:
                            raise too_large("cell_chars", MAX_CELL_CHARS)
                        continue
                    if tag == _CELL:
                        in_cell, parts = True, 0
                    elif tag == _ROW:
                        _start_row(parser, element)
                        cells = []
                    parents.append(element)
                    continue
                if in_cell and tag != _CELL:
                    continue
                parents.pop()
                if tag == _CELL:
                    in_cell = False
                    column, value = _cell(parser, element)
                    if column > MAX_COLUMNS:
                        raise too_large("columns", MAX_COLUMNS)
                    if column > len(cells):
                        cells.extend([None] * (column - 1 - len(cells)))
                        cells.append(value)
                    else:  # cells out of order: put it in its place
                        cells[column - 1] = value
                elif tag == _ROW:
                    yield parser.row_counter, cells
                    cells = []
                elif tag == _DATA:
                    break  # what follows the cells is of no use here
                if parents:  # done with it: drop it from its parent, so the tree never grows
                    element.clear()
                    parents[-1].remove(element)
    except CornerError:
        raise
    except (ParseError, KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile):
        raise unreadable("xlsx") from None
    except zlib.error:
        raise unreadable("xlsx") from None
    finally:
        reader.archive.close()


def _cell(parser: WorkSheetParser, element) -> tuple[int, object]:
    """A cell's column and value: text and numbers directly, the rest (dates) by openpyxl.

    openpyxl's parse_cell builds an object tree for every inline string, which made it most of
    the time of reading a large sheet.
    """
    kind = element.get("t", "n")
    style = element.get("s")
    if kind in ("s", "inlineStr", "str", "e", "b") or (kind == "n" and not style):
        reference = element.get("r")
        if reference:
            column = column_index_from_string(reference.rstrip("0123456789"))
        else:
            column = parser.col_counter + 1
        parser.col_counter = column
        if kind == "inlineStr":
            return column, _inline_text(element)
        text = element.findtext(_VALUE)
        if not text:
            return column, None
        if kind == "s":
            return column, parser.shared_strings[int(text)]
        if kind == "n":
            return column, _cast_number(text)
        if kind == "b":
            return column, text.strip() not in ("0", "")
        return column, text
    cell = parser.parse_cell(element)  # a number with a style may be a date
    return cell["column"], cell["value"]


def _inline_text(element) -> str | None:
    """The text of an inline string: its ``<t>``, or its runs' (not the phonetic guide's)."""
    inline = element.find(_INLINE)
    if inline is None:
        return None
    parts = []
    for child in inline:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.extend(text.text or "" for text in child.iter(_TEXT))
    return "".join(parts)


def _start_row(parser: WorkSheetParser, element) -> None:
    """Number a row as openpyxl would: its ``r``, else the one after the last."""
    number = element.get("r")
    parser.row_counter = int(number) if number else parser.row_counter + 1
    parser.col_counter = 0


# -- pictures ----------------------------------------------------------------------------------

# opened by format directly: Pillow's Image.open would warn, or refuse with its own error, by its
# own limit; here ours decides, from the header, before a pixel is decoded
_PICTURE_FORMATS = (
    (b"\xff\xd8\xff", JpegImagePlugin.JpegImageFile),
    (b"\x89PNG\r\n\x1a\n", PngImagePlugin.PngImageFile),
)

# what Pillow raises on a damaged or truncated file, depending on where the damage is
PICTURE_DAMAGE = (
    OSError,
    SyntaxError,
    ValueError,
    IndexError,
    TypeError,
    EOFError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
    # Pillow warns about a damaged EXIF block and reads on; where warnings are errors (the test
    # suite) the warning arrives here, and then it is a refusal like any other damage
    UserWarning,
)


def open_picture(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """A JPEG or PNG opened lazily (no pixel decoded yet) after its size and header are checked.

    ``image_invalid`` with ``reason`` ``size`` (too many bytes), ``pixels`` (the header claims
    more than ``max_pixels``) or ``format`` (not a JPEG or PNG, or damaged). The caller decodes
    (``load``, ``convert``) inside ``except PICTURE_DAMAGE``.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise CornerError("image_invalid", reason="format")
    if len(data) > max_bytes:
        raise CornerError("image_invalid", reason="size")
    opener = next((kind for magic, kind in _PICTURE_FORMATS if data.startswith(magic)), None)
    if opener is None:
        raise CornerError("image_invalid", reason="format")
    try:
        picture = opener(io.BytesIO(data))
    except PICTURE_DAMAGE as error:
        raise CornerError("image_invalid", reason="format") from error
    width, height = picture.size
    if width * height > max_pixels:
        picture.close()
        raise CornerError("image_invalid", reason="pixels")
    return picture
