"""Reading and writing the spreadsheets that staff exchange with the node: CSV or .xlsx.

CSV may be UTF-8 (with or without BOM) or GB18030, which is what Excel on Chinese Windows
saves. Rows are numbered as a spreadsheet shows them: the header is line 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from common.errors import GuanaiError

SUFFIXES = (".csv", ".xlsx")


class TableError(GuanaiError):
    """A file that cannot be read as a table."""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[object]]]  # (line number, cell values); blank lines left out


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → A)."""
    return get_column_letter(index + 1)


def read_table(path: Path) -> Table:
    """The header and the non-blank rows of a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TableError(
            f"不支持的文件类型 unsupported file type {path.suffix!r}: "
            "save it as .csv or .xlsx (另存为 CSV 或 Excel 工作簿)"
        )
    if not path.is_file():
        raise TableError(f"找不到文件 no such file: {path}")
    lines = _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    if not lines or not any(_filled(value) for value in lines[0]):
        raise TableError(f"文件没有表头 {path.name} has no header row (line 1)")
    headers = [str(value).strip() if value is not None else "" for value in lines[0]]
    rows = [
        (number, values)
        for number, values in enumerate(lines[1:], start=2)
        if any(_filled(value) for value in values)
    ]
    return Table(headers, rows)


def _filled(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or value.strip() != "")


def _read_csv(path: Path) -> list[list[object]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(
            f"无法识别文件编码 {path.name} is neither UTF-8 nor GB18030: save it as CSV UTF-8"
        )
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]


def _read_xlsx(path: Path) -> list[list[object]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(f"无法读取 Excel 文件 cannot read {path.name} as .xlsx: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def write_blank(path: Path, headers: Sequence[str], text_headers: Sequence[str] = (),
                title: str = "Sheet1") -> None:
    """A blank template: the header row only, as CSV (UTF-8 with BOM) or .xlsx by suffix.

    In .xlsx the ``text_headers`` columns are formatted as text, so that Excel keeps
    leading zeros and all 18 digits of an ID-card number.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerow(headers)
        return
    if suffix != ".xlsx":
        raise TableError(f"模板只能是 .csv 或 .xlsx a template is .csv or .xlsx, not {path.suffix!r}")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(headers))
    for index, header in enumerate(headers):
        letter = column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, 2 * len(header) + 4)
        if header in text_headers:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    workbook.save(path)
