"""Issue 13, job 7: the annual summary written in the browser, every screening finding shown
in its line, signed and delivered only once clean — with its receipt from the county.
"""

from __future__ import annotations

import re

from tests.node_web import (
    set_up_school,
    shot,
    synth_files,
    upload,
)

NAME, ID_CARD = "何静霞", "610102201912151569"  # a student of the synthetic roster


def test_findings_are_shown_in_context_and_only_a_clean_summary_is_signed_and_delivered(
        page, pages, county, tmp_path):
    set_up_school(page, pages, county, tmp_path)
    upload(page, pages, "学生名册", synth_files(tmp_path) / "roster.csv")
    page.get_by_role("link", name="年度总结").first.click()
    draft = ("# 2027年度困境学生关爱工作总结\n"
             "本年度开展家长学校 4 次，谈心谈话覆盖全部重点关爱对象。\n"
             f"其中{NAME}同学（身份证 {ID_CARD}）学业进步明显。\n"
             "下一步继续完善台账。")
    page.get_by_label(re.compile("^总结正文")).fill(draft)
    page.get_by_role("button", name="检查").click()
    found = page.locator("ol.screened li")
    assert found.count() == 1 and "第 3 行" in found.inner_text()
    marks = page.locator("ol.screened mark").all_inner_texts()
    assert marks == [NAME, ID_CARD]
    assert page.get_by_role("button", name="签名并报送").count() == 0
    shot(page, "16-summary-findings")

    # Sent anyway (a script): refused, nothing queued.
    page.request.post(pages.url + "/summary", form={
        "csrf_token": page.locator("[name=csrf_token]").first.input_value(),
        "year": "2027", "text": draft, "action": "file", "understood": "1"})
    assert pages.count("outbox") == 0

    page.get_by_label(re.compile("^总结正文")).fill(draft.replace(
        f"其中{NAME}同学（身份证 {ID_CARD}）学业进步明显。", "多名同学学业进步明显。"))
    page.get_by_role("button", name="检查").click()
    assert "没有发现学生个人信息" in page.locator("main").inner_text()
    page.get_by_label("我已检查，内容可以报送").check()
    page.get_by_role("button", name="签名并报送").click()
    page.locator(".job-done").wait_for(state="visible", timeout=60_000)
    assert "回执已核验" in page.locator(".job-status").inner_text()
    page.get_by_role("link", name="查看回执").click()
    assert "2027" in page.locator("main table tbody").inner_text()
    assert pages.count("receipts") == 1
