"""The bureaus' warnings, map and trends pages in a real browser, against a province and two
counties serving gRPC on loopback, fed with school reports of two half-years.

The province's operator judges both half-years and delivers the warnings; the county's
operator answers one and the answer reaches the province; a provincial viewer reads the list,
the map and a trend chart, and can change nothing.
"""

from __future__ import annotations

import re

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from aggregator.intake import enrolment
from aggregator.store.sqlite import Store, StoredWarning
from aggregator.warnings.notices import sign_warning
from privacy.identity import Identity
from privacy.keys import PublicKeys
from protos.periods import Period
from protos.query_pb2 import Warning
from synth.geography import province_counties
from tests.bureau_web import sign_in
from tests.federation import Aggregator, dump
from tests.node_web import fits_width, form_fields, shot
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
    # 610102's H2 alone cannot tell; the year pooled still shows H1's lapse
    pooled = row(page, "W03", "610102")
    assert pooled.locator(".state").inner_text() == "持续" and "全年两期合并" in pooled.inner_text()
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
    # forged fields: a clear page, nothing changed
    fields = form_fields(page, "table.warnings form.answer")
    before = dump(warned.counties["610102"].db)
    for forged in ({"action": "ignored"}, {"planned_by": "下个月"}, {"warning": "0" * 24},
                   {"warning": "'; DROP TABLE warnings; --"}, {"period": "2025-H9"}):
        refused = page.request.post(county.url + "/warnings/respond", form=fields | forged)
        assert refused.status == 400 and "没有做任何更改" in refused.text(), forged
    assert dump(warned.counties["610102"].db) == before

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
             for t in page.locator("svg a.maptile").all()}
    assert tiles == {"610102": "red", "610103": "yellow"}
    assert page.locator("svg a.maptile[data-code='610102'] text.name").text_content() == "新城区"
    assert "2 条 · 严重" in page.locator("svg a.maptile[data-code='610102']").text_content()
    assert page.locator("svg g.block text").first.text_content().startswith("西安市")
    assert page.locator("ul.legend li").count() == 4
    shot(page, "bureau-warnings-map")
    page.locator("svg a.maptile[data-code='610103']").click()
    page.wait_for_url(re.compile(r"/warnings\?period=2025-H1&region=610103"))
    assert row(page, "W07", "610103").count() == 1 and row(page, "W03", "610102").count() == 0
    page.goto(province.url + "/warnings/map?period=2025-H2")
    assert {t.get_attribute("data-code"): t.get_attribute("data-severity")
            for t in page.locator("svg a.maptile").all()}["610103"] == "yellow"


def test_a_trend_is_found_in_chinese_and_drawn_with_its_interval_and_values(
        warned, bureau_pages, bureau_page):
    page = bureau_page
    province = bureau_pages(warned.province)
    province.account("省厅统计", "viewer")
    sign_in(page, province, "省厅统计", path="/trends?region=610102")
    offered = page.locator("ul.found a").all_inner_texts()  # the rules, before any search
    assert [t.split()[0] for t in offered] == ["W01", "W02", "W03", "W04", "W05", "W06", "W07"]
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


def test_the_map_of_a_province_of_107_counties_fits_the_page(tmp_path, bureau_pages,
                                                               bureau_page):
    """The whole province: every county held gets its tile in its prefecture's block, coloured
    by its severest warning still holding (a resolved one does not count)."""
    province = Aggregator(tmp_path, "610000", "province")
    counties = [c.code for c in province_counties(107)]
    store = Store(province.db)
    try:
        for code in counties:
            enrolment.enrol(store, province.settings, Identity(
                code, "aggregator", code, PublicKeys(bytes(SigningKey.generate().verify_key),
                                                     bytes(PrivateKey.generate().public_key)),
                "county", "127.0.0.1:1"))
        worst = {}
        for i, code in enumerate(counties[::3]):
            found = [[("W07", "yellow")], [("W03", "orange"), ("W07", "yellow")],
                     [("W01", "red"), ("W03", "orange")]][i % 3]
            for rule, severity in found:
                status = "resolved" if (i % 5 == 0 and severity == "red") else "new"
                warning = Warning(warning_id=f"{i:04d}{rule}".ljust(24, "0"), issuer="610000",
                                  rule_id=rule, region=code, level="county", period="2025-H1",
                                  since="2025-H1", status=status, severity=severity,
                                  kind="ratio", title_zh=rule, title_en=rule)
                store.put_warning(StoredWarning(
                    warning.warning_id, "610000", "2025-H1", rule, code, status, "2025-H1",
                    sign_warning(warning, province.settings.signing_key), "2026-01-10", None))
            worst[code] = min((s for r, s in found if not (i % 5 == 0 and s == "red")),
                              key=["red", "orange", "yellow"].index, default=None)
        store.add_warning_run("2025-H1", "2025.1", "2026-01-10")
    finally:
        store.close()
    pages = bureau_pages(province)
    pages.account("省厅查看", "viewer")
    sign_in(bureau_page, pages, "省厅查看", path="/warnings/map?period=2025-H1")
    tiles = {t.get_attribute("data-code"): t.get_attribute("data-severity")
             for t in bureau_page.locator("svg a.maptile").all()}
    assert set(tiles) == set(counties)
    assert tiles == {c: worst.get(c) or "none" for c in counties}
    assert bureau_page.locator("svg g.block").count() == 10
    assert bureau_page.locator("svg a.maptile[data-code='610102'] text.name").text_content() == "新城区"
    assert fits_width(bureau_page)
    shot(bureau_page, "bureau-warnings-map-province")
    # a city's map: only its block
    bureau_page.goto(pages.url + "/warnings/map?period=2025-H1&region=610300")
    codes = [t.get_attribute("data-code") for t in bureau_page.locator("svg a.maptile").all()]
    assert codes and all(c.startswith("6103") for c in codes)


def test_every_answer_shows_a_badge_since_and_delivery_only_as_it_applies(
        warned, bureau_pages, bureau_page):
    page = bureau_page
    province = bureau_pages(warned.province)
    province.account("省厅全部", "viewer")
    sign_in(page, province, "省厅全部", path="/warnings?period=2025-H2&all=1")
    rows = page.locator("table.warnings tbody tr").all()
    texts = [r.inner_text() for r in rows]
    warnings = [r for r in rows if r.locator(".sev").count()]
    others = [(r, t) for r, t in zip(rows, texts, strict=True) if "已研判" in t]
    assert warnings and others
    for r, t in others:  # 未见异常 or 数据不足以判断: no severity, no "since"
        assert r.locator(".sev").count() == 0 and "始于" not in t, t
    undecided = [t for _, t in others if "数据不足以判断" in t]
    assert undecided and all("如何判断" in t and "What would settle it" in t for t in undecided)
    assert not any("如何判断" in t for _, t in others if "未见异常" in t)
    # judged and delivered by the province's operator: those about the province itself stay
    kept = [t for t in texts if "陕西省" in t.split("\n")[0]]
    assert kept and all("本级留存 kept here" in t and "未送达" not in t for t in kept)
    assert not any("未送达 not delivered" in t for t in texts)
    shot(page, "bureau-warnings-all")
