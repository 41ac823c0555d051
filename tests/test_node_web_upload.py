"""Issue 13, job 3: uploading import files in a real browser — all or nothing.

A file of the wrong type, and a roster with bad rows, are refused with their problems shown
as a table by line and column; the store is left exactly as it was. A good file is stored
and its counts shown. The same form sent twice (a double click, the back button) is answered
with a clear page, and nothing is stored twice.
"""

from __future__ import annotations

import csv

from tests.federation import dump
from tests.node_web import (
    form_fields,
    set_up_school,
    shot,
    synth_files,
    upload,
    write_csv,
)


def test_bad_files_change_nothing_and_show_every_problem_by_line_and_column(
        page, pages, county, tmp_path):
    set_up_school(page, pages, county, tmp_path)
    before = dump(pages.db)

    wrong = tmp_path / "名册.txt"
    wrong.write_text("学号,姓名\n1,张三\n", encoding="utf-8")
    upload(page, pages, "学生名册", wrong)
    assert "不是 .xlsx 或 .csv 文件" in page.get_by_role("alert").inner_text()

    files = synth_files(tmp_path)
    with (files / "roster.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    rows[3][4] = "大学"  # 学段 the school does not teach: line 4, column E
    rows[5][2] = "610102201001011230"  # a wrong check digit: line 6, column C
    bad = write_csv(tmp_path / "roster-bad.csv", rows[0], rows[1:])
    upload(page, pages, "学生名册", bad)
    alert = page.get_by_role("alert").inner_text()
    assert "整份文件没有导入" in alert and "2 个问题" in alert
    table = page.locator("table.problems tbody tr")
    assert table.count() == 2
    assert table.nth(0).locator("td").nth(0).inner_text() == "4"
    assert table.nth(0).locator("td").nth(1).inner_text() == "E"
    assert table.nth(1).locator("td").nth(0).inner_text() == "6"
    assert table.nth(1).locator("td").nth(2).inner_text() == "身份证号"
    shot(page, "04-upload-problems")
    assert dump(pages.db) == before  # nothing was written

    upload(page, pages, "学生名册", files / "roster.csv")
    assert "已导入" in page.get_by_role("status").inner_text()
    assert "新增 60" in page.get_by_role("status").inner_text()
    shot(page, "05-upload-done")
    assert pages.count("students") == 60


def test_the_same_form_sent_twice_is_refused_the_second_time(page, pages, county, tmp_path):
    set_up_school(page, pages, county, tmp_path)
    files = synth_files(tmp_path)
    upload(page, pages, "学生名册", files / "roster.csv")
    page.goto(pages.url + "/care?form=activities")
    fields = form_fields(page, "main form")
    fields.update({"日期": "2027-06-01", "活动类型": "家长会", "说明": "期末家长会"})
    first = page.request.post(pages.url + "/care/activities", form=fields, max_redirects=0)
    assert first.status == 302
    again = page.request.post(pages.url + "/care/activities", form=fields, max_redirects=0)
    assert again.status == 409 and "已经提交过" in again.text()
    assert pages.count("activities") == 1

    # A form refused for its values can be corrected and sent again with the same token.
    page.goto(pages.url + "/care?form=activities")
    fields = form_fields(page, "main form")
    fields.update({"日期": "2099-01-01", "活动类型": "家长会"})
    assert page.request.post(pages.url + "/care/activities", form=fields).status == 400
    fields["日期"] = "2027-05-01"
    assert page.request.post(pages.url + "/care/activities", form=fields,
                             max_redirects=0).status == 302
    assert pages.count("activities") == 2
