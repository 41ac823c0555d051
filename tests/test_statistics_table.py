"""The whole statistics table of any region an aggregator holds, in its official form.

A province with two counties of one city (each its own aggregator) and a university that
reports straight to the province, over real gRPC and real SQLite: every region's official
table is non-negative integers that add up (counties to their city, city and university to
the province), the command prints it and writes it, and a region outside is refused.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aggregator.figures.holdings import Holdings
from aggregator.figures.kept import region_table
from aggregator.figures.statistics import TableError
from aggregator.keys import own_identity
from aggregator.store.sqlite import Store
from guanai.cli import cli as main
from tests.rounds import CAT, H1, Round

LAYOUT = {"610102": ["2161010001", "3161010002"], "610103": ["2161030004"]}
UNIVERSITY = ("4161000006", "610116")


@pytest.fixture(scope="module")
def round_(tmp_path_factory):
    federation = Round(tmp_path_factory.mktemp("table"), LAYOUT, (UNIVERSITY,))
    for school_id in [*LAYOUT["610102"], *LAYOUT["610103"], UNIVERSITY[0]]:
        # released values as noise leaves them: few dropouts estimated below zero
        federation.submit(school_id, {"acad.reg_expected": 300, "acad.dropped_out": -4,
                                      "acad.returned": -2}, variance=400.0)
    federation.roll_up(H1)
    yield federation
    federation.stop()


def _tables(round_):
    store = Store(round_.province.db)
    try:
        holdings = Holdings(store, own_identity.load(store), H1)
        return {u: region_table(holdings, u)
                for u in ("610000", "610100", "610102", "610103", UNIVERSITY[0])}
    finally:
        store.close()


def test_every_regions_official_table_adds_up(round_):
    tables = _tables(round_)
    negative = 0
    for table in tables.values():
        assert all(v >= 0 for v in table.official.values.values())
        negative += sum(v < 0 for v in table.figures.values.values())
        for rule in CAT.rules:
            assert rule.holds(table.official.values)
    assert negative > 0
    for cell in CAT.ids():
        values = {u: t.official.values[cell] for u, t in tables.items()}
        assert values["610100"] == values["610102"] + values["610103"]
        assert values["610000"] == values["610100"] + values[UNIVERSITY[0]]


def test_a_region_outside_is_refused(round_):
    store = Store(round_.counties["610102"].db)
    try:
        holdings = Holdings(store, own_identity.load(store), H1)
        with pytest.raises(TableError):
            region_table(holdings, "610103")
    finally:
        store.close()


def test_the_command_prints_the_official_table_and_writes_the_analysis_form(round_, tmp_path):
    db = str(round_.province.db)
    shown = CliRunner().invoke(main, ["aggregator", "--db", db, "table", "--period", "2025-H1",
                                      "--region", "610102"])
    assert shown.exit_code == 0, shown.output
    assert "困境学生教育助学关爱服务情况统计表" in shown.output and "nan" not in shown.output
    assert "【" in shown.output  # under section headings
    out = tmp_path / "county.json"
    written = CliRunner().invoke(main, ["aggregator", "--db", db, "table", "--period",
                                        "2025-H1", "--region", "610102", "--stage", "primary",
                                        "--format", "json", "--out", str(out)])
    assert written.exit_code == 0, written.output
    rows = json.loads(out.read_text(encoding="utf-8"))[0]["rows"]
    assert rows and all(r["指标编号 Cell id"].endswith(".primary") for r in rows)
    assert {"估计值 Estimate", "噪声方差 Noise variance"} <= set(rows[0])
    assert "正式值 Official" not in rows[0]  # the estimates alone: no official table needed
    pdf = tmp_path / "county.pdf"
    signed = CliRunner().invoke(main, ["aggregator", "--db", db, "table", "--period", "2025-H1",
                                       "--format", "pdf", "--out", str(pdf), "--filler", "张填表",
                                       "--reviewer", "李审核", "--head", "王主任"])
    assert signed.exit_code == 0, signed.output
    assert pdf.read_bytes().startswith(b"%PDF")


def test_query_list_finds_indicators_by_chinese_words():
    found = CliRunner().invoke(main, ["query", "--list", "残疾", "小学"])
    assert found.exit_code == 0, found.output
    assert "pop.category.disability.primary" in found.output
    assert "pop.category.disability.junior" not in found.output  # every word must match
    dropout = CliRunner().invoke(main, ["query", "--list", "辍学"])
    assert "acad.dropped_out" in dropout.output and "W01" in dropout.output
    nothing = CliRunner().invoke(main, ["query", "--list", "不存在的词"])
    assert nothing.exit_code != 0 and "没有匹配的指标" in nothing.output
    missing = CliRunner().invoke(main, ["query", "W01"])
    assert missing.exit_code != 0 and "--aggregator" in missing.output


def test_warnings_answers_gives_every_rule_and_region_one_of_three_answers(round_):
    shown = CliRunner().invoke(main, ["aggregator", "--db", str(round_.province.db), "warnings",
                                      "answers", "--period", "2025-H1"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith("研判结论") and "数据不足以判断" in lines[0]
    starts = [i for i, line in enumerate(lines) if line.startswith("W01") and "610102" in line]
    assert len(starts) == 1
    row = lines[starts[0]]  # with the continuation lines a 120-column terminal wraps it onto
    for line in lines[starts[0] + 1:]:
        if not line.startswith(" "):
            break
        row += line.strip()
    assert sum(word in row for word in ("警示", "未见异常", "数据不足以判断")) == 1
    assert "数据不足以判断" not in row or "跨越阈值" in row  # and says what would tell
