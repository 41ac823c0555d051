"""The bureaus' pages say what they show, in a real browser: the trend names its figures (the
unbiased estimate, not the official value) and opens the official table of the same region
and period; the statistics table's subtitle is there in Chinese and in English; every fixed
text on every page is Chinese first with English beside it.

A province and two counties serve gRPC on loopback, fed with two half-years of school reports
(tests/rounds.py) in which the released dropouts of 碑林区 (610103) are negative — as noise
makes them for a small true count — so that its estimate and interval fall below 0.
"""

from __future__ import annotations

import re

import pytest

from aggregator.web.routes_trends import BEYOND, READING, SERIES
from protos.catalogue import load
from protos.periods import Period
from protos.regions import name
from tests.bureau_web import sign_in
from tests.federation import aggregator_cli
from tests.node_web import shot
from tests.rounds import Round, healthy

H1, H2 = Period.parse("2025-H1"), Period.parse("2025-H2")
LAYOUT = {"610102": ["2161010001", "2161010002"], "610103": ["2161010011", "2161010012"]}
# each of 碑林区's schools released −5 dropouts in H1 and −2 in H2: the county's estimate is
# −10 in H1 (variance 18: interval [−18.3, −1.7]) and −4 in H2; 新城区 lets monthly talks slip
# in H1 (W03).
DROPPED = {H1: -5, H2: -2}
CAT = load()


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    federation = Round(tmp_path_factory.mktemp("words"), LAYOUT)
    for period in (H1, H2):
        for county, schools in LAYOUT.items():
            for school_id in schools:
                changes = ({"acad.dropped_out": DROPPED[period]} if county == "610103"
                           else {"psy.talk_monthly": 100} if period == H1 else {})
                federation.submit(school_id, healthy(school_id, **changes), period)
        federation.roll_up(period)
        aggregator_cli(federation.province.db, "warnings", "evaluate", "--period", period.code)
    yield federation
    federation.stop()


def test_a_trend_says_it_draws_the_estimate_below_0_too_and_opens_the_official_table(
        spoken, bureau_pages, bureau_page):
    page = bureau_page
    province = bureau_pages(spoken.province)
    province.account("省厅统计", "viewer")
    sign_in(page, province, "省厅统计",
            path="/trends?region=610103&indicator=acad.dropped_out")
    page.wait_for_selector("#trend-chart[data-drawn='1'] svg")
    # beside the chart: what is drawn, and where the official values are
    reading = page.locator("#reading").inner_text()
    assert READING.zh in reading and READING.en in reading
    # the series are named so in the legend, and the tooltip says it again
    labels = page.locator("#trend-chart svg text").all_text_contents()
    assert SERIES["estimate"].both() in labels and SERIES["interval"].both() in labels
    page.locator("#trend-chart").scroll_into_view_if_needed()
    box = page.locator("#trend-chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    tooltip = page.locator("#trend-chart div").filter(has_text=READING.zh).last
    tooltip.wait_for()
    assert READING.en in tooltip.inner_text() and "2025-H1" in tooltip.inner_text()
    # drawn as estimated, below 0: the points' values, a negative tick, the note saying why
    assert {"-10", "-4"} <= set(labels)
    assert any(re.fullmatch(r"-\d+", t) and t not in ("-10", "-4") for t in labels), labels
    beyond = page.locator("#beyond").inner_text()
    assert BEYOND.zh in beyond and BEYOND.en in beyond
    rows = page.locator("table.figures tbody tr").all_inner_texts()
    assert "-10" in rows[0] and "[-18, -2]" in rows[0] and "-4" in rows[1]
    # the table counts the schools behind each estimate, and says whose "missing" it counts
    heads = page.locator("table.figures thead th").all_inner_texts()
    assert heads[3:] == ["学校 Schools", "未报的直接成员 Direct members missing"]
    assert page.locator("p.small a[href*='/completeness?region=610103']").count() == 2
    shot(page, "bureau-trends-below-zero")

    # the link opens this indicator's rows of the official table, same region and period
    page.locator("#reading a").click()
    page.wait_for_url("**/table?period=2025-H2&region=610103#acad.dropped_out")
    target = page.locator("table.stat tr:target")
    target.wait_for()  # (should the official tables be in the making, once they are made)
    assert target.count() == 1 and "辍学" in target.inner_text()
    headers = page.locator("table.stat thead th").all_inner_texts()
    official = target.locator("td").nth(headers.index("数值 Value")).inner_text()
    assert official.isdigit()  # non-negative, where the estimate is −4
    page.go_back()
    page.get_by_role("link", name=re.compile("^2025年上半年")).click()  # a period's own table
    page.wait_for_url("**/table?period=2025-H1&region=610103#acad.dropped_out")

    # nothing below 0 (400 key students ± 12): no such note
    page.goto(province.url + "/trends?region=610102&indicator=key.current")
    page.wait_for_selector("#trend-chart[data-drawn='1'] svg")
    assert page.locator("#reading").count() == 1 and page.locator("#beyond").count() == 0


def test_the_table_s_subtitle_is_in_chinese_then_english_in_both_forms(
        spoken, bureau_pages, bureau_page, tmp_path):
    import openpyxl

    page = bureau_page
    province = bureau_pages(spoken.province)
    province.account("省厅表格", "viewer")
    sign_in(page, province, "省厅表格", path="/table?period=2025-H2&region=610000")
    page.locator("p.subtitle[lang=en]").wait_for()
    with page.expect_download() as download:  # the CLI's file: its sheets' subtitles
        page.get_by_role("link", name="XLSX").click()
    download.value.save_as(tmp_path / "table.xlsx")
    book = openpyxl.load_workbook(tmp_path / "table.xlsx")
    lines = page.locator("p.subtitle").all_inner_texts()
    assert lines == [book["统计表"]["A2"].value, book["English"]["A2"].value]
    assert "差分隐私" in lines[0] and "differentially private" in lines[1]
    assert page.locator("p.subtitle").nth(1).get_attribute("lang") == "en"
    # the rows' labels: the Chinese sheet's, with the English sheet's beside them
    row = page.locator("table.stat tr#acad\\.dropped_out").inner_text()
    assert CAT.cell("acad.dropped_out").label.zh in row
    assert CAT.cell("acad.dropped_out").label.en in row
    shot(page, "bureau-table-subtitle")
    page.get_by_role("radio", name=re.compile("分析用估计值")).check()
    page.get_by_role("button", name="查看 Show").click()
    page.wait_for_url("**form=analysis**")
    (line,) = page.locator("p.subtitle").all_inner_texts()
    assert line.startswith("分析用估计值（无偏，可为负） analysis form (unbiased, may be negative)")


# A text a person reads that holds Chinese must hold English too, or have it beside it. The
# unit read is the text's element, climbing out of inline emphasis (b, strong, em, i, small,
# code); it passes when it holds a Latin letter, or when the element right after it does and
# is the English of it: an ``.en`` or ``lang="en"`` element, or the next cell of a table row
# (the analysis form's Chinese and English label columns). Data values (region, school and
# account names) are taken out first. In the SVG map, where a tile has no room for more, a
# tile's and a city's small text has its English in the <title> the pointer shows, as the
# legend beside the map has. Attributes people read (placeholder, title, aria-label) are
# checked the same way.
UNREAD = """(data) => {
  const CJK = /[\\u3400-\\u9fff\\uf900-\\ufaff]/, LATIN = /[A-Za-z]/;
  const EMPHASIS = new Set(["B", "STRONG", "EM", "I", "SMALL", "CODE"]);
  const strip = (t) => data.reduce((s, d) => s.split(d).join(" "), t || "");
  const chineseOnly = (t) => CJK.test(strip(t)) && !LATIN.test(strip(t));
  const shown = (el) => {
    const box = el.closest("option") ? el.closest("select") : el;
    return box.getClientRects().length > 0 && getComputedStyle(box).visibility !== "hidden";
  };
  const found = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    let unit = node.parentElement;
    if (!chineseOnly(node.nodeValue) || unit.closest("script, style, title") || !shown(unit)) {
      continue;
    }
    while (EMPHASIS.has(unit.tagName) && unit.parentElement) { unit = unit.parentElement; }
    const next = unit.nextElementSibling, cells = ["TD", "TH"];
    const beside = next && (next.matches(".en, [lang=en]")
                            || cells.includes(unit.tagName) && cells.includes(next.tagName));
    const hint = unit.closest("svg") && unit.parentElement.querySelector(":scope > title");
    if (chineseOnly(unit.textContent) && !(beside && LATIN.test(strip(next.textContent)))
        && !(hint && LATIN.test(hint.textContent))) {
      found.push(unit.textContent.trim());
    }
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    for (const attr of ["placeholder", "title", "aria-label"]) {
      if (el.hasAttribute(attr) && chineseOnly(el.getAttribute(attr))) {
        found.push(attr + ": " + el.getAttribute(attr));
      }
    }
  }
  return found;
}"""


def unread(page, data: list[str]) -> list[str]:  # noqa: ANN001
    """The texts on the page that a reader of English cannot read."""
    return page.evaluate(UNREAD, data)


PAGES = [
    "/completeness?period=2025-H1", "/completeness?period=2025-H1&region=610103",
    "/table?period=2025-H1&region=610000", "/table?period=2025-H1&region=610103&form=analysis",
    "/table?period=2027-H1", "/table/search?q=辍学&period=2025-H1&region=610000",
    "/table/search?q=没有这样的词", "/warnings?period=2025-H1", "/warnings?period=2025-H2&all=1",
    "/warnings/map?period=2025-H1", "/trends", "/trends?q=辍学&region=610103",
    "/trends?region=610103&indicator=acad.dropped_out", "/trends?region=610102&indicator=W03",
    "/decisions?period=2025-H1",
    "/table?region=620000", "/trends?indicator=no.such.cell", "/no-such-page",
]


def test_every_fixed_text_on_the_bureau_s_pages_is_chinese_first_with_english_beside(
        spoken, bureau_pages, bureau_page):
    page = bureau_page
    province = bureau_pages(spoken.province)
    province.account("省厅查看", "viewer")
    province.account("省厅操作员", "operator")
    data = [name(c) for c in ("610000", "610100", "610102", "610103")]
    data += [f"测试学校{s[-4:]}" for schools in LAYOUT.values() for s in schools]
    data += ["省厅查看", "省厅操作员", "新城区操作员"]

    unreadable = {}
    page.goto(province.url + "/login")
    unreadable["/login"] = unread(page, data)
    # the rule finds what it should: a Chinese-only line, a Chinese-only placeholder
    page.evaluate("""() => { const p = document.createElement('p'); p.textContent = '只有中文';
        document.querySelector('main').append(p);
        document.querySelector('#name').placeholder = '例如 张三'; }""")
    assert unread(page, data) == [*unreadable["/login"], "只有中文", "placeholder: 例如 张三"]
    sign_in(page, province, "省厅操作员", "wrong password 1", succeeds=False)
    unreadable["/login failed"] = unread(page, data)

    # what an operator reads: the notes after judging and delivering, the forms, an answer
    sign_in(page, province, "省厅操作员", path="/warnings?period=2025-H1")
    page.get_by_role("button", name="研判本期 Judge this period").click()
    assert page.locator(".note.ok").count() == 1
    unreadable["judged"] = unread(page, data)
    page.get_by_role("button", name="送达下级 Deliver to the regions").click()
    unreadable["delivered"] = unread(page, data)
    county = bureau_pages(spoken.counties["610102"])
    county.account("新城区操作员", "operator")
    sign_in(page, county, "新城区操作员", path="/warnings?period=2025-H1")
    unreadable["county /warnings"] = unread(page, data)
    received = page.locator("table.warnings tbody tr").filter(has_text="W03")
    received.get_by_label("处理情况 Action").select_option("rectifying")
    received.get_by_label("计划完成日 Planned by").fill("2027-09-30")
    received.get_by_role("button", name="回复上级 Answer").click()
    assert page.locator(".note.ok").count() == 1
    unreadable["county answered"] = unread(page, data)
    page.goto(county.url + "/decisions?period=2025-H1")
    unreadable["county /decisions"] = unread(page, data)

    page.context.clear_cookies()  # signed out
    sign_in(page, province, "省厅查看")
    for path in PAGES:
        page.goto(province.url + path)
        if "indicator=" in path and "no.such" not in path:
            page.wait_for_selector("#trend-chart[data-drawn='1'] svg")
        unreadable[path] = unread(page, data)
    unreadable = {k: v for k, v in unreadable.items() if v}
    assert unreadable == {}, "\n".join(f"{k}: {v}" for k, v in unreadable.items())
