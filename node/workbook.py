"""What a file really is, and the sheets of a workbook as staff see them (python-calamine).

A file's first bytes say what it is, whatever its name says: an old .xls renamed .xlsx is read
as the .xls it is (and said so), a PDF or web page saved as .xls is named for what it is.
Workbooks (.xlsx, .xls, .ods) are read with python-calamine — the engine behind pandas'
``read_excel(engine="calamine")`` — called directly, because choosing the sheet needs what
pandas does not pass on: which sheets are hidden and which cells are merged. Calamine keeps
only cells with values, so a sheet formatted down to row 1,048,576 costs what its data costs.
Which sheet is shown on opening comes from the file itself: .xlsx ``activeTab``, .ods
``ActiveTable``, and for .xls — whose BIFF records calamine does not report — xlrd 2.x, which
reads each sheet's WINDOW2 record (``Sheet.sheet_visible``: the sheet is the active one).

Cells come back as Python values: str, float, int, bool, datetime/date (a cell Excel holds as
a date), or None. Coordinates are 0-based (row, column) from A1.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import python_calamine
import xlrd
from openpyxl.utils import get_column_letter

from common.errors import GuanaiError

WORKBOOK_KINDS = ("xlsx", "xls", "ods")
WHAT = {  # kind -> (Chinese, English) as a person would call it
    "csv": ("CSV 文本文件", "a CSV text file"),
    "xlsx": ("Excel 工作簿（.xlsx）", "an Excel workbook (.xlsx)"),
    "xls": ("旧版 Excel 97-2003 工作簿（.xls）", "an old Excel 97-2003 workbook (.xls)"),
    "ods": ("OpenDocument 表格（.ods）", "an OpenDocument spreadsheet (.ods)"),
    "pdf": ("PDF 文档", "a PDF document"),
    "html": ("网页（HTML，常见于系统“导出 Excel”）", "a web page (HTML, as some systems' "
             "“export to Excel” write)"),
    "xml": ("Excel 2003 XML 表格", "an Excel 2003 XML spreadsheet"),
    "docx": ("Word 文档", "a Word document"),
    "zip": ("ZIP 压缩包", "a ZIP archive"),
    "utf16": ("UTF-16 编码的“Unicode 文本”", "UTF-16 “Unicode text”"),
    "binary": ("无法识别的二进制文件", "a binary file of unknown kind"),
}
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls",
              ".et": "xls", ".ods": "ods"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ACTIVE_TAB = re.compile(rb'activeTab="(\d+)"')
_ACTIVE_TABLE = re.compile(r'config:name="ActiveTable"[^>]*>([^<]*)<')


class TableError(GuanaiError):
    """A file that cannot be read as a table."""


def what_is(data: bytes) -> str:
    """The kind of a file from its content: one of the keys of ``WHAT``."""
    head = data[:1024]
    if head.startswith(_OLE):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "mimetype" in names and b"spreadsheet" in archive.read("mimetype"):
                    return "ods"
                if "word/document.xml" in names:
                    return "docx"
        except zipfile.BadZipFile:
            pass
        return "zip"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf16"
    if head.startswith(b"%PDF"):
        return "pdf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]:
        return "xml"
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<?xml")):
        return "html"
    if b"\x00" in head:
        return "binary"
    return "csv"


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name, whether it is hidden, its rows from A1 and its merged ranges."""

    name: str
    visible: bool
    rows: list[list[object]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]


@dataclass(frozen=True)
class Workbook:
    sheets: list[Sheet]
    active: int  # index into sheets of the sheet shown when the file is opened


def read_workbook(data: bytes, kind: str, name: str) -> Workbook:
    """Every worksheet of a workbook's bytes (``kind`` from ``what_is``).

    Raises TableError naming the file and what it is when it cannot be read."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        ods_merged = _ods_merged(data) if kind == "ods" else {}
        sheets = []
        for meta in book.sheets_metadata:
            if str(meta.typ) != str(python_calamine.SheetTypeEnum.WorkSheet):
                continue
            sheet = book.get_sheet_by_name(meta.name)
            visible = str(meta.visible) == str(python_calamine.SheetVisibleEnum.Visible)
            merged = ods_merged.get(meta.name, []) if kind == "ods" \
                else list(sheet.merged_cell_ranges or [])
            sheets.append(Sheet(meta.name, visible, sheet.to_python(skip_empty_area=False),
                                merged))
    except Exception as exc:  # calamine raises several kinds for a damaged file
        zh, en = WHAT[kind]
        raise TableError(
            f"无法读取 {name}：它是{zh}，但已损坏或加密（{exc}）：请用 Excel 或 WPS 打开后另存为 .xlsx — "
            f"cannot read {name}: it is {en}, but damaged or encrypted ({exc}); open it in Excel "
            "or WPS and save it as .xlsx"
        ) from None
    return Workbook(sheets, _active(data, kind, [s.name for s in sheets]))


def _active(data: bytes, kind: str, names: list[str]) -> int:
    """The index into ``names`` of the sheet shown when the file is opened: .xlsx activeTab,
    .ods ActiveTable, .xls the sheet whose WINDOW2 record marks it active (read with xlrd:
    ``Sheet.sheet_visible``, "should really be called sheet_active" in xlrd's own words).
    The first sheet when the file says nothing."""
    if kind == "xls":
        return _xls_active(data, names)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if kind == "xlsx":
            found = _ACTIVE_TAB.search(archive.read("xl/workbook.xml"))
            if found and int(found[1]) < len(names):
                return int(found[1])
        elif kind == "ods" and "settings.xml" in archive.namelist():
            found = _ACTIVE_TABLE.search(archive.read("settings.xml").decode("utf-8", "replace"))
            if found and found[1] in names:
                return names.index(found[1])
    return 0


def _xls_active(data: bytes, names: list[str]) -> int:
    """The active sheet of an .xls (BIFF), by xlrd; 0 if none is marked or xlrd cannot say
    (calamine, which read the cells, is the judge of whether the file is readable)."""
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except xlrd.XLRDError:
        return 0
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            active = sheet.sheet_visible and sheet.name in names
            book.unload_sheet(index)
            if active:
                return names.index(sheet.name)
    except xlrd.XLRDError:
        pass
    finally:
        book.release_resources()
    return 0


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_merged(data: bytes) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """The merged ranges of every sheet of an .ods (calamine does not report them): cells with
    number-rows-spanned or number-columns-spanned, read from content.xml as a stream (a row
    repeated a million times is counted, not expanded)."""
    merged: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    sheet, row, column, depth = None, 0, 0, 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as content:
        for event, element in ElementTree.iterparse(content, events=("start", "end")):
            tag = element.tag
            if tag == f"{_TABLE}table":
                depth += 1 if event == "start" else -1
                if event == "start" and depth == 1:
                    sheet, row = element.get(f"{_TABLE}name", ""), 0
                    merged[sheet] = []
            elif depth != 1:
                continue
            elif tag == f"{_TABLE}table-row":
                if event == "start":
                    column = 0
                else:
                    row += int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                    element.clear()
            elif tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell") \
                    and event == "start":
                rows = int(element.get(f"{_TABLE}number-rows-spanned", "1"))
                columns = int(element.get(f"{_TABLE}number-columns-spanned", "1"))
                if rows > 1 or columns > 1:
                    merged[sheet].append(((row, column), (row + rows - 1, column + columns - 1)))
                column += int(element.get(f"{_TABLE}number-columns-repeated", "1"))
    return merged


def fill_merged(sheet: Sheet, data_from: int) -> list[str]:
    """Give every cell of a merged range in the data rows (row ``data_from`` on, 0-based) the
    merged value, as a person reading the sheet does. Returns the ranges that cannot be read
    that way, in A1 notation: those spanning several columns in the data rows, or the header
    and the data together."""
    refused = []
    for (top, left), (bottom, right) in sheet.merged:
        if bottom < data_from or (top == bottom and left == right):
            continue
        if left != right or top < data_from:
            refused.append(cell_range(top, left, bottom, right))
            continue
        value = sheet.rows[top][left] if top < len(sheet.rows) and left < len(sheet.rows[top]) \
            else None
        for row in range(top + 1, min(bottom, len(sheet.rows) - 1) + 1):
            cells = sheet.rows[row]
            cells.extend([None] * (left + 1 - len(cells)))
            cells[left] = value
    return refused


def cell_range(top: int, left: int, bottom: int, right: int) -> str:
    """A1 notation of a 0-based range: (2, 5, 4, 5) → F3:F5."""
    return f"{get_column_letter(left + 1)}{top + 1}:{get_column_letter(right + 1)}{bottom + 1}"


def read_bytes(path: Path) -> bytes:
    """A file's bytes, or TableError naming a missing file."""
    if not path.is_file():
        raise TableError(f"找不到文件 no such file: {path}")
    return path.read_bytes()
