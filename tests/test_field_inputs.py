"""The files of ../shared/field-inputs/ (files as schools really have them): each gives what
its README says staff should get. Each is imported on a fresh node of a primary school."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.importer import ImportRejected, import_file
from node.store import open_store, set_meta

FIELD = Path(__file__).resolve().parent.parent.parent / "shared" / "field-inputs"
SCHOOL, REGION = "2161010001", "610102"


@pytest.fixture
def db(tmp_path):
    store = open_store(tmp_path / "node.db", create=True)
    set_meta(store, "school_id", SCHOOL)
    set_meta(store, "region_code", REGION)
    return store


def rejected(db, kind, name) -> list[str]:
    """The problems of a refused import, and proof that nothing was written."""
    before = list(db.conn.iterdump())
    with pytest.raises(ImportRejected) as refusal:
        import_file(db, kind, FIELD / name)
    assert list(db.conn.iterdump()) == before
    return [str(p) for p in refusal.value.problems]


def students(db) -> list[tuple]:
    return db.execute("SELECT student_no, name, id_card FROM students ORDER BY id").fetchall()


def test_the_field_inputs_are_where_ci_puts_them():
    assert (FIELD / "README.md").is_file(), f"../shared/field-inputs beside the clone: {FIELD}"


def test_02b_an_id_excel_rounded_is_refused_even_when_its_check_digit_passes(db):
    from node.idcard import id_card_problem
    assert id_card_problem("610102201704070000") is None  # the damage this file shows
    [problem] = rejected(db, "roster", "02b_roster_id_rounded_pass.csv")
    assert "第2行 第C列（身份证号）" in problem
    assert "Excel 四舍五入" in problem and "Excel rounded" in problem
    assert "文本" in problem and "format the column as Text" in problem


def test_02c_the_true_id_names_the_near_identical_one_on_the_roster(db, tmp_path):
    # What an earlier version stored from 02b: the rounded number.
    import_file(db, "roster", FIELD / "00_roster_base.csv")
    (tmp_path / "r.csv").write_text("学号,姓名,身份证号,性别,学段\n2025100002,测试乙,,女,小学\n",
                                    encoding="utf-8")
    import_file(db, "roster", tmp_path / "r.csv")
    db.execute("UPDATE students SET id_card = '610102201704070000' WHERE student_no = '2025100002'")
    [problem] = rejected(db, "auto", "02c_auto_true_id.csv")
    assert "import the roster first" not in problem
    assert "学号 2025100002" in problem and "Excel" in problem
    assert "610102201704070000" not in problem  # the number itself is not quoted back


def test_06_invisible_characters_are_not_stored_and_clean_files_match(db):
    counts = import_file(db, "roster", FIELD / "06_roster_invisible.csv")
    assert counts["added"] == 2
    for student_no, name, id_card in students(db):
        for value in (student_no, name, id_card or ""):
            assert value.isprintable() and value == value.strip()
            assert "\u200b" not in value and "\xa0" not in value
    assert [s[0] for s in students(db)] == ["2025100010", "2025100011"]
    again = import_file(db, "roster", FIELD / "06b_roster_plain.csv")
    assert (again["added"], again["unchanged"]) == (0, 1)
    assert import_file(db, "records", FIELD / "06c_records_plain.csv")["added"] == 1
