"""Issue 13, job 1: from an empty node to the period at a glance, in a real browser.

The setup form makes the node, the key exchange links it to a real county aggregator on
loopback, and the front page then says the deadline and lock date, what is missing, and the
next step in words; after the roster is imported the next step moves on. The page fits
1366×768 and can be worked by keyboard.
"""

from __future__ import annotations

from tests.node_web import (
    fits_width,
    set_up_school,
    shot,
    synth_files,
    upload,
)


def test_an_empty_node_is_set_up_and_its_status_says_dates_state_and_next_step(
        page, pages, county, tmp_path):
    page.goto(pages.url + "/")
    assert page.url.endswith("/setup")
    shot(page, "01-setup")
    page.get_by_role("button", name="建立").click()  # empty form: the browser stops it
    assert page.url.endswith("/setup") and not pages.site.initialised()

    set_up_school(page, pages, county, tmp_path)
    main = page.locator("main")
    assert "上级已设置：610102" in main.inner_text()
    assert "2027年上半年" in main.inner_text()
    assert "2027-06-30 24:00" in main.inner_text()  # the plan's deadline, Beijing time
    assert "先导入学生名册" in page.locator(".next").inner_text()
    assert fits_width(page)
    shot(page, "02-status-empty")

    files = synth_files(tmp_path)
    upload(page, pages, "学生名册", files / "roster.csv")
    assert "已导入" in page.locator("main").inner_text()
    page.get_by_role("link", name="概览").first.click()
    next_step = page.locator(".next").inner_text()
    assert "预览并发布2027年上半年" in next_step
    assert "在校学生 Enrolled\n60" in page.locator("dl.facts").nth(1).inner_text()
    shot(page, "03-status-roster")

    # By keyboard: the first Tab reaches the skip link, Enter moves to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").startswith("概览")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(pages.url + "/students")
    assert page.get_by_role("heading", name="学生与案件").is_visible()
    assert fits_width(page)
