"""What a fresh user found on the bureaus' pages (issue 14), each checked in a real browser."""

from __future__ import annotations

from tests.bureau_web import sign_in


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
