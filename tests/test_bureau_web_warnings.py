"""The bureaus' warnings, map and trends pages in a real browser, against a province and two
counties serving gRPC on loopback, fed with school reports of two half-years.

The province's operator judges both half-years and delivers the warnings; the county's
operator answers one and the answer reaches the province; a provincial viewer reads the list,
the map and a trend chart, and can change nothing.
"""

from __future__ import annotations

import re

import pytest

from protos.periods import Period
from tests.bureau_web import sign_in
from tests.federation import dump
from tests.node_web import form_fields, shot
from tests.rounds import Round, healthy

H1, H2 = Period.parse("2025-H1"), Period.parse("2025-H2")
LAYOUT = {"610102": ["2161010001", "2161010002"], "610103": ["2161030004", "3161030005"]}
# H1: 610102 lets dropouts (W01, red) and monthly talks (W03, orange) slip, 610103 mentors
# (W07, yellow); H2: only 610103's mentors still lag.
PROBLEMS = {H1: {"610102": {"psy.talk_monthly": 100, "acad.dropped_out": 40},
                 "610103": {"mentor.assigned": 80}},
            H2: {"610103": {"mentor.assigned": 80}}}


@pytest.fixture(scope="module")
def warned(tmp_path_factory):
    federation = Round(tmp_path_factory.mktemp("warned"), LAYOUT)
    for period, problems in PROBLEMS.items():
        for county, schools in LAYOUT.items():
            for school_id in schools:
                federation.submit(school_id, healthy(school_id, **problems.get(county, {})),
                                  period)
        federation.roll_up(period)
    yield federation
    federation.stop()


def row(page, rule: str, region: str):  # noqa: ANN201
    """The warnings table's row of a rule and region."""
    return page.locator("table.warnings tbody tr").filter(
        has=page.locator(f"text={region}")).filter(has_text=re.compile(rf"\b{rule}\b"))


def test_judged_delivered_answered_and_seen_on_the_list_and_the_map(
        warned, bureau_pages, bureau_page):
    page = bureau_page
    province = bureau_pages(warned.province)
    province.account("省厅操作员", "operator")
    province.account("省厅查看", "viewer")
    county = bureau_pages(warned.counties["610102"])
    county.account("新城区操作员", "operator")

    sign_in(page, province, "省厅操作员", path="/warnings?period=2025-H1")
    assert "本期尚未在本级研判" in page.content()
    page.get_by_role("button", name="研判本期 Judge this period").click()
    assert "已研判" in page.locator(".note.ok").inner_text()
    assert row(page, "W03", "610102").locator(".state").inner_text() == "新发"
    page.goto(province.url + "/warnings?period=2025-H2")
    page.get_by_role("button", name="研判本期 Judge this period").click()
    w07 = row(page, "W07", "610103")
    assert w07.locator(".state").inner_text() == "持续" and "since 2025-H1" in w07.inner_text()
    assert row(page, "W03", "610102").locator(".state").inner_text() == "已解除"
    page.get_by_role("button", name="送达下级 Deliver to the regions").click()
    assert re.search(r"已送达 [1-9]\d* 条", page.locator(".note.ok").inner_text())
    assert "未送达 0 条" in page.locator(".note.ok").inner_text()
    shot(page, "bureau-warnings-province")

    # the county's operator answers the warning received from above; it is sent at once
    sign_in(page, county, "新城区操作员", path="/warnings?period=2025-H1")
    received = row(page, "W03", "610102")
    received.get_by_label("处理情况 Action").select_option("rectifying")
    received.get_by_label("计划完成日 Planned by").fill("2027-09-30")
    received.get_by_role("button", name="回复上级 Answer").click()
    assert "已送达上级" in page.locator(".note.ok").inner_text()
    assert "整改中（计划 2027-09-30 完成）" in row(page, "W03", "610102").inner_text()
    shot(page, "bureau-warnings-county")

    # a provincial viewer sees the answer, the map and changes nothing
    sign_in(page, province, "省厅查看", path="/warnings?period=2025-H1")
    answered = row(page, "W03", "610102").inner_text()
    assert "整改中" in answered and "新城区" in answered
    assert page.get_by_role("button", name="研判本期 Judge this period").count() == 0
    assert page.locator("form.answer").count() == 0
    before = dump(warned.province.db)
    fields = form_fields(page, "form[action='/logout']")
    for path in ("/warnings/evaluate", "/warnings/deliver", "/warnings/respond"):
        refused = page.request.post(province.url + path, form={**fields, "period": "2025-H1"})
        assert refused.status == 403, path
    assert dump(warned.province.db) == before

    page.goto(province.url + "/warnings/map?period=2025-H1")
    tiles = {t.get_attribute("data-code"): t.get_attribute("data-severity")
             for t in page.locator("svg a.tile").all()}
    assert tiles == {"610102": "red", "610103": "yellow"}
    assert page.locator("svg a.tile[data-code='610102'] text.name").text_content() == "新城区"
    assert "2 条 · 严重" in page.locator("svg a.tile[data-code='610102']").text_content()
    assert page.locator("svg g.block text").first.text_content().startswith("西安市")
    assert page.locator("ul.legend li").count() == 4
    shot(page, "bureau-warnings-map")
    page.locator("svg a.tile[data-code='610103']").click()
    page.wait_for_url(re.compile(r"/warnings\?period=2025-H1&region=610103"))
    assert row(page, "W07", "610103").count() == 1 and row(page, "W03", "610102").count() == 0
    page.goto(province.url + "/warnings/map?period=2025-H2")
    assert {t.get_attribute("data-code"): t.get_attribute("data-severity")
            for t in page.locator("svg a.tile").all()} == {"610102": "none", "610103": "yellow"}


def test_a_trend_is_found_in_chinese_and_drawn_with_its_interval_and_values(
        warned, bureau_pages, bureau_page):
    page = bureau_page
    province = bureau_pages(warned.province)
    province.account("省厅统计", "viewer")
    sign_in(page, province, "省厅统计", path="/trends?region=610102")
    page.get_by_label("搜索指标 Find an indicator").fill("谈心")
    page.get_by_role("button", name="查看 Show").click()
    page.get_by_role("link", name=re.compile("^W03 ")).click()
    page.wait_for_selector("#trend-chart[data-drawn='1'] svg")
    assert "重点学生未做到每月谈心谈话不少于1次" in page.locator("h2").inner_text()
    # 610102's two schools each talked to 100 of 200 key students in H1, to 196 in H2
    labels = page.locator("#trend-chart svg text").all_text_contents()
    assert "50.0%" in labels and "2.0%" in labels
    assert {"2025-H1", "2025-H2"} <= set(labels)
    cells = page.locator("table.figures tbody tr").all_inner_texts()
    assert cells[0].startswith("2025年上半年") and "50.0%" in cells[0] and "2.0%" in cells[1]
    band = page.locator("#trend-chart svg path[fill-opacity]")
    assert band.count() >= 1  # the interval's shaded band
    shot(page, "bureau-trends")

    for bad in ("indicator=no.such.cell", "indicator=W03&stage=nursery", "region=620102"):
        response = page.goto(province.url + "/trends?" + bad)
        assert response.status in (400, 403) and "没有做任何更改" in page.content()
