"""Tables as PDF that print like a filed statistics table (A4 landscape, Chinese first).

The same sheets as the Excel file (common/tables.py), drawn with fpdf2 in the Noto Sans CJK
font that ships with guanai (the PyPI package ``noto-cjk-sans-otc``), so a school PC without
Chinese fonts prints it the same. Columns are sized to their contents and scaled to the page's
width, so an indicator and its figures are always on the same line of the same page; the
header row repeats on every page; each section's label heads its rows once (merged rather
than repeated); numbers carry thousands separators; the sign-off block follows the table.
"""

from __future__ import annotations

from pathlib import Path

import noto_cjk_sans_otc
import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

from common.tables import LABEL_COLUMNS, Sheet, SignOff, _width

FONT = "noto"
SIMPLIFIED_CHINESE = 2  # index of Noto Sans CJK SC in the packaged collection
PAGE_WIDTH_MM = 297 - 2 * 10
SIZE = 8.5  # points


def _text(value: object) -> str:
    """A figure as printed: thousands separators, nothing for a missing value."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "is_integer") and float(value).is_integer()
                                  and not isinstance(value, str)):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _widths(data: pd.DataFrame) -> list[float]:
    """Column widths in mm: each column's longest text, scaled to fill the page's width."""
    natural = []
    for column in data.columns:
        longest = max([_width(str(column)) // 2 + 1] +
                      [_width(_text(v)) for v in data[column]])
        natural.append(min(float(longest), 60.0) + 2)
    total = sum(natural)
    return [PAGE_WIDTH_MM * w / total for w in natural]


def _sign_off(pdf: FPDF, sign_off: SignOff) -> None:
    pdf.ln(4)
    pdf.set_font(FONT, size=SIZE + 0.5)
    items = sign_off.lines()
    width = PAGE_WIDTH_MM / len(items)
    for label, person in items:
        pdf.cell(width, 6, f"{label.split(' ')[0]}：{person}")
    pdf.ln(6)
    pdf.set_font(FONT, size=SIZE - 1.5)
    for label, _ in items:
        pdf.cell(width, 4, " ".join(label.split(" ")[1:]))
    pdf.ln(4)


def _sheet(pdf: FPDF, sheet: Sheet) -> None:
    pdf.add_page()
    pdf.set_font(FONT, size=13)
    pdf.multi_cell(0, 7, sheet.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=SIZE)
    pdf.multi_cell(0, 4.5, sheet.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    section = LABEL_COLUMNS["section"]
    data = sheet.data.drop(columns=[section], errors="ignore")
    sections = list(sheet.data[section]) if section in sheet.data.columns else None
    numeric = [pd.api.types.is_numeric_dtype(data[c]) for c in data.columns]
    with pdf.table(col_widths=_widths(data), repeat_headings=1, line_height=4.6,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                   text_align=tuple("RIGHT" if n else "LEFT" for n in numeric),
                   first_row_as_headings=True) as table:
        header = table.row()
        for column in data.columns:
            header.cell(str(column), align="CENTER")
        current = None
        for i, values in enumerate(data.itertuples(index=False)):
            if sections is not None and sections[i] != current:
                current = sections[i]
                table.row().cell(f"【{current}】", colspan=len(data.columns), align="LEFT",
                                 style=FontFace(emphasis="BOLD", fill_color=(248, 248, 248)))
            row = table.row()
            for value in values:
                row.cell(_text(value))
    _sign_off(pdf, sheet.sign_off or SignOff())


def write_pdf(path: Path, sheets: list[Sheet]) -> None:
    """Write ``sheets`` as one PDF, each starting on a new A4 landscape page."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=10)
    pdf.add_font(FONT, fname=str(noto_cjk_sans_otc.FONT_PATH),
                 collection_font_number=SIMPLIFIED_CHINESE)
    pdf.add_font(FONT, style="B", fname=str(noto_cjk_sans_otc.FONT_PATH),
                 collection_font_number=SIMPLIFIED_CHINESE)
    for sheet in sheets:
        _sheet(pdf, sheet)
    pdf.output(str(path))
