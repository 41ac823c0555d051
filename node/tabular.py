"""Reading and writing the spreadsheets that staff exchange with the node.

Read: CSV, .xlsx, .xls and .ods (node/workbook.py says what a file really is and reads its
sheets). CSV may be UTF-8 (with or without BOM) or GB18030, which is what Excel on Chinese
Windows saves. Rows are numbered as a spreadsheet shows them: the sheet's line numbers.
Written: the blank templates, as CSV or .xlsx.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from node.normalise import code, text
from node.workbook import (
    EXTENSIONS,
    WHAT,
    WORKBOOK_KINDS,
    Sheet,
    TableError,
    Workbook,
    fill_merged,
    read_bytes,
    read_workbook,
    what_is,
)

__all__ = ["SUFFIXES", "Table", "TableError", "column_letter", "read_table", "write_blank"]

SUFFIXES = (".csv", ".xlsx")  # the templates written
HEADER_SEARCH = 30  # lines searched for the header row below titles
TITLE_CELLS = 2  # a line above the header with more filled cells than this is not a title


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[object]]]  # (line number, cell values); blank lines left out
    header_line: int = 1
    notes: tuple[str, ...] = ()  # how the file was read, for staff: "中文 — English" each


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → A)."""
    return get_column_letter(index + 1)


def read_table(path: Path, expected: Collection[str] = (), sheet: str | None = None) -> Table:
    """The header and the non-blank rows of a .csv, .xlsx, .xls or .ods file.

    The file's content decides how it is read, not its name (an .xls renamed .xlsx is read
    as .xls, and a note says so). ``expected`` are the headers an import knows: the header
    row is the first of the first 30 lines that has at least two of them, so title lines
    above it are skipped (and named in a note); a workbook's sheet is the one visible sheet
    that has such a header, else the sheet shown when the file is opened. ``sheet`` (a name
    or a 1-based number) chooses it instead. Vertically merged cells below the header give
    every row their value. Raises TableError for a file that is no table, a damaged one, a
    CSV line in another encoding, several candidate sheets, or merged ranges that cannot be
    read (naming them).
    """
    suffix = path.suffix.lower()
    named = EXTENSIONS.get(suffix)
    if named is None:
        raise TableError(
            f"不支持的文件类型 unsupported file type {path.suffix!r}: "
            "save it as .csv, .xlsx, .xls or .ods (另存为 CSV 或 Excel 工作簿)"
        )
    data = read_bytes(path)
    kind = what_is(data)
    notes, label = [], path.name
    if kind != named:
        zh, en = WHAT[kind]
        label = (f"{path.name}（扩展名是 {suffix}，但它实际是{zh} — named {suffix} but it is {en}）")
        if kind in ("csv", *WORKBOOK_KINDS):
            notes.append(f"{path.name} 的扩展名是 {suffix}，但它实际是{zh}，已按实际格式读取 — "
                         f"{path.name} is named {suffix} but it is {en}; read as what it is")
    if kind not in ("csv", *WORKBOOK_KINDS):
        raise TableError(f"{label}不是表格文件：请在原系统中导出为 Excel（.xlsx）或 CSV — "
                         f"{path.name} is not a spreadsheet: export it as .xlsx or CSV")
    known = {code(header) for header in expected}
    if kind == "csv":
        if sheet:
            raise TableError(f"CSV 文件没有工作表，不能用 --sheet — a CSV file has no sheets: "
                             f"drop --sheet {sheet!r}")
        lines, merged_from = _read_csv(data, path.name), None
    else:
        book = read_workbook(data, kind, label)
        chosen = _choose_sheet(book, known, sheet, path.name)
        hidden = [s.name for s in book.sheets if not s.visible and s is not chosen]
        notes.append(f"读取工作表“{chosen.name}”" + (f"（未读取隐藏的工作表：{'、'.join(hidden)}）"
                                                   if hidden else "")
                     + f" — read sheet {chosen.name!r}"
                     + (f" (hidden sheets not read: {', '.join(hidden)})" if hidden else ""))
        lines, merged_from = chosen.rows, chosen
    start = _header_index(lines, known)
    if start is None:
        start = next((i for i, values in enumerate(lines) if any(map(_filled, values))), None)
    if start is None:
        raise TableError(f"文件没有表头 {path.name} has no header row (line 1)")
    _skip_titles(lines, start, notes)
    if merged_from is not None:
        refused = fill_merged(merged_from, start + 1)
        if refused:
            ranges = "、".join(refused)
            raise TableError(f"{path.name} 中的合并单元格 {ranges} 无法逐行读取（跨多列，或跨表头与数据）："
                             f"请取消合并并在每一行填上值 — merged cells {', '.join(refused)} "
                             "cannot be read row by row (they span columns, or the header and the "
                             "data): unmerge them and fill in every row")
    headers = [as_header(value) for value in lines[start]]
    rows = [
        (number, values)
        for number, values in enumerate(lines[start + 1:], start=start + 2)
        if any(_filled(value) for value in values)
    ]
    return Table(headers, rows, start + 1, tuple(notes))


def as_header(value: object) -> str:
    """A header cell as text: invisible characters removed, spaces made plain."""
    if value is None:
        return ""
    return text(value if isinstance(value, str) else str(value))


def _header_index(lines: list[list[object]], known: set[str]) -> int | None:
    """The 0-based index of the first line with at least two known headers (or the only one
    there is), among the first HEADER_SEARCH lines; None without ``known`` or when none has."""
    if not known:
        return None
    enough = min(2, len(known))
    for index, values in enumerate(lines[:HEADER_SEARCH]):
        if sum(code(as_header(v)) in known for v in values) >= enough:
            return index
    return None


def _skip_titles(lines: list[list[object]], start: int, notes: list[str]) -> None:
    """Accept the lines above the header if they are titles; else say which lines to delete."""
    above = [i + 1 for i, values in enumerate(lines[:start]) if any(map(_filled, values))]
    if not above:
        return
    span = f"{above[0]}–{start}" if above[0] != start else f"{start}"
    if any(sum(map(_filled, lines[i - 1])) > TITLE_CELLS for i in above):
        raise TableError(f"表头在第{start + 1}行，但其上方第{span}行不像标题：请删除第1–{start}行后重新导入 — "
                         f"the header is on line {start + 1} but lines {span} above it are not "
                         f"titles: delete lines 1–{start} and import again")
    notes.append(f"表头在第{start + 1}行：已跳过其上方的第{span}行（标题、填报单位等） — "
                 f"the header is on line {start + 1}: lines {span} above it (title, reporting "
                 "unit, …) were skipped")


def _choose_sheet(book: Workbook, known: set[str], wanted: str | None, name: str) -> Sheet:
    names = "、".join(f"“{s.name}”" + ("（隐藏 hidden）" if not s.visible else "")
                     for s in book.sheets)
    if wanted:
        for number, candidate in enumerate(book.sheets, start=1):
            if text(wanted) in (candidate.name, str(number)):
                return candidate
        raise TableError(f"{name} 中没有工作表“{wanted}”，工作表有：{names} — "
                         f"{name} has no sheet {wanted!r}")
    visible = [s for s in book.sheets if s.visible]
    if not visible:
        raise TableError(f"{name} 没有可见的工作表 has no visible worksheet")
    candidates = [s for s in visible if _header_index(s.rows, known) is not None]
    if len(candidates) > 1:
        listed = "、".join(f"“{s.name}”" for s in candidates)
        raise TableError(f"{name} 有多个工作表都像是要导入的表：{listed}；请用 --sheet 指定读取哪一个 — "
                         f"several sheets of {name} could be the one to import "
                         f"({', '.join(s.name for s in candidates)}): choose one with --sheet")
    if candidates:
        return candidates[0]
    active = book.sheets[book.active]
    return active if active.visible else visible[0]


def _filled(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or text(value) != "")


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or GB18030; a file stitched from both is refused naming the
    lines in the less common encoding, and a line in neither is named."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    utf8, gb, neither = [], [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
            if not raw.isascii():
                utf8.append(number)
        except UnicodeDecodeError:
            try:
                raw.decode("gb18030")
                gb.append(number)
            except UnicodeDecodeError:
                neither.append(number)
    if neither:
        raise TableError(f"{name} 第{_lines(neither)}行既不是 UTF-8 也不是 GBK/GB18030 编码：请在 Excel "
                         f"中另存为“CSV UTF-8” — line(s) {_lines(neither)} of {name} are neither "
                         "UTF-8 nor GBK/GB18030: save the file as CSV UTF-8")
    if utf8 and gb:
        odd, zh, en = (gb, "GBK/GB18030", "GBK/GB18030") if len(gb) <= len(utf8) else \
            (utf8, "UTF-8", "UTF-8")
        raise TableError(f"{name} 由两种编码的文件拼接而成：第{_lines(odd)}行是 {zh} 编码，其余是另一种。"
                         "请在 Excel 中打开各原文件、复制到同一工作表后另存为“CSV UTF-8” — "
                         f"{name} was stitched from files of two encodings: line(s) {_lines(odd)} "
                         f"are {en}, the rest another; copy the originals into one sheet and save "
                         "it as CSV UTF-8")
    return data.decode("gb18030")


def _lines(numbers: list[int]) -> str:
    shown = "、".join(map(str, numbers[:10]))
    return shown + ("…" if len(numbers) > 10 else "")


def _read_csv(data: bytes, name: str) -> list[list[object]]:
    """The records of a CSV file; a record that is no valid CSV (an unclosed quote swallowing
    the lines after it) is refused naming the line where it starts."""
    reader = csv.reader(io.StringIO(_decode(data, name), newline=""), strict=True)
    rows: list[list[object]] = []
    while True:
        start = reader.line_num + 1
        try:
            rows.append(list(next(reader)))
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise TableError(f"{name} 第{start}行无法按 CSV 读取（{exc}；常见原因是引号没有成对）— "
                             f"line {start} of {name} is not valid CSV ({exc}; often a quote that "
                             "is not closed)") from None


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
