"""Official tables printed: Excel (through LibreOffice) and PDF rendered to PNG and checked.

A three-county query result must print on one A4 page; the whole provincial table must print
one page wide — every page carrying the indicator column and the value column under the
repeated header — with the sign-off block on its last page. Needs Debian's poppler-utils and
libreoffice-calc-nogui (installed by .ci/run).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from random import Random

import pytest
from openpyxl import load_workbook

from aggregator.figures.official import official_tables
from aggregator.figures.statistics import RegionTable, official_sheets
from common.tables import SignOff, write
from guanai.query_export import export
from protos.catalogue import load
from protos.regions import PROVINCE
from tests.province_truth import release, schools
from tests.test_query_export import response

needs_tools = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("soffice")),
    reason="needs poppler-utils and libreoffice-calc-nogui (deploy/install.sh --dev installs them)")

SIGN_OFF = SignOff("陕西省教育厅", "王主任", "李审核", "张填表", "2025-07-10")


def _pdf_of_xlsx(xlsx: Path) -> Path:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                    str(xlsx.parent), str(xlsx)], check=True, capture_output=True, timeout=180,
                   env={"HOME": str(xlsx.parent), "PATH": "/usr/bin:/bin"})
    return xlsx.with_suffix(".pdf")


def _pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext), and a PNG of each page beside the PDF."""
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(pdf.with_suffix(""))],
                   check=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def provincial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("print")
    pool = schools(folder / "synth", 4, 2, 5)
    province = release(pool, 2, 2, 2, Random(3))
    official = official_tables(load(), province.figures, province.parts, PROVINCE)
    table = RegionTable(PROVINCE, province.figures[PROVINCE], official[PROVINCE], load())
    return folder, official_sheets(table, "2025年上半年", "2025 H1", sign_off=SIGN_OFF)


def test_the_xlsx_is_set_up_to_print_as_an_official_table(provincial):
    folder, sheets = provincial
    out = folder / "province.xlsx"
    write(sheets, "xlsx", out)
    book = load_workbook(out)
    assert book.sheetnames == ["统计表", "English", "分析 Analysis"]
    ws = book["统计表"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$3:$3"
    assert ws.merged_cells.ranges and any(r.min_col == 1 and r.max_row > r.min_row
                                          for r in ws.merged_cells.ranges)  # section labels
    values = [row[3] for row in ws.iter_rows(min_row=4, max_row=ws.max_row - 6, values_only=True)]
    assert values and all(isinstance(v, int) and v >= 0 for v in values)
    assert ws.cell(4, 4).number_format == "#,##0"
    assert [ws.cell(ws.max_row - 4 + i, 2).value for i in range(5)][1:] == [
        "王主任", "李审核", "张填表", "2025-07-10"]
    analysis = book["分析 Analysis"]
    estimates = [r[3] for r in analysis.iter_rows(min_row=4, values_only=True) if r[3] is not None]
    assert any(v < 0 for v in estimates)  # the analysis form keeps the negative estimates


@needs_tools
@pytest.mark.parametrize("kind", ["xlsx", "pdf"])
def test_the_provincial_table_prints_one_page_wide_with_each_indicator_beside_its_value(
        provincial, kind):
    folder, sheets = provincial
    out = folder / f"province-{kind}.{kind}"
    write(sheets[:1], kind, out)
    pages = _pages(_pdf_of_xlsx(out) if kind == "xlsx" else out)
    assert len(pages) > 1
    for page in pages:  # never a page of values without their indicators
        assert "指标" in page and "数值" in page
    assert "陕西省教育厅" in pages[-1] and "李审核" in pages[-1]
    assert "困境学生" in pages[0] and "-" not in "".join(
        line.split()[-3] for line in pages[0].splitlines()
        if line.split() and line.split()[-1].replace(",", "").isdigit()
        and len(line.split()) >= 3)


@needs_tools
@pytest.mark.parametrize("kind", ["xlsx", "pdf"])
def test_a_county_query_result_prints_on_one_page(tmp_path, kind):
    out = tmp_path / f"counties.{kind}"
    export(response(), kind, out)
    pdf = _pdf_of_xlsx(out) if kind == "xlsx" else out
    pages = _pages(pdf)
    # one page per region level (province, county, school), never a level split over two
    assert len(pages) == 3
    assert any("新城区" in p and "填报单位" in p for p in pages)
