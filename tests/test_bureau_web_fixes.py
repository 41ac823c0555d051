"""What a fresh user found on the bureaus' pages (issue 14), each checked in a real browser."""

from __future__ import annotations

from datetime import timedelta

from aggregator.store.sqlite import Store
from tests.bureau_web import sign_in
from tests.node_web import form_fields


def test_every_page_asked_for_no_period_opens_on_the_latest_held_with_a_drop_down(
        round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅最新", "operator")
    sign_in(bureau_page, pages, "省厅最新")
    for path in ("/warnings", "/warnings/map", "/decisions", "/completeness", "/table"):
        bureau_page.goto(pages.url + path)
        assert "2025年上半年" in bureau_page.locator("main").inner_text(), path
        chosen = bureau_page.get_by_label("报送期 Period")
        assert chosen.evaluate("e => e.tagName") == "SELECT", path
        assert chosen.input_value() == "2025-H1", path


def test_a_period_with_no_figures_says_so_instead_of_a_table_of_zeros(
        round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅空期", "viewer")
    sign_in(bureau_page, pages, "省厅空期")
    response = bureau_page.goto(pages.url + "/table?period=2030-H1")
    assert response.status == 200
    main = bureau_page.locator("main").inner_text()
    assert "本期无数据" in main and "No figures are held for this period" in main
    assert bureau_page.locator("table.stat").count() == 0
    assert bureau_page.get_by_label("报送期 Period").input_value() == "2030-H1"
    response = bureau_page.request.get(pages.url + "/export/table.csv?period=2030-H1")
    assert response.status == 400 and "本期无数据" in response.text()
    bureau_page.goto(pages.url + "/table?period=2025-H1")
    assert bureau_page.locator("table.stat tbody tr").count() > 10


def test_exports_carry_the_form_official_integers_and_a_readable_name(
        round_h1, bureau_pages, bureau_page):
    pages = bureau_pages(round_h1.province)
    pages.account("省厅导出", "viewer")
    sign_in(bureau_page, pages, "省厅导出", path="/table?period=2025-H1&form=analysis")
    link = bureau_page.get_by_role("link", name="CSV").get_attribute("href")
    assert "form=analysis" in link
    official = bureau_page.request.get(pages.url + "/export/table.csv?period=2025-H1")
    assert official.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = official.headers["content-disposition"]
    assert "filename=table-610000-2025-H1.csv" in disposition
    assert "filename*=UTF-8''%E7%BB%9F%E8%AE%A1%E8%A1%A8-610000-2025-H1.csv" in disposition
    header, *rows = [line.split(",") for line in official.text().lstrip("\ufeff").splitlines()]
    counts = [i for i, h in enumerate(header) if "区间" not in h and "Interval" not in h]
    numbers = [row[i] for row in rows for i in counts[1:] if row[i][:1].isdigit()]
    assert numbers and all(n.isdigit() for n in numbers), numbers[:20]
    analysis = bureau_page.request.get(pages.url + link).text()
    assert analysis != official.text()
    assert not any(len(v.split(".")[1]) > 9 for v in analysis.replace("\n", ",").split(",")
                   if v.count(".") == 1 and v.replace(".", "").lstrip("-").isdigit())


def test_pages_are_not_cached_and_a_county_sees_nothing_of_another_or_of_the_province(
        round_h1, bureau_pages, bureau_page):
    page = bureau_page
    pages = bureau_pages(round_h1.province)
    pages.account("省厅填表", "operator")
    pages.account("新城区操作", "operator", region="610102")
    sign_in(page, pages, "省厅填表", path="/decisions?period=2025-H1")
    page.get_by_role("button", name="以填表人身份签字 Approve as filled by").click()
    assert "已以填表人身份签字" in page.locator(".note.ok").inner_text()
    assert "approve" in page.locator("table.record").inner_text()
    page.get_by_role("button", name="退出 Sign out").click()
    page.wait_for_url("**/login")
    sign_in(page, pages, "新城区操作", path="/decisions?period=2025-H1")
    for path in ("/decisions?period=2025-H1", "/table?period=2025-H1&region=610102",
                 "/export/table.csv?period=2025-H1&region=610102", "/warnings"):
        response = page.request.get(pages.url + path)
        assert response.status == 200 and response.headers["cache-control"] == "no-store", path
    main = page.locator("main").inner_text()
    assert page.locator("#signoff").count() == 0 and "填表人" not in main
    assert "approve" not in page.locator("table.record").inner_text()
    assert "610102" in page.locator("table.members").inner_text()
    response = page.request.get(pages.url + "/table/search?q=辍学&period=2025-H1&region=610103")
    assert response.status == 403 and "无权访问" in response.text()
    assert page.locator("form[action='/decisions/return']").count() == 0
    fields = form_fields(page, "form[action='/logout']") | {"period": "2025-H1"}
    before = decisions_made(round_h1.province)
    # another county; a school of it, not enrolled here; its own county, a member of the
    # province: deciding for this aggregator's members is the whole region's act
    for member in ("610103", "2161010011", "610102"):
        for path in ("/decisions/unlock", "/decisions/return"):
            refused = page.request.post(pages.url + path, form=fields | {"member": member,
                                                                           "reason": "x"})
            assert refused.status == 403 and "本级账号" in refused.text(), (path, member)
    assert decisions_made(round_h1.province) == before  # nothing changed


def decisions_made(aggregator) -> list:  # noqa: ANN001
    store = Store(aggregator.db)
    try:
        return store.decisions(None, "2025-H1")
    finally:
        store.close()


def test_the_small_texts_read_right(round_h1, bureau_pages, bureau_page, clock):
    page = bureau_page
    pages = bureau_pages(round_h1.province)
    pages.account("省厅文字", "viewer")
    clock.moment += timedelta(days=200)  # to January 2028: the example follows today
    bare = page.request.get(pages.url + "/table", max_redirects=0)
    assert bare.status == 302 and bare.text() == "" and "/login" in bare.headers["location"]
    sign_in(page, pages, "省厅文字", path="/table?period=2025-H1")
    example = page.get_by_label("查找指标 Find an indicator").get_attribute("placeholder")
    chinese, english = example.removeprefix("例如 ").split(" · e.g. ")  # each finds something
    page.get_by_label("查找指标 Find an indicator").fill(english)
    page.get_by_role("button", name="查找 Search").click()
    page.wait_for_url("**/table/search?**")
    assert page.locator("tbody tr a").count() >= 1
    page.get_by_label("词语 Words").fill(chinese)
    page.get_by_role("button", name="查找 Search").click()
    page.wait_for_url("**/table/search?q=%E6%AE%8B**")
    assert page.locator("tbody tr a").count() >= 1
    said = page.locator("main").inner_text()
    assert "1 indicators" not in said and "Indicators: 1" in said
    response = page.goto(pages.url + "/no-such-page")
    assert response.status == 404
    assert page.title().startswith("没有这个页面 Not found") and "未完成" not in page.content()
    response = page.goto(pages.url + "/table?period=2025-H9")
    assert response.status == 400 and "use one like 2028-H1, 2028-H2 or 2028" in page.content()
