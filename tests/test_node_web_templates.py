"""Issue 13, job 2: blank templates that help, downloaded from the pages.

The workbook opens on an instructions sheet with an example row; the sheet that is imported
has drop-down lists on every enumerated column (学段 only with the school's own stages), the
ID columns formatted as text and wide enough, and no example row in it. Filled in as a
worker would, it imports through the upload page.
"""

from __future__ import annotations

import openpyxl

from tests.node_web import (
    set_up_school,
    shot,
    upload,
)


def download(page, name: str, folder):
    with page.expect_download() as got:
        page.get_by_role("link", name=name).click()
    path = folder / got.value.suggested_filename
    got.value.save_as(path)
    return path


def validations(sheet) -> dict[str, str]:
    """Column letter → the validation's first formula."""
    found = {}
    for check in sheet.data_validations.dataValidation:
        for cells in check.sqref.ranges:
            found[cells.coord.split(":")[0].rstrip("0123456789")] = check.formula1
    return found


def test_a_roster_template_has_instructions_lists_and_text_ids_and_imports_once_filled(
        page, pages, county, tmp_path):
    set_up_school(page, pages, county, tmp_path)
    page.get_by_role("link", name="模板").first.click()
    shot(page, "14-templates")
    path = download(page, "学生名册（.xlsx）", tmp_path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["学生名册", "填写说明"]  # the importer reads the first
    assert book.active.title == "填写说明"  # Excel opens on the instructions
    assert book["选项"].sheet_state == "hidden"
    sheet = book["学生名册"]
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["学号", "姓名", "身份证号", "性别", "学段"]
    assert sheet.max_row == 1 or all(c.value is None for c in sheet[2])  # no example here
    id_col = "C"
    assert sheet.column_dimensions[id_col].width >= 20
    assert sheet[f"{id_col}2"].number_format == "@" and sheet["A500"].number_format == "@"
    lists = validations(sheet)
    for letter in ("D", "E", "H", "I", "J", "K"):  # 性别 学段 困境类别 叠加因素 等级 应届
        assert letter in lists, letter
    stages = [c.value for c in book["选项"]["E"][1:] if c.value]
    assert stages == ["小学"]  # a primary school teaches one stage
    help_text = "\n".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row
                          if c.value)
    assert "示例" in help_text and "610102201201011236" in help_text

    sheet["A2"] = "20270001"
    sheet["B2"] = "王小明"
    sheet["C2"] = "610102201201011236"
    sheet["D2"] = "男"
    sheet["E2"] = "小学"
    sheet["H2"] = "农村留守儿童"
    book.save(path)
    upload(page, pages, "学生名册", path)
    assert "新增 1" in page.get_by_role("status").inner_text()
    assert pages.store().execute("SELECT id_card FROM students").fetchone()[0] == \
        "610102201201011236"

    page.goto(pages.url + "/templates")
    records = openpyxl.load_workbook(download(page, "关爱记录（.xlsx）", tmp_path))["关爱记录"]
    kinds = records.parent["选项"]["C"]
    assert "谈心谈话" in [c.value for c in kinds]
