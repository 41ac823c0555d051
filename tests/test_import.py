"""Imports of the school node: every kind from CSV and .xlsx, all-or-nothing, idempotent."""

from __future__ import annotations

import csv
import re
import sqlite3
import sys
from datetime import datetime

import openpyxl
import pytest

from common.clock import SYSTEM
from guanai.cli import main
from node.idcard import check_character, id_card_problem
from node.importer import KINDS, TEMPLATES, ImportRejected, import_file
from node.store import open_store, set_meta
from node.tabular import read_table
from protos.deadlines import local_date

SCHOOL = "3461010001"  # 普通高中（含完全中学）: junior and senior


def id_card(seq: int, birth: str = "20080101") -> str:
    first17 = f"610102{birth}{seq:03d}"
    return first17 + check_character(first17)


def new_store(tmp_path, school_id: str = SCHOOL):
    path = tmp_path / "node.db"
    db = open_store(path, create=True)
    set_meta(db, "school_id", school_id)
    set_meta(db, "region_code", "610102")
    return path, db


def dump(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def write(path, headers, rows, encoding="utf-8-sig"):
    """A .csv (in ``encoding``) or an .xlsx with real date cells for ISO dates."""
    if path.suffix == ".csv":
        with path.open("w", encoding=encoding, newline="") as out:
            writer = csv.writer(out)
            writer.writerow(headers)
            writer.writerows(rows)
        return path
    workbook = openpyxl.Workbook()
    workbook.active.append(list(headers))
    for row in rows:
        workbook.active.append([_cell(v) for v in row])
    workbook.save(path)
    return path


def _cell(value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return datetime.fromisoformat(value)
    return value


def run(monkeypatch, capsys, db_path, *args) -> tuple[int, str, str]:
    """Run the real `guanai` entry point; returns (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["guanai", "node", "--db", str(db_path), *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def node_runner(tmp_path, monkeypatch, capsys):
    """A store with the sample roster, and a function running `guanai node …` on it."""
    path, db = new_store(tmp_path)
    import_file(db, "roster", write(tmp_path / "roster.csv", ROSTER_HEADERS, ROSTER))

    def guanai(*args):
        return run(monkeypatch, capsys, path, *args)

    guanai.path, guanai.db = path, db
    return guanai


ROSTER_HEADERS = KINDS["roster"].headers
ROSTER = [
    ("S001", "张三", id_card(1), "男", "普通高中", "高一", "1班", "家庭经济困难；因公牺牲警察、消防人员子女",
     "学业成绩严重落后", "特别困难", "是", "13800000001", "西安市新城区"),
    ("S002", "李四", id_card(2), "女", "初中", "初二", "3班", "农村留守儿童", "", "", "否", "", ""),
    ("S003", "王五", "", "", "普通高中", "", "", "", "", "", "", "", ""),
]

SAMPLES = {
    "auto": [(id_card(1), "张三", "家庭经济困难、孤儿", "全国学生资助管理信息系统", "2025-03-01")],
    "cases": [("S002", "2025-02-01", "教师", "学业辅导", "父母外出务工，成绩下滑", "2025-02-10",
               "资助干部、班主任、心理教师", "同意", "2025-02-15", "2025-03-01", "", "")],
    "records": [("S001", "2025-03-05", "谈心谈话", "2", ""),
                ("S002", "2025/3/6", "学业辅导", "", "数学")],
    "registration": [("S001", "2025春季", "按时报到", "", "", ""),
                     ("S002", "2025-H1", "因病请假", "2025-03-20", "否", "住院")],
    "aid": [("S001", "2025-03-01", "普通高中国家助学金", "1150", "是"),
            ("S002", "2025-03-01", "义务教育家庭经济困难学生生活补助(两免一补)", "625", "")],
    "mentors": [("T001", "王老师", "S001", "2025-H1"), ("T001", "王老师", "S002", "2025-H1")],
    "activities": [("2025-03-10", "家长会", "春季家长会"), ("2025-04-01", "专题讲座", "")],
}
TABLES = {"auto": "cases", "cases": "cases", "records": "care_records",
          "registration": "registrations", "aid": "aid_records",
          "mentors": "mentor_assignments", "activities": "activities"}


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def store(tmp_path):
    path, db = new_store(tmp_path)
    import_file(db, "roster", write(tmp_path / "roster.csv", ROSTER_HEADERS, ROSTER))
    return path, db


# ------------------------------------------------------------------ ID-card numbers

def test_id_card_check_follows_gb_11643():
    assert id_card_problem("11010519491231002X") is None  # the standard's own example
    assert id_card_problem("110105194912310021")[1].startswith("check digit")
    assert "18 characters" in id_card_problem("11010519491231002")[1]
    assert "birth date" in id_card_problem("110105194902300021")[1]  # 30 February
    assert "17 digits" in id_card_problem("11010519491231002Y")[1]
    assert check_character("11010519491231002") == "X"


# ------------------------------------------------------------------ every kind, CSV and xlsx

@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_roster_imports_students_categories_and_factors(tmp_path, suffix):
    _, db = new_store(tmp_path)
    counts = import_file(db, "roster", write(tmp_path / f"roster{suffix}", ROSTER_HEADERS, ROSTER))
    assert (counts["added"], counts["updated"]) == (3, 0)
    row = db.execute("SELECT name, id_card, gender, stage, tier, graduating, enrolled "
                     "FROM students WHERE student_no = 'S001'").fetchone()
    assert row == ("张三", id_card(1), "男", "senior", "special", 1, 1)
    assert sorted(db.execute("SELECT category, source FROM student_categories c JOIN students s "
                             "ON s.id = c.student_id WHERE student_no = 'S001'")) == [
        ("police_fire_duty", "roster"), ("poverty", "roster")]
    assert db.execute("SELECT factor FROM student_factors").fetchall() == [("academic_lag",)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("kind", list(SAMPLES))
def test_each_kind_imports_once_however_often_it_is_imported(store, tmp_path, kind, suffix):
    path, db = store
    file = write(tmp_path / f"{kind}{suffix}", KINDS[kind].headers, SAMPLES[kind])
    first = import_file(db, kind, file)
    assert first["added"] == count(db, TABLES[kind]) > 0
    before = dump(path)
    again = import_file(db, kind, file)
    assert again["added"] == again["updated"] == 0
    assert again["unchanged"] == len(SAMPLES[kind])
    assert dump(path) == before


def test_every_kind_is_covered_by_the_samples():
    assert set(KINDS) == {"roster", *SAMPLES}


def test_reimporting_the_roster_changes_nothing(store, tmp_path):
    path, db = store
    before = dump(path)
    counts = import_file(db, "roster", write(tmp_path / "again.csv", ROSTER_HEADERS, ROSTER))
    assert counts["unchanged"] == 3 and counts["added"] == counts["updated"] == 0
    assert dump(path) == before


def test_roster_update_replaces_roster_categories_but_keeps_auto_ones(store, tmp_path):
    _, db = store
    import_file(db, "auto", write(tmp_path / "auto.csv", KINDS["auto"].headers, SAMPLES["auto"]))
    changed = [("S001", "张三", id_card(1), "男", "普通高中", "高二", "1班", "残疾", "", "", "",
                "", ""), *ROSTER[1:]]
    counts = import_file(db, "roster", write(tmp_path / "r2.csv", ROSTER_HEADERS, changed))
    assert (counts["updated"], counts["unchanged"]) == (1, 2)
    assert sorted(db.execute(
        "SELECT category, source FROM student_categories c JOIN students s ON s.id = c.student_id "
        "WHERE student_no = 'S001'")) == [
        ("disability", "roster"), ("orphan", "auto"), ("poverty", "auto")]
    assert db.execute("SELECT grade FROM students WHERE student_no = 'S001'").fetchone() == ("高二",)
    assert count(db, "student_factors") == 0


def test_full_roster_marks_missing_students_as_left_never_deletes(store, tmp_path):
    _, db = store
    counts = import_file(db, "roster", write(tmp_path / "r.csv", ROSTER_HEADERS, ROSTER[:2]),
                         full=True)
    assert counts["left"] == 1
    assert db.execute("SELECT student_no, enrolled FROM students ORDER BY student_no").fetchall() \
        == [("S001", 1), ("S002", 1), ("S003", 0)]


def test_full_with_an_empty_roster_is_refused(store, tmp_path):
    path, db = store
    before = dump(path)
    with pytest.raises(Exception, match="mark everyone as left"):
        import_file(db, "roster", write(tmp_path / "r.csv", ROSTER_HEADERS, []), full=True)
    assert dump(path) == before


def test_gb18030_csv_is_read(tmp_path):
    _, db = new_store(tmp_path)
    file = write(tmp_path / "roster.csv", ROSTER_HEADERS, ROSTER, encoding="gb18030")
    assert import_file(db, "roster", file)["added"] == 3
    assert db.execute("SELECT name FROM students WHERE student_no = 'S002'").fetchone() == ("李四",)


def test_columns_in_any_order_and_optional_ones_left_out(tmp_path):
    _, db = new_store(tmp_path)
    file = write(tmp_path / "roster.csv", ["学段", "姓名", "学号"], [("初中", "赵六", "S9")])
    assert import_file(db, "roster", file)["added"] == 1


# ------------------------------------------------------------------ all or nothing

def test_a_bad_file_lists_every_problem_and_changes_nothing(store, tmp_path, monkeypatch, capsys):
    path, _ = store
    bad = [
        ("S010", "甲", id_card(10)[:-1] + ("0" if id_card(10)[-1] != "0" else "1"), "男", "初中",
         "", "", "", "", "", "", "", ""),                                   # line 2: check digit
        ("S011", "", "", "男", "小学", "", "", "外星", "", "", "也许", "", ""),  # line 3: 4 problems
        ("S012", "丙", id_card(2), "", "初中", "", "", "", "", "", "", "", ""),  # line 4: card of S002
        ("S012", "丁", "", "", "初中", "", "", "", "", "", "", "", ""),        # line 5: repeats line 4
    ]
    file = write(tmp_path / "bad.csv", ROSTER_HEADERS, bad)
    before = dump(path)
    code, out, err = run(monkeypatch, capsys, path, "import", "roster", file)
    assert code == 2 and out == ""
    for expected in ("line 2, column C (身份证号): ID-card number check digit",
                     "line 3, column B (姓名): required value is missing",
                     "line 3, column E (学段): the school does not teach stage primary",
                     "line 3, column H (困境类别): unknown category '外星'",
                     "line 3, column K (应届毕业生): '也许' must be 是",
                     "line 4, column C (身份证号): this ID number already belongs to student S002",
                     "line 5, column A (学号): student number repeats line 4",
                     "第5行 第A列（学号）: 学号与第4行重复",
                     "7 problem(s) in bad.csv; nothing was written"):
        assert expected in err
    assert dump(path) == before


def test_header_problems_are_reported_on_line_one(store, tmp_path):
    path, db = store
    file = write(tmp_path / "aid.xlsx", ["学号", "日期", "日期", "金额(元)", "备注"],
                 [("S001", "2025-03-01", "2025-03-01", "100", "x")])
    with pytest.raises(ImportRejected) as rejected:
        import_file(db, "aid", file)
    assert [str(p).split(" — ")[1] for p in rejected.value.problems] == [
        "line 1 (资助项目): required column is missing",
        "line 1, column C (日期): repeats column B",
        "line 1, column E (备注): unknown column for aid",
    ]


def test_problems_of_records_aid_registration_and_cases(store, tmp_path):
    _, db = store
    cases = [("S001", "2025-03-01", "家长", "x", "y", "2025-02-01", "班主任", "同意", "", "", "", ""),
             ("S002", "2025-03-01", "教师", "x", "y", "", "", "", "2025-03-05", "", "", "")]
    with pytest.raises(ImportRejected) as rejected:
        import_file(db, "cases", write(tmp_path / "c.csv", KINDS["cases"].headers, cases))
    messages = [str(p).split(" — ")[1] for p in rejected.value.problems]
    assert messages == [
        "line 2, column C (申请人): unknown requester '家长'",
        "line 2, column F (评议日期): 评议日期 is before 申请日期",
        "line 2, column G (评议参与人): a collective review needs at least two participants "
        "(roles), separated by 、",
        "line 3, column I (确定日期): a determination date needs a review decided 同意 (approve)",
    ]
    aid = [("S002", "2025-03-01", "普通高中国家助学金", "0", "是"),
           ("S404", "2099-01-01", "助学金", "12.5", "")]
    with pytest.raises(ImportRejected) as rejected:
        import_file(db, "aid", write(tmp_path / "a.csv", KINDS["aid"].headers, aid))
    messages = [str(p).split(" — ")[1] for p in rejected.value.problems]
    assert messages[0] == ("line 2, column C (资助项目): this aid item does not serve students "
                           "of stage Junior secondary")
    assert messages[1] == "line 2, column D (金额（元）): '0' must be a positive whole number"
    assert messages[2].startswith("line 3, column A (学号): unknown student number S404")
    assert messages[3].startswith("line 3, column B (日期): 2099-01-01 is in the future")
    assert messages[4] == "line 3, column C (资助项目): unknown aid item '助学金'"
    assert len(messages) == 6 and "'12.5'" in messages[5]


def test_an_id_number_that_excel_made_a_number_is_named(tmp_path):
    _, db = new_store(tmp_path)
    file = write(tmp_path / "r.xlsx", ["学号", "姓名", "身份证号", "学段"],
                 [(1001, "张三", 610102200801010011, "初中")])
    with pytest.raises(ImportRejected) as rejected:
        import_file(db, "roster", file)
    assert "format the column as text" in str(rejected.value.problems[0])


def test_numeric_student_numbers_in_xlsx_read_as_text(tmp_path):
    _, db = new_store(tmp_path)
    import_file(db, "roster", write(tmp_path / "r.xlsx", ["学号", "姓名", "学段"],
                                    [(20250001, "张三", "初中")]))
    assert db.execute("SELECT student_no FROM students").fetchone() == ("20250001",)


# ------------------------------------------------------------------ 免申即享 and cases

def test_auto_list_creates_confirmed_auto_cases_and_categories(store, tmp_path):
    _, db = store
    rows = [*SAMPLES["auto"], (id_card(2), "李四", "孤儿", "", "2025-03-02")]
    counts = import_file(db, "auto", write(tmp_path / "auto.csv", KINDS["auto"].headers, rows))
    assert counts["added"] == 2
    assert db.execute("SELECT route, status, requester FROM cases").fetchall() == [
        ("auto", "confirmed", None)] * 2
    assert db.execute("SELECT kind, on_date, note FROM case_events ORDER BY id").fetchall() == [
        ("confirm", "2025-03-01", "全国学生资助管理信息系统"), ("confirm", "2025-03-02", None)]
    assert sorted(db.execute("SELECT category, source, since FROM student_categories c "
                             "JOIN students s ON s.id = c.student_id WHERE student_no = 'S001'")) \
        == [("orphan", "auto", "2025-03-01"), ("police_fire_duty", "roster", local_date(SYSTEM.now()).isoformat()),
            ("poverty", "auto", local_date(SYSTEM.now()).isoformat())]


def test_auto_list_needs_a_matching_enrolled_student(store, tmp_path):
    _, db = store
    rows = [(id_card(1), "张叁", "孤儿", "", "2025-03-01"),
            (id_card(77), "某某", "孤儿", "", "2025-03-01"),
            (id_card(1), "张三", "", "", "")]
    with pytest.raises(ImportRejected) as rejected:
        import_file(db, "auto", write(tmp_path / "auto.csv", KINDS["auto"].headers, rows))
    messages = [str(p).split(" — ")[1] for p in rejected.value.problems]
    assert messages == [
        "line 2, column B (姓名): the name differs from the roster (student S001)",
        "line 3, column A (身份证号): no student on the roster has this ID number "
        "(import the roster first)",
        "line 4, column A (身份证号): ID number repeats line 2",
        "line 4, column C (困境类别): required value is missing",
        "line 4, column E (推送日期): required value is missing",
    ]


def test_auto_list_leaves_a_student_with_an_open_case_alone(store, tmp_path):
    _, db = store
    import_file(db, "cases", write(tmp_path / "c.csv", KINDS["cases"].headers,
                                   [("S001", "2025-02-01", "学生本人", "x", "y", "", "", "", "", "",
                                     "", "")]))
    counts = import_file(db, "auto", write(tmp_path / "a.csv", KINDS["auto"].headers,
                                           SAMPLES["auto"]))
    assert (counts["added"], counts["updated"]) == (0, 1)
    assert db.execute("SELECT route, status FROM cases").fetchall() == [("application", "applied")]


def test_past_cases_import_with_their_history_and_can_be_extended(store, tmp_path):
    _, db = store
    headers = KINDS["cases"].headers
    early = [("S002", "2025-02-01", "教师", "学业辅导", "成绩下滑", "2025-02-10", "资助干部、班主任",
              "同意", "2025-02-15", "", "", "")]
    import_file(db, "cases", write(tmp_path / "c1.csv", headers, early))
    later = [early[0][:9] + ("2025-03-01", "2025-06-01", "资助干部、班主任"),
             ("S001", "2025-01-05", "家长（监护人）", "心理", "事实", "2025-01-09", "班主任，心理教师",
              "不同意", "", "", "", "")]
    counts = import_file(db, "cases", write(tmp_path / "c2.csv", headers, later))
    assert (counts["added"], counts["updated"]) == (1, 1)
    assert db.execute("SELECT route, requester, status FROM cases ORDER BY id").fetchall() == [
        ("application", "teacher", "exited"), ("application", "guardian", "rejected")]
    assert db.execute("SELECT kind, on_date, participants, decision FROM case_events "
                      "WHERE case_id = 1 ORDER BY id").fetchall() == [
        ("apply", "2025-02-01", None, None), ("review", "2025-02-10", "资助干部、班主任", "approve"),
        ("confirm", "2025-02-15", None, None), ("file", "2025-03-01", None, None),
        ("exit", "2025-06-01", "资助干部、班主任", "approve")]


def test_a_case_history_may_not_contradict_the_store_nor_open_two_cases(store, tmp_path):
    _, db = store
    headers = KINDS["cases"].headers
    first = ("S002", "2025-02-01", "教师", "x", "y", "2025-02-10", "甲、乙", "同意", "", "", "", "")
    import_file(db, "cases", write(tmp_path / "c1.csv", headers, [first]))
    rows = [first[:5] + ("2025-02-11",) + first[6:],
            ("S002", "2025-04-01", "教师", "x", "y", "", "", "", "", "", "", ""),
            ("S001", "2025-04-01", "教师", "x", "y", "", "", "", "", "", "", ""),
            ("S001", "2025-05-01", "教师", "x", "y", "", "", "", "", "", "", "")]
    with pytest.raises(ImportRejected) as rejected:
        import_file(db, "cases", write(tmp_path / "c2.csv", headers, rows))
    messages = [str(p).split(" — ")[1] for p in rejected.value.problems]
    assert messages == [
        "line 2, column B (申请日期): contradicts the steps of case 1 already recorded",
        "line 3, column A (学号): the student already has an open case (line 2)",
        "line 5, column A (学号): the student already has an open case (line 4)",
    ]


# ------------------------------------------------------------------ templates

@pytest.mark.parametrize("kind", list(KINDS))
def test_shipped_templates_have_exactly_the_columns(kind):
    for suffix in (".csv", ".xlsx"):
        table = read_table(TEMPLATES / f"{kind}{suffix}")
        assert table.headers == KINDS[kind].headers and table.rows == []
    assert (TEMPLATES / f"{kind}.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_template_command_writes_a_blank_template_that_imports(store, tmp_path, monkeypatch,
                                                               capsys):
    path, _ = store
    for name in ("aid.xlsx", "aid.csv"):
        code, out, _ = run(monkeypatch, capsys, path, "template", "aid", "--out", tmp_path / name)
        assert code == 0 and name in out
        code, out, _ = run(monkeypatch, capsys, path, "import", "资助记录", tmp_path / name)
        assert code == 0 and "新增 added 0" in out
    code, _, err = run(monkeypatch, capsys, path, "template", "aid", "--out", tmp_path / "a.txt")
    assert code == 2 and ".csv or .xlsx" in err


def test_import_command_prints_counts(store, tmp_path, monkeypatch, capsys):
    path, _ = store
    file = write(tmp_path / "r.csv", ROSTER_HEADERS, ROSTER)
    code, out, _ = run(monkeypatch, capsys, path, "import", "roster", file)
    assert code == 0
    assert out.strip() == "导入学生名册 roster: 新增 added 0, 更新 updated 0, 未变 unchanged 3"
    code, _, err = run(monkeypatch, capsys, path, "import", "records", file, "--full")
    assert code == 2 and "--full applies to the roster only" in err


def test_docs_document_every_kind_header_and_term():
    from node import procedure, records, roster

    text = (TEMPLATES.parent.parent / "docs" / "import.md").read_text("utf-8")
    for kind in KINDS.values():
        header = " | ".join(c.header + ("*" if c.required else "") for c in kind.columns)
        assert re.search(f"^## {kind.id} {kind.label.zh}.*\n{re.escape(header)}\n", text, re.M)
    vocabularies = (roster.STAGES, roster.CATEGORIES, roster.FACTORS, roster.TIER_TERMS,
                    procedure.REQUESTERS, procedure.DECISION_TERMS, procedure.STATUS_TERMS,
                    records.RECORD_TERMS, records.STATUS_TERMS, records.AID_TERMS,
                    records.ACTIVITY_TERMS, records.GROWTH_TERMS)
    for terms in vocabularies:
        for term_id, zh in terms.labels.items():
            assert f"| {zh} | " in text and f"| `{term_id}` |" in text, zh
