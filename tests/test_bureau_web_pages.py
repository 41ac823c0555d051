"""The bureaus' main pages in a real browser: completeness drilled down from the province to a
school, the statistics table, indicator search and the exports."""

from __future__ import annotations

from tests.bureau_web import sign_in
from tests.federation import aggregator_cli
from tests.node_web import fits_width, shot


def test_a_provincial_viewer_drills_completeness_down_to_the_schools(
        round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅查看", "viewer")
    page = bureau_page
    sign_in(page, pages, "省厅查看", path="/completeness?period=2025-H1")
    # The province: six schools expected, five reported (late: 2025's deadlines have passed)
    tiles = page.locator(".tiles").inner_text().replace("\n", "")
    assert "6应报学校" in tiles and "1未报" in tiles and "83.3%报送率" in tiles
    shot(page, "bureau-completeness-province")
    page.get_by_role("link", name="西安市 610100").click()
    page.get_by_role("link", name="碑林区 610103").click()
    page.wait_for_url("**/completeness?period=2025-H1&region=610103")
    rows = page.locator("tbody tr").all_inner_texts()
    assert any("2161010013" in r and "未报" in r for r in rows)
    assert sum("2161010011" in r or "2161010012" in r for r in rows) == 2
    assert fits_width(page)
    shot(page, "bureau-completeness-county")


def test_a_county_sees_its_schools_by_name(round_h1, bureau_pages, bureau_page):
    county = round_h1.counties["610103"]
    pages = bureau_pages(county)
    pages.account("碑林操作员", "operator")
    sign_in(bureau_page, pages, "碑林操作员", path="/completeness?period=2025-H1")
    rows = bureau_page.locator("tbody tr").all_inner_texts()
    missing = next(r for r in rows if "2161010013" in r)
    assert "测试学校0013" in missing and "未报" in missing
    shot(bureau_page, "bureau-completeness-county-own")
    bureau_page.get_by_role("link", name="统计表").click()  # the latest period held: 2025-H1
    bureau_page.wait_for_url("**/table")
    assert "2025年上半年" in bureau_page.locator("main").inner_text()
    bureau_page.go_back()
    bureau_page.get_by_role("link", name="2161010011").click()  # drill down to one school
    bureau_page.wait_for_url("**/table?period=2025-H1&region=2161010011")
    assert bureau_page.locator("table.stat tbody tr").count() > 10


def test_the_table_its_search_and_its_export_are_the_cli_s(round_h1, bureau_pages, bureau_page,
                                                          tmp_path):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅统计", "viewer")
    page = bureau_page
    sign_in(page, pages, "省厅统计", path="/table?period=2025-H1&region=610000")
    assert page.locator("table.stat tbody tr").count() > 100
    shot(page, "bureau-table-province")
    page.get_by_label("查找指标 Find an indicator").fill("辍学")
    page.get_by_role("button", name="查找 Search").click()
    page.wait_for_url("**/table/search?**")
    results = page.locator("tbody tr a")
    assert results.count() >= 1
    shot(page, "bureau-search")
    results.first.click()
    page.wait_for_url("**/table?**#acad.dropped_out")
    target = page.locator("tr:target")
    assert target.count() == 1 and "辍学" in target.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    mine = tmp_path / "web.xlsx"
    download.value.save_as(mine)
    cli = tmp_path / "cli.xlsx"
    aggregator_cli(round_h1.province.db, "table", "--period", "2025-H1", "--region", "610000",
                   "--format", "xlsx", "--out", str(cli), "--date",
                   "2027-06-30")  # the pages' clock's date: nobody has signed the table yet
    assert _cells(mine) == _cells(cli)


def _cells(path) -> list:  # noqa: ANN001
    import openpyxl

    return [[list(r) for r in ws.iter_rows(values_only=True)]
            for ws in openpyxl.load_workbook(path).worksheets]


def test_the_analysis_form_shows_the_estimates_alone(round_h1, bureau_pages, bureau_page,
                                                   tmp_path):
    """The analysis form is the estimates as held, those of the CLI's CSV; it makes no
    official table (a solve over every region held: seconds at a province), so
    it has no official column."""
    import pandas as pd

    from aggregator.web.routes_table import _shown

    pages = bureau_pages(round_h1.province)
    pages.account("省厅分析", "viewer")
    page = bureau_page
    sign_in(page, pages, "省厅分析", path="/table?period=2025-H1&region=610000&form=analysis")
    headers = page.locator("table.stat thead th").all_inner_texts()
    assert "估计值 Estimate" in headers and not any("正式值" in h for h in headers)
    column = headers.index("估计值 Estimate")
    shown = {r.get_attribute("id"): r.locator("td").nth(column).inner_text()
             for r in page.locator("table.stat tbody tr").all()}
    cli = tmp_path / "cli.csv"
    aggregator_cli(round_h1.province.db, "table", "--period", "2025-H1", "--region", "610000",
                   "--format", "csv", "--out", str(cli))
    estimates = pd.read_csv(cli)
    cells = estimates.columns[0]
    assert shown == {c: _shown(float(v)) for c, v in zip(estimates[cells], estimates["估计值 Estimate"],
                                                  strict=True)}
