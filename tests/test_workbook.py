"""Workbooks and files as schools have them, beyond the field inputs: sheets (hidden, several,
chosen), merged cells, .ods, files that are not what their name says, CSV stitched from two
encodings, amounts and dates as people write them."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from node.importer import ImportRejected, import_file
from node.tabular import TableError, read_table

HEADERS = ["学号", "姓名", "性别", "学段", "年级", "班级"]


@pytest.fixture
def db(school):
    """A fresh node of a primary school (2161010001, region 610102)."""
    return school.db


def book(path, sheets, active=0, merged=()):
    """An .xlsx: sheets is [(name, hidden, rows)]; merged is [(sheet index, "A2:A4")]."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, hidden, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if hidden:
            sheet.sheet_state = "hidden"
    for index, ranges in merged:
        workbook.worksheets[index].merge_cells(ranges)
    workbook.active = active
    workbook.save(path)
    return path


def names(db):
    return [n for (n,) in db.execute("SELECT name FROM students ORDER BY id")]


OLD = [HEADERS, ["1001", "旧甲", "男", "小学", "一年级", "1班"]]
NEW = [HEADERS, ["1001", "新甲", "男", "小学", "二年级", "1班"]]


def test_a_hidden_out_of_date_first_sheet_is_not_read_and_the_sheet_read_is_named(db, tmp_path):
    path = book(tmp_path / "r.xlsx", [("旧名册", True, OLD), ("2025秋", False, NEW)], active=1)
    counts = import_file(db, "roster", path)
    assert names(db) == ["新甲"]
    assert any("读取工作表“2025秋”" in n and "旧名册" in n for n in counts.notes)


def test_several_visible_sheets_that_could_each_be_it_ask_which(db, tmp_path):
    path = book(tmp_path / "r.xlsx", [("2025春", False, OLD), ("2025秋", False, NEW)])
    with pytest.raises(TableError) as refusal:
        import_file(db, "roster", path)
    assert "“2025春”、“2025秋”" in str(refusal.value) and "--sheet" in str(refusal.value)
    assert names(db) == []
    import_file(db, "roster", path, sheet="2025秋")
    assert names(db) == ["新甲"]
    import_file(db, "roster", path, sheet="1")
    assert names(db) == ["旧甲"]
    with pytest.raises(TableError, match="没有工作表“2024”"):
        import_file(db, "roster", path, sheet="2024")


def test_a_visible_sheet_without_the_columns_is_not_a_candidate(db, tmp_path):
    notes = [["说明"], ["本表由教务处导出"]]
    path = book(tmp_path / "r.xlsx", [("说明", False, notes), ("名册", False, NEW)])
    counts = import_file(db, "roster", path)
    assert names(db) == ["新甲"] and any("“名册”" in n for n in counts.notes)


def test_the_sheet_option_is_refused_for_a_csv(db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(",".join(HEADERS) + "\n1001,甲,男,小学,一年级,1班\n", encoding="utf-8")
    with pytest.raises(TableError, match="--sheet"):
        import_file(db, "roster", path, sheet="Sheet1")


def test_a_merged_range_across_columns_in_the_data_is_refused_naming_it(db, tmp_path):
    rows = [HEADERS, ["1001", "甲", "男", "小学", "一年级", "1班"],
            ["1002", "乙", "女", "小学", "一年级", None]]
    path = book(tmp_path / "r.xlsx", [("名册", False, rows)], merged=[(0, "E3:F3")])
    with pytest.raises(TableError) as refusal:
        import_file(db, "roster", path)
    assert "E3:F3" in str(refusal.value) and "unmerge" in str(refusal.value)
    assert names(db) == []


def test_merged_title_cells_above_the_header_are_no_problem(db, tmp_path):
    rows = [["2025年学生名册", None, None, None, None, None], HEADERS,
            ["1001", "甲", "男", "小学", "一年级", "1班"], ["1002", "乙", "女", "小学", None, None]]
    path = book(tmp_path / "r.xlsx", [("名册", False, rows)], merged=[(0, "A1:F1"), (0, "E3:E4")])
    counts = import_file(db, "roster", path)
    assert counts["added"] == 2
    assert db.execute("SELECT grade, class FROM students ORDER BY id").fetchall() == [
        ("一年级", "1班"), ("一年级", None)]


def test_data_above_the_header_names_the_lines_to_delete(db, tmp_path):
    rows = [["1000", "某", "男", "小学", "一年级", "1班"], HEADERS,
            ["1001", "甲", "男", "小学", "一年级", "1班"]]
    path = book(tmp_path / "r.xlsx", [("名册", False, rows)])
    with pytest.raises(TableError) as refusal:
        import_file(db, "roster", path)
    assert "表头在第2行" in str(refusal.value) and "删除第1–1行" in str(refusal.value)


def _ods_cell(value):
    if value is None:
        return "<table:covered-table-cell/>"
    if isinstance(value, tuple):  # (value, rows spanned)
        return (f'<table:table-cell table:number-rows-spanned="{value[1]}" '
                f'office:value-type="string"><text:p>{value[0]}</text:p></table:table-cell>')
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def _ods(path, rows, sheets=("名册",), active=None):
    cells = "".join("<table:table-row>" + "".join(map(_ods_cell, row)) + "</table:table-row>"
                    for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        "<office:body><office:spreadsheet>"
        + "".join(f'<table:table table:name="{name}">{cells}</table:table>' for name in sheets)
        + "</office:spreadsheet></office:body></office:document-content>")
    settings = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-settings '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"><office:settings>'
        '<config:config-item-set config:name="ooo:view-settings">'
        f'<config:config-item config:name="ActiveTable" config:type="string">{active}'
        "</config:config-item></config:config-item-set></office:settings>"
        "</office:document-settings>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
        if active:
            archive.writestr("settings.xml", settings)
    return path


def test_an_ods_is_read_with_its_merged_cells(db, tmp_path):
    path = _ods(tmp_path / "r.ods", [HEADERS, ["1001", "甲", "男", "小学", ("一年级", 2), "1班"],
                                     ["1002", "乙", "女", "小学", None, "1班"]])
    assert import_file(db, "roster", path)["added"] == 2
    assert names(db) == ["甲", "乙"]
    assert [g for (g,) in db.execute("SELECT grade FROM students ORDER BY id")] == ["一年级"] * 2


def test_without_a_sheet_of_the_columns_the_sheet_shown_on_opening_is_read(db, tmp_path):
    rows = [["姓名", "学号"], ["甲", "1001"]]  # read without an import's columns: no candidate
    path = book(tmp_path / "r.xlsx", [("一", False, [["x"]]), ("二", False, [["y"]])], active=1)
    assert read_table(path).notes[0].startswith("读取工作表“二”")
    ods = _ods(tmp_path / "r.ods", rows, sheets=("一", "二"), active="二")
    assert read_table(ods).notes[0].startswith("读取工作表“二”")


def _as_xls(xlsx):
    """The .xls LibreOffice makes of an .xlsx (Excel 97-2003, BIFF8), as WPS and older systems
    hand them to schools; the active sheet is kept."""
    subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir",
                    str(xlsx.parent), str(xlsx)], check=True, capture_output=True, timeout=180,
                   env={"HOME": str(xlsx.parent), "PATH": "/usr/bin:/bin"})
    return xlsx.with_suffix(".xls")


@pytest.mark.skipif(not shutil.which("soffice"), reason="needs libreoffice-calc-nogui "
                    "(deploy/install.sh --dev installs it)")
def test_an_xls_is_read_from_the_sheet_it_opens_on_not_the_first(db, tmp_path):
    xls = _as_xls(book(tmp_path / "r.xlsx", [("一", False, [["x"]]), ("二", False, [["y"]]),
                                              ("三", False, [["z"]])], active=1))
    assert xls.read_bytes().startswith(b"\xd0\xcf\x11\xe0")  # a real BIFF .xls
    assert read_table(xls).notes[0].startswith("读取工作表“二”")
    # a roster whose hidden first sheet is out of date, opened on the current one
    roster = _as_xls(book(tmp_path / "roster.xlsx", [("旧名册", True, OLD), ("说明", False,
                                                      [["本表说明"]]), ("2025秋", False, NEW)],
                          active=2))
    counts = import_file(db, "roster", roster)
    assert names(db) == ["新甲"] and any("读取工作表“2025秋”" in n for n in counts.notes)


@pytest.mark.parametrize("content, what", [
    (b"%PDF-1.4\n%...", "PDF"),
    (b"<html><body><table><tr><td>x</td></tr></table></body></html>", "HTML"),
    (b"\x00\x01\x02\x03binary", "二进制"),
    ("学号\t姓名\n".encode("utf-16"), "UTF-16"),
])
def test_a_file_that_is_no_spreadsheet_is_named_for_what_it_is(db, tmp_path, content, what):
    path = tmp_path / "roster.xls"
    path.write_bytes(content)
    with pytest.raises(TableError) as refusal:
        import_file(db, "roster", path)
    assert what in str(refusal.value) and "roster.xls" in str(refusal.value)


def test_an_xlsx_named_csv_is_read_and_said_so(db, tmp_path):
    real = book(tmp_path / "r.xlsx", [("名册", False, NEW)])
    path = tmp_path / "r.csv"
    path.write_bytes(real.read_bytes())
    counts = import_file(db, "roster", path)
    assert names(db) == ["新甲"] and any("Excel 工作簿（.xlsx）" in n for n in counts.notes)


def test_a_csv_stitched_from_utf8_and_gbk_names_the_odd_lines(db, tmp_path):
    path = tmp_path / "r.csv"
    head = (",".join(HEADERS) + "\r\n").encode("utf-8")
    good = ["1001,甲,男,小学,一年级,1班\r\n", "1002,乙,女,小学,一年级,1班\r\n"]
    path.write_bytes(head + good[0].encode("utf-8") + good[1].encode("gbk")
                     + "1003,丙,男,小学,一年级,1班\r\n".encode())
    with pytest.raises(TableError) as refusal:
        import_file(db, "roster", path)
    assert "第3行是 GBK/GB18030" in str(refusal.value) and "line(s) 3 " in str(refusal.value)
    path.write_bytes(head.decode().encode("gbk") + good[0].encode("gbk"))  # all GBK: fine
    assert import_file(db, "roster", path)["added"] == 1


def test_a_csv_line_that_is_no_csv_is_named(db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes((",".join(HEADERS) + '\n1001,甲,男,小学,一年级,1班\n1002,"乙,女,小学\n'
                      "1003,丙,男,小学,一年级,1班\n").encode())
    with pytest.raises(TableError, match="第3行无法按 CSV 读取"):
        read_table(path)


@pytest.mark.parametrize("written, amount", [
    ("625", 625), ("625.00", 625), ("625.0", 625), ("1,250", 1250), ("12,500.00", 12500),
    ("625元", 625), ("¥625", 625), ("￥1,250.00", 1250), ("６２５", 625), ("625 元", 625),
])
def test_amounts_as_people_write_them(written, amount):
    from datetime import date

    from node.rows import Cells
    cells = Cells({"金额": written}, date(2026, 1, 1))
    assert cells.amount("金额") == amount and cells.problems == []


@pytest.mark.parametrize("written", ["625.50", "1,25", "0", "-625", "六百元", "625美元"])
def test_amounts_that_are_not_whole_yuan_are_refused(written):
    from datetime import date

    from node.rows import Cells
    cells = Cells({"金额": written}, date(2026, 1, 1))
    assert cells.amount("金额") is None and len(cells.problems) == 1


@pytest.mark.parametrize("written", ["2025-03-01", "2025/3/1", "2025.3.1", "2025年3月1日",
                                     "20250301", "２０２５－０３－０１", "2025/3/1 0:00:00"])
def test_date_spellings(written):
    from datetime import date

    from node.rows import Cells
    cells = Cells({"日期": written}, date(2026, 1, 1))
    assert cells.date("日期") == date(2025, 3, 1), cells.problems


def test_a_serial_number_as_text_names_its_date_too(db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(",".join(HEADERS) + "\n1001,甲,男,小学,一年级,1班\n", encoding="utf-8")
    import_file(db, "roster", path)
    aid = tmp_path / "a.csv"
    aid.write_text("学号,日期,资助项目,金额（元）\n1001,45383,"
                   "义务教育家庭经济困难学生生活补助（两免一补）,625\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as refusal:
        import_file(db, "aid", aid)
    assert "2024-04-01" in str(refusal.value.problems[0])


def test_the_command_names_the_sheet_and_takes_sheet_and_confirm(school, tmp_path, monkeypatch,
                                                                 capsys):
    from tests.test_import import run
    path = book(tmp_path / "r.xlsx", [("2025春", False, OLD), ("2025秋", False, NEW)])
    code, _, err = run(monkeypatch, capsys, school.path, "import", "roster", path)
    assert code != 0 and "--sheet" in err
    code, out, _ = run(monkeypatch, capsys, school.path, "import", "roster", path,
                       "--sheet", "2025秋")
    assert code == 0 and "读取工作表“2025秋”" in out and "added 1" in out
    twin = tmp_path / "t.csv"
    twin.write_text(",".join(HEADERS) + "\n1002,新甲,男,小学,二年级,1班\n", encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, school.path, "import", "roster", twin)
    assert code != 0 and "--confirm 1002" in err
    code, out, _ = run(monkeypatch, capsys, school.path, "import", "roster", twin,
                       "--confirm", "1002")
    assert code == 0 and "added 1" in out
