"""Issue 13, job 5: care given, registration, aid, mentors and activities recorded by forms.

Each form is saved through the same row parser as its import file: an unknown 学号 or a date
in the future is refused beside the field with nothing stored, and what was typed stays in
the form. What was saved shows in the student's work list.
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

STUDENT = "2026000005"  # in family poverty and an orphan in the synthetic roster


def fill(page, values: dict[str, str]) -> None:
    form = page.locator("main form.card")
    for label, value in values.items():
        field = form.locator(f"[name='{label}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        elif field.get_attribute("type") == "checkbox":
            field.check()
        else:
            field.fill(value)


def test_every_kind_of_record_is_saved_by_its_form_and_refused_like_an_import(
        page, pages, county, tmp_path):
    set_up_school(page, pages, county, tmp_path)
    upload(page, pages, "学生名册", synth_files(tmp_path) / "roster.csv")
    page.get_by_role("link", name="关爱记录").first.click()

    before = dump(pages.db)
    fill(page, {"学号": "9999999999", "日期": "2027-06-01", "记录类型": "谈心谈话"})
    page.get_by_role("button", name="保存").click()
    alert = page.get_by_role("alert").inner_text()
    assert "没有保存" in alert and "学号" in alert
    assert page.locator("[name='学号']").input_value() == "9999999999"
    assert page.locator("[name='学号']").get_attribute("aria-invalid") == "true"
    shot(page, "15-care-refused")
    assert dump(pages.db) == before

    fill(page, {"学号": STUDENT, "日期": "2027-06-01", "记录类型": "谈心谈话", "数量": "2"})
    page.get_by_role("button", name="保存").click()
    assert "关爱记录已保存" in page.get_by_role("status").inner_text()

    forms = [
        ("学期报到", {"学号": STUDENT, "学期": "2027春季", "报到情况": "按时报到"}),
        ("资助记录", {"学号": STUDENT, "日期": "2027-03-10", "资助项目": "义务教育家庭经济困难学生生活补助（两免一补）",
                  "金额（元）": "625", "最高档次": "1"}),
        ("育人导师", {"工号": "T0012", "导师姓名": "李老师", "学号": STUDENT, "学期": "2027春季"}),
        ("家校协同活动", {"日期": "2027-05-20", "活动类型": "家长学校", "说明": "家庭教育讲座"}),
    ]
    for name, values in forms:
        page.locator("nav.subtabs").get_by_role("link", name=name).click()
        fill(page, values)
        page.get_by_role("button", name="保存").click()
        assert f"{name}已保存" in page.get_by_role("status").inner_text(), name
    assert fits_width(page)
    assert [pages.count(t) for t in ("care_records", "registrations", "aid_records",
                                     "mentor_assignments", "activities")] == [1, 1, 1, 1, 1]

    # A date in the future is refused, as in a file.
    page.locator("nav.subtabs").get_by_role("link", name="家校协同活动").click()
    page.locator("[name='日期']").evaluate("e => e.removeAttribute('max')")
    fill(page, {"日期": "2027-07-01", "活动类型": "家长会"})
    page.get_by_role("button", name="保存").click()
    assert "晚于今天" in page.get_by_role("alert").inner_text()
    assert pages.count("activities") == 1

    page.goto(pages.url + f"/students/{STUDENT}")
    ledger = page.locator("#ledger table").inner_text()
    assert "谈心谈话" in ledger and "×2" in ledger and "625 元" in ledger
