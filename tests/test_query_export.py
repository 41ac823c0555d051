"""Query results as files: CSV, JSON and xlsx checked cell by cell, charts with Chinese labels."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings

import pytest
from openpyxl import load_workbook

from guanai.charts import ChartError, draw
from guanai.query_export import columns, export
from protos.query_pb2 import Figure, FiguresResponse

INF = math.inf


def response(kind="share", periods=("2025-H1",)) -> FiguresResponse:
    rows = [("610000", "province", 0.0412, 0.0391, 0.0433, 3, 0, 120),
            ("610102", "county", 0.1234, 0.0987, 0.1522, 40, 2, 40),
            ("610103", "county", -0.0012, -0.01, 0.0101, 38, 0, 38),
            ("2161010001", "school", 0.5, -INF, INF, 1, 0, 1)]
    answer = FiguresResponse(kind=kind, label_zh="辍学人数 ÷ 应报到困境学生人数",
                             label_en="Dropped out ÷ Students in difficulty expected to register",
                             unit_zh="比例" if kind == "share" else "人",
                             unit_en="share" if kind == "share" else "students", confidence=0.95,
                             catalogue_version="v1")
    for n, period in enumerate(periods):
        for region, level, value, low, high, members, missing, schools in rows:
            answer.figures.append(Figure(region=region, level=level, period=period, held=True,
                                         value=value + n / 100, low=low + n / 100,
                                         high=high + n / 100, members=members, missing=missing,
                                         schools=schools))
    answer.figures.append(Figure(region="610104", level="county", period=periods[0],
                                 held=False, value=math.nan, low=math.nan, high=math.nan))
    return answer


def test_xlsx_has_one_sheet_per_level_laid_out_like_the_statistics_table(tmp_path):
    out = tmp_path / "figures.xlsx"
    export(response(), "xlsx", out)
    book = load_workbook(out)
    assert book.sheetnames == ["省级 Province", "县级 County", "学校 School"]
    county = book["县级 County"]
    assert county["A1"].value == ("辍学人数 ÷ 应报到困境学生人数 Dropped out ÷ Students in "
                                  "difficulty expected to register")
    assert county["A2"].value.startswith("县级 County · 期间 Period: 2025-H1 · 95% 置信区间")
    assert [c.value for c in county[3]] == [
        "地区代码 Code", "地区 Region", "期间 Period", "数值 Value (%)", "95%置信下限 Lower",
        "95%置信上限 Upper", "已报成员 Members", "未报成员 Missing", "学校数 Schools"]
    assert [c.value for c in county[4]] == ["610102", "新城区", "2025年上半年（春季学期）", 12.34,
                                            9.87, 15.22, 40, 2, 40]
    # clamped at zero for display only; a county without a report shows no figure
    assert [c.value for c in county[5]][3:6] == [0, 0, 1.01]
    assert [c.value for c in county[6]][:6] == ["610104", "莲湖区", "2025年上半年（春季学期）",
                                                None, None, None]
    # a share's interval ends at 100% however wide the estimate's is
    assert [c.value for c in book["学校 School"][4]][3:6] == [50, 0, 100]
    assert county.cell(8, 1).value == "填报单位（盖章） Reporting unit (seal)"


def test_csv_and_json_carry_the_same_figures(tmp_path):
    text = export(response(kind="total"), "csv", None)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["地区代码 Code", "地区 Region", "期间 Period", "数值 Value (人 students)"]
    assert rows[1][:6] == ["610000", "陕西省", "2025年上半年（春季学期）", "0", "0", "0"]
    data = json.loads(export(response(), "json", None))
    school = data[2]["rows"][0]
    assert school[columns(response())["value"]] == 0.5
    assert school["95%置信下限 Lower"] is None and school["95%置信上限 Upper"] is None
    assert data[1]["rows"][1]["数值 Value (%)"] == pytest.approx(-0.0012)


@pytest.mark.parametrize("periods", [("2025-H1",), ("2024-H1", "2024-H2", "2025-H1")])
def test_charts_render_chinese_without_missing_glyphs(tmp_path, periods):
    out = tmp_path / "chart.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw(response(periods=periods), out, threshold=0.05)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_a_chart_of_nothing_is_a_clear_error(tmp_path):
    empty = FiguresResponse(kind="total", figures=[Figure(region="610104", held=False)])
    with pytest.raises(ChartError, match="nothing to draw"):
        draw(empty, tmp_path / "chart.png")


def test_a_share_is_clipped_to_100_percent_and_a_ratio_is_neither_clipped_nor_in_percent():
    share = response()
    share.figures[1].value, share.figures[1].high = 1.032, 1.782  # e.g. 103.2% [31.7%, 178.2%]
    county = next(line for line in export(share, "table", None).splitlines()
                  if line.startswith("610102"))
    assert [float(x) for x in county.split()[3:6]] == [100.0, 9.87, 100.0]
    per_student = response(kind="ratio")
    per_student.unit_zh, per_student.unit_en = "元/人", "yuan per students"
    per_student.figures[1].value, per_student.figures[1].high = 1234.5678, 1500.25
    assert columns(per_student)["value"] == "数值 Value (元/人 yuan per students)"
    rows = list(csv.reader(io.StringIO(export(per_student, "csv", None))))
    county = next(r for r in rows if r[0] == "610102")
    assert county[3:6] == ["1234.5678", "0.0987", "1500.25"]  # not ×100, not clipped at 1
    assert next(r for r in rows if r[0] == "610103")[3:6] == ["0.0", "0.0", "0.0101"]
    signed = response(kind="ratio")
    signed.unbounded_below = True  # the catalogue does not keep it ≥ 0: shown as estimated
    rows = list(csv.reader(io.StringIO(export(signed, "csv", None))))
    assert next(r for r in rows if r[0] == "610103")[3:5] == ["-0.0012", "-0.01"]


def test_the_terminal_shows_no_nan_and_no_decimal_count():
    answer = response(kind="total")
    answer.figures[1].value, answer.figures[1].low, answer.figures[1].high = 36.0, 20.4, 51.6
    text = export(answer, "table", None)
    assert "nan" not in text and "36.0" not in text
    county = next(line for line in text.splitlines() if line.startswith("610102"))
    assert county.split()[3:6] == ["36", "20", "52"]
    missing = next(line for line in text.splitlines() if line.startswith("610104"))
    assert missing.split()[3:6] == ["—", "—", "—"]
