"""The statistics table as people read it: on screen, in CSV and in Excel, Chinese beside English.

Every role shows tables the same way: rows in catalogue order under the plan's section
headings, label columns in Chinese and English, then the figures. The Excel file is laid out
like a filed statistics table: title, unit and period lines, the table, a sign-off block.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from common.errors import GuanaiError

FORMATS = ("table", "csv", "xlsx", "json")

LABEL_COLUMNS = {
    "section": "栏目 Section",
    "cell": "指标编号 Cell id",
    "zh": "指标 Indicator",
    "en": "Indicator (English)",
    "unit": "单位 Unit",
}
SIGN_OFF = ["填报单位（盖章） Reporting unit (seal)", "填报时间 Date", "单位负责人 Head of unit",
            "填表人 Filled in by", "复核人 Checked by"]


class ExportError(GuanaiError):
    """An output format or file that cannot be written."""


def frame(labels: dict[str, list[str]], columns: dict[str, list]) -> pd.DataFrame:
    """Label columns (protos/catalogue.py's ``Catalogue.labels()``: section, cell, zh, en,
    unit) under their headings, followed by the given figure columns; one row per cell."""
    return pd.DataFrame({**{LABEL_COLUMNS[k]: v for k, v in labels.items()}, **columns})


@dataclass(frozen=True)
class Sheet:
    name: str  # sheet tab, ≤ 31 characters
    title: str
    subtitle: str
    data: pd.DataFrame


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def to_text(data: pd.DataFrame) -> str:
    """A console table under section headings, aligned for Chinese characters."""
    section = LABEL_COLUMNS["section"]
    shown = data.drop(columns=[LABEL_COLUMNS["cell"], section], errors="ignore")
    cells = [[str(v) for v in row] for row in shown.itertuples(index=False)]
    widths = [max([_width(str(c))] + [_width(r[i]) for r in cells])
              for i, c in enumerate(shown.columns)]
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]

    def line(values: list[str]) -> str:
        return "  ".join(_pad(v, w, r) for v, w, r in zip(values, widths, numeric, strict=True))

    out = [line([str(c) for c in shown.columns])]
    current = None
    for heading, row in zip(data.get(section, [None] * len(cells)), cells, strict=True):
        if heading != current and heading is not None:
            out.append(f"【{heading}】")
            current = heading
        out.append(line(row).rstrip())
    return "\n".join(out)


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name[:31])
        width = len(sheet.data.columns)
        ws.append([sheet.title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append([sheet.subtitle])
        ws.append(list(sheet.data.columns))
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for row in sheet.data.itertuples(index=False):
            ws.append([None if pd.isna(v) else v for v in row])
        ws.append([])
        for label in SIGN_OFF:
            ws.append([label, ""])
        for index, column in enumerate(sheet.data.columns, start=1):
            longest = max([len(str(column))] + [len(str(v)) for v in sheet.data[column]])
            ws.column_dimensions[get_column_letter(index)].width = min(60, longest * 1.6 + 2)
        ws.freeze_panes = "A4"
    workbook.save(path)


def write(sheets: list[Sheet], fmt: str, out: Path | None) -> str | None:
    """Write ``sheets`` as ``fmt`` to ``out``; return the text instead when ``out`` is None."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        if out is None:
            raise ExportError("--format xlsx needs --out FILE.xlsx")
        write_xlsx(out, sheets)
        return None
    if fmt == "table":
        text = "\n\n".join(f"{s.title}\n{s.subtitle}\n{to_text(s.data)}" for s in sheets)
    elif fmt == "csv":
        text = "".join(s.data.assign(**{"表 Sheet": s.name}).to_csv(index=False) for s in sheets)
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
