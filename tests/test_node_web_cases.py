"""Issue 13, job 4: the roster and a key-care case through the whole procedure, in a browser.

A student is found on the roster page and opened; an application, a collective review, the
determination, the filing and the exit are each done through their form, and the case's
history shows every step. A form missing a field and a review with one participant are
refused with the reason in the page, and nothing is stored.
"""

from __future__ import annotations

from tests.federation import dump
from tests.node_web import (
    fits_width,
    set_up_school,
    shot,
    synth_files,
    upload,
)


def test_a_case_runs_apply_review_confirm_file_exit_through_forms(page, pages, county, tmp_path):
    set_up_school(page, pages, county, tmp_path)
    files = synth_files(tmp_path)
    upload(page, pages, "学生名册", files / "roster.csv")

    page.get_by_role("link", name="学生与案件").click()
    page.get_by_label("查找").fill("2026000004")
    page.get_by_role("button", name="查找").click()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    shot(page, "06-students")
    rows.first.get_by_role("link").click()
    assert "谢红琳" in page.get_by_role("heading", level=1).inner_text()

    # Missing facts: the browser would stop it, so send it as a careless script would.
    before = dump(pages.db)
    page.eval_on_selector_all("[required]", "els => els.forEach(e => e.removeAttribute('required'))")
    page.get_by_label("申请人").select_option("教师")
    page.get_by_label("申请关爱内容").fill("学业辅导")
    page.get_by_role("button", name="提出申请").click()
    alert = page.get_by_role("alert").inner_text()
    assert "没有保存" in alert and "事实和理由" in alert
    assert page.get_by_label("申请关爱内容").input_value() == "学业辅导"  # what was typed stays
    assert dump(pages.db) == before

    page.locator("#facts").fill("父母在外务工，近期成绩明显下降")
    page.locator("#reasons").fill("需要个别化辅导")
    page.get_by_role("button", name="提出申请").click()
    assert "已提出申请" in page.get_by_role("status").inner_text()

    # A review by one person is not a collective review.
    page.get_by_label("班主任").check()
    page.get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="记录集体评议").click()
    assert "至少需要两个参与人" in page.get_by_role("alert").inner_text()
    assert pages.count("case_events") == 1

    # By keyboard: tick a second role and submit with Enter.
    page.get_by_label("班主任").check()
    page.get_by_label("心理教师").focus()
    page.keyboard.press("Space")
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("评议日期").focus()
    page.keyboard.press("Enter")
    assert "评议同意" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="确定为重点关爱对象").click()
    assert "已确定为重点关爱对象" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="记录备案").click()
    assert "姓名不离开学校" in page.get_by_role("status").inner_text()
    shot(page, "07-case-confirmed")
    assert fits_width(page)

    page.get_by_text("退出重点关爱（需集体评议）").click()
    page.locator("details").get_by_label("资助干部").check()
    page.locator("details").get_by_label("班主任").check()
    page.locator("details").get_by_label("说明").fill("成绩恢复到正常水平")
    page.get_by_role("button", name="退出", exact=False).last.click()
    assert "已退出" in page.get_by_role("status").inner_text()
    history = page.locator("ol.history li").all_inner_texts()
    assert len(history) == 5
    for text, step in zip(history, ["提出申请", "集体评议", "对象确定", "备案", "退出"],
                          strict=True):
        assert f" {step}" in text
    assert "资助干部、班主任" in history[4]

    page.goto(pages.url + "/cases")
    assert "已退出" in page.locator("main table").inner_text()
    shot(page, "08-cases")
