"""One person is one student: a child entered twice is refused naming both rows, unless staff
confirm they are two children, so the release's per-student sensitivity holds per person."""

from __future__ import annotations

import math

import pytest

from node.idcard import check_character
from node.importer import ImportRejected, import_file
from tests.test_table import CAT, maximal_records, table

HEADERS = "学号,姓名,身份证号,性别,学段,年级,班级,出生日期"


def csv(tmp_path, name, *rows):
    path = tmp_path / name
    path.write_text("\n".join([HEADERS, *rows]) + "\n", encoding="utf-8")
    return path


def idc(birth: str, seq: int = 101) -> str:
    first17 = f"610102{birth}{seq:03d}"
    return first17 + check_character(first17)


def refused(db, path) -> list[str]:
    before = list(db.conn.iterdump())
    with pytest.raises(ImportRejected) as refusal:
        import_file(db, "roster", path)
    assert list(db.conn.iterdump()) == before
    return [str(p) for p in refusal.value.problems]


@pytest.mark.parametrize("first, second, why", [
    # 学号 only in one system, another number and no ID in the other; same class
    ("1001,王芳,,女,小学,三年级,2班,", "88001,王芳,,女,小学,三年级,2班,", "三年级2班"),
    # another separator dot and an invisible space; same class written with a full-width digit
    ("1001,阿依·努尔,,女,小学,三年级,2班,", "88001,阿依•努尔\u200b,,女,小学,三年级,２班,", "同在"),
    # one with the ID, the other with a birth date column only
    (f"1001,王芳,{idc('20160404')},女,小学,三年级,1班,", "88001,王芳,,女,小学,,,2016-04-04",
     "2016-04-04"),
])
def test_a_child_entered_twice_in_one_file_is_refused_naming_both_rows(school, tmp_path, first,
                                                                       second, why):
    [problem] = refused(school.db, csv(tmp_path, "r.csv", first, second))
    assert problem.startswith("第3行 第B列（姓名）") and "第2行（学号 1001）" in problem
    assert why in problem and "line 2 (1001)" in problem and "--confirm 88001" in problem


def test_a_child_already_on_the_roster_under_another_number_is_named(school, tmp_path):
    import_file(school.db, "roster", csv(tmp_path, "a.csv", "1001,王芳,,女,小学,三年级,2班,"))
    [problem] = refused(school.db, csv(tmp_path, "b.csv", "88001,王芳,,女,小学,三年级,2班,"))
    assert "名册中学号 1001 的学生" in problem and "student 1001 on the roster" in problem


def test_staff_confirm_two_children_with_an_option(school, tmp_path):
    path = csv(tmp_path, "r.csv", "1001,王芳,,女,小学,三年级,2班,", "1002,王芳,,女,小学,三年级,2班,")
    refused(school.db, path)
    assert import_file(school.db, "roster", path, confirm=["1002"])["added"] == 2


@pytest.mark.parametrize("second", [
    f"1002,王芳,{idc('20160404', 102)},女,小学,三年级,2班,",  # two different IDs: two children
    "1002,王芳,,男,小学,三年级,2班,",  # another gender
    "1002,王芳,,女,小学,三年级,3班,",  # another class, no birth date to compare
    "1002,王芬,,女,小学,三年级,2班,",  # another name
])
def test_similar_rows_that_are_not_one_child_pass(school, tmp_path, second):
    path = csv(tmp_path, "r.csv", f"1001,王芳,{idc('20160404')},女,小学,三年级,2班,", second)
    assert import_file(school.db, "roster", path)["added"] == 2


def test_updating_a_student_is_not_taken_for_a_duplicate_of_itself(school, tmp_path):
    row = "1001,王芳,,女,小学,三年级,2班,"
    import_file(school.db, "roster", csv(tmp_path, "a.csv", row))
    assert import_file(school.db, "roster", csv(tmp_path, "b.csv", row))["unchanged"] == 1


def _group_norms(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    return {group: math.sqrt(sum((after[c.id] - before[c.id]) ** 2
                                 for c in CAT.group_cells(group)))
            for group in CAT.groups}


def test_neighbouring_datasets_built_from_a_duplicate_keep_the_per_person_bound(make_school,
                                                                                 tmp_path):
    """The same child in two systems' exports: refused, merged into one student by staff, then
    the tables with and without that child (and all their records) differ in every DP group by
    at most the declared sensitivity. Had the two rows been taken as two students, one person
    would move each group by about twice that — what the refusal prevents."""
    sensitivity = {group: CAT.sensitivity(group, frozenset({"primary"})) for group in CAT.groups}
    base_rows = [f"{2000 + i},学生{i},,{'男女'[i % 2]},小学,三年级,{i % 3 + 1}班," for i in range(6)]
    child = ["1001,王芳,,女,小学,三年级,2班,", f"88001,王芳,{idc('20160404')},女,小学,三年级,2班,"]

    def school_with(name, rows, confirm=()):
        school = make_school(name)
        import_file(school.db, "roster", csv(tmp_path, f"{name}.csv", *base_rows, *rows),
                    confirm=confirm)
        for sid, in school.db.execute("SELECT id FROM students").fetchall():
            school.db.execute("INSERT INTO student_categories VALUES (?, 'poverty', 'roster', "
                              "'2025-01-01')", [sid])
        return school

    without = table(school_with("without", []))
    refused(make_school("refused").db, csv(tmp_path, "both.csv", *base_rows, *child))

    merged = school_with("merged", [child[1]])  # staff keep one row: the one with the ID
    (sid,), = merged.db.execute("SELECT id FROM students WHERE student_no = '88001'")
    maximal_records(merged, sid)
    for group, norm in _group_norms(without, table(merged)).items():
        assert norm <= sensitivity[group] + 1e-9, group

    twice = school_with("twice", child, confirm=["88001"])  # wrongly confirmed
    for (sid,) in twice.db.execute("SELECT id FROM students WHERE student_no IN ('1001', '88001')"):
        maximal_records(twice, sid)
    norms = _group_norms(without, table(twice))
    assert any(norms[g] > sensitivity[g] * 1.5 for g in CAT.groups), norms
