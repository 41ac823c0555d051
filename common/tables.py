"""The statistics table as people read it: on screen, in CSV, in Excel and PDF, Chinese first.

Every role shows tables the same way: rows in catalogue order under the plan's section
headings, label columns in Chinese and English, then the figures. The Excel file is laid out
like a filed statistics table and prints as one: A4 landscape, one page wide, the header row
repeated on every page, borders, section labels merged, thousands separators, and the sign-off
block of 《教育统计管理规定》 (填报单位（盖章）、单位负责人、审核人、填表人、填报日期). The PDF
(common/printing.py) has the same layout.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import GuanaiError

if TYPE_CHECKING:  # pandas and openpyxl load where a table is made, not when a command starts
    import pandas as pd

CSV_PLACES = 9  # decimals a CSV keeps: far below any figure's noise, above float round-off
FORMATS = ("table", "csv", "xlsx", "pdf", "json")
TERMINAL_WIDTH = 120  # the widest a terminal table is printed

LABEL_COLUMNS = {
    "section": "栏目 Section",
    "cell": "指标编号 Cell id",
    "zh": "指标 Indicator",
    "en": "Indicator (English)",
    "unit": "单位 Unit",
}


@dataclass(frozen=True)
class SignOff:
    """Who signs the table (《教育统计管理规定》): names are given by whoever approved it."""

    unit: str = ""  # 填报单位 (its seal goes beside it)
    head: str = ""  # 单位负责人
    reviewer: str = ""  # 审核人
    filler: str = ""  # 填表人
    date: str = ""  # 填报日期, as written on the table (e.g. 2025-07-01)

    def lines(self) -> list[tuple[str, str]]:
        """(label, name) in the order the form lists them, Chinese first."""
        return [("填报单位（盖章） Reporting unit (seal)", self.unit),
                ("单位负责人 Head of unit", self.head),
                ("审核人 Reviewed by", self.reviewer),
                ("填表人 Filled in by", self.filler),
                ("填报日期 Date", self.date)]


SIGN_OFF = [label for label, _ in SignOff().lines()]


class ExportError(GuanaiError):
    """An output format or file that cannot be written."""


def frame(labels: dict[str, list[str]], columns: dict[str, list]) -> pd.DataFrame:
    """Label columns (protos/catalogue.py's ``Catalogue.labels()``: section, cell, zh, en,
    unit) under their headings, followed by the given figure columns; one row per cell."""
    import pandas as pd


    return pd.DataFrame({**{LABEL_COLUMNS[k]: v for k, v in labels.items()}, **columns})


@dataclass(frozen=True)
class Sheet:
    name: str  # sheet tab, ≤ 31 characters
    title: str
    subtitle: str
    data: pd.DataFrame
    sign_off: SignOff | None = None  # names under the table (xlsx, pdf); blank lines if None


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


MISSING = "—"


def _whole_columns(data: pd.DataFrame) -> list[bool]:
    """Columns of counts: numeric, and every value present a whole number (a column with a
    missing value is stored as floats: 36.0 must still read 36)."""
    import pandas as pd

    found = []
    for column in data.columns:
        values = pd.to_numeric(data[column], errors="coerce").dropna()
        found.append(pd.api.types.is_numeric_dtype(data[column]) and len(values) > 0
                     and bool((values == values.round()).all()))
    return found


def _text(value: object, whole: bool) -> str:
    """A value as the terminal shows it: no nan (a dash), no decimal point on a count."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if whole and isinstance(value, float):
        return str(int(value))
    return str(value)


def to_text(data: pd.DataFrame, max_width: int = TERMINAL_WIDTH) -> str:
    """A console table under section headings, aligned for Chinese characters, at most
    ``max_width`` columns wide (a Chinese character takes two): the widest text columns (the
    labels) wrap onto continuation lines when the table would be wider."""
    import pandas as pd

    section = LABEL_COLUMNS["section"]
    shown = data.drop(columns=[LABEL_COLUMNS["cell"], section], errors="ignore")
    cells = [[_text(v, whole) for v, whole in zip(row, _whole_columns(shown), strict=True)]
             for row in shown.itertuples(index=False)]
    widths = [max([_width(str(c))] + [_width(r[i]) for r in cells])
              for i, c in enumerate(shown.columns)]
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    _narrow(widths, numeric, max_width)

    def lines(values: list[str]) -> list[str]:
        parts = [_wrap(v, w) for v, w in zip(values, widths, strict=True)]
        return ["  ".join(_pad(p[k] if k < len(p) else "", w, r)
                          for p, w, r in zip(parts, widths, numeric, strict=True)).rstrip()
                for k in range(max(len(p) for p in parts))]

    out = lines([str(c) for c in shown.columns])
    current = None
    for heading, row in zip(data.get(section, [None] * len(cells)), cells, strict=True):
        if heading != current and heading is not None:
            out.append(f"【{heading}】")
            current = heading
        out.extend(lines(row))
    return "\n".join(out)


def _narrow(widths: list[int], numeric: list[bool], max_width: int) -> None:
    """Shrink the widest text columns (in place), one display column at a time, until the
    row fits ``max_width``; no column below 16."""
    text = [i for i, n in enumerate(numeric) if not n]
    while text and sum(widths) + 2 * (len(widths) - 1) > max_width:
        widest = max(text, key=lambda k: widths[k])
        if widths[widest] <= 16:
            return
        widths[widest] -= 1


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns, broken at spaces when it can."""
    if _width(text) <= width:
        return [text]
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if _width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:  # a word (or Chinese run) longer than the column: break anywhere
            if _width(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
    if line:
        lines.append(line)
    return lines


def number_format(column: pd.Series) -> str | None:
    """Thousands separators: whole numbers for integer columns, two places for decimals."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(column):
        return "#,##0"
    if pd.api.types.is_float_dtype(column):
        return "#,##0.00"
    return None


def section_runs(data: pd.DataFrame) -> list[tuple[int, int, str]]:
    """(first row, last row, label) of each run of one section label, rows counted from 0."""
    section = LABEL_COLUMNS["section"]
    if section not in data.columns:
        return []
    runs: list[tuple[int, int, str]] = []
    for i, label in enumerate(data[section]):
        if runs and runs[-1][2] == label:
            runs[-1] = (runs[-1][0], i, label)
        else:
            runs.append((i, i, label))
    return runs


def _column_width(column: pd.Series, header: str) -> float:
    longest = max([_width(str(header)) // 2] + [_width(str(v)) for v in column])
    return min(44.0, max(8.0, longest * 1.05 + 2))


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    """Each sheet as a printable statistics table (A4 landscape, one page wide)."""
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name[:31])
        data = sheet.data
        width = len(data.columns)
        ws.append([sheet.title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append([sheet.subtitle])
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
        ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[2].height = 16 * (1 + _width(sheet.subtitle) // 90)
        ws.append(list(data.columns))
        ws.row_dimensions[3].height = 30  # room for a header wrapped over two lines
        for cell in ws[3]:
            cell.font = Font(bold=True)
            cell.border = box
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        formats = [number_format(data[c]) for c in data.columns]
        for row in data.itertuples(index=False):
            ws.append([None if pd.isna(v) else v for v in row])
            for cell, fmt in zip(ws[ws.max_row], formats, strict=True):
                cell.border = box
                if fmt is not None:
                    cell.number_format = fmt
                else:
                    cell.alignment = Alignment(wrap_text=True, vertical="center")
        for first, last, _ in section_runs(data):
            if last > first:  # merged rather than repeated
                ws.merge_cells(start_row=4 + first, start_column=1, end_row=4 + last,
                               end_column=1)
            # at the top: a label centred on a run that spans pages would print on neither
            ws.cell(4 + first, 1).alignment = Alignment(vertical="top", wrap_text=True)
        ws.append([])
        for label, person in (sheet.sign_off or SignOff()).lines():  # blank: signed by hand
            ws.append([label, person])
        for index, column in enumerate(data.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = _column_width(data[column],
                                                                                 column)
        ws.freeze_panes = "A4"
        ws.print_title_rows = "3:3"  # the header row on every printed page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages tall as needed, never two wide
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.print_options.horizontalCentered = True
    workbook.save(path)


def write(sheets: list[Sheet], fmt: str, out: Path | None) -> str | None:
    """Write ``sheets`` as ``fmt`` to ``out``; return the text instead when ``out`` is None."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in ("xlsx", "pdf"):
        if out is None:
            raise ExportError(f"--format {fmt} 需要 needs --out FILE.{fmt}")
        if fmt == "xlsx":
            write_xlsx(out, sheets)
        else:
            from common.printing import write_pdf

            write_pdf(out, sheets)
        return None
    if fmt == "table":
        text = "\n\n".join(f"{s.title}\n{s.subtitle}\n{to_text(s.data)}" for s in sheets)
    elif fmt == "csv":
        # floats to 9 places: 1000.0000000000001 (noise of the arithmetic) reads 1000.0
        text = "".join(s.data.round(CSV_PLACES).assign(**{"表 Sheet": s.name}).to_csv(index=False)
                       for s in sheets)
    else:
        text = json.dumps(
            [{"sheet": s.name, "title": s.title, "subtitle": s.subtitle,
              "rows": s.data.to_dict(orient="records")} for s in sheets],
            ensure_ascii=False, indent=1,
        )
    if out is None:
        return text
    # utf-8-sig so that Excel opens the CSV with Chinese intact.
    out.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    return None
