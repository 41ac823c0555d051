"""A public (exact) cell never depends on any student's records (DESIGN §4.11): for every
stage, neighbouring datasets — one student added or removed with all their records, or only
their records — give the same public cells, every public cell of the catalogue. Enrolment
(pop.enrolled) moves with a whole student, so it is a DP cell (docs/budget.md)."""

from __future__ import annotations

import pytest

from node.importer import import_file
from tests.test_table import CAT, maximal_records, table

PUBLIC = [cell.id for cell in CAT.cells if cell.public]
STAGES = ["preschool", "primary", "senior", "undergraduate", "postgraduate"]


def base(school):  # noqa: ANN001
    """A school with students, records, activities and a mentor appointed for the semester."""
    school.db.execute("INSERT INTO mentors (staff_no, name) VALUES ('T1', '导师')")
    school.db.execute("INSERT INTO mentor_terms SELECT id, '2025-H1' FROM mentors")
    for stage in STAGES:
        for day in (3, 4):
            sid = school.student(stage, ["poverty"])
            school.case(sid, {"apply": f"2025-01-0{day}", "confirm": "2025-02-01"})
            school.record(sid, "talk", f"2025-03-0{day}", 2)
            school.db.execute("INSERT INTO mentor_assignments VALUES (1, ?, '2025-H1')", [sid])
        school.student(stage)
    school.db.execute("INSERT INTO activities (kind, on_date) VALUES ('parent_meeting', "
                      "'2025-03-01')")
    school.db.execute("INSERT INTO mentors (staff_no, name) VALUES ('T9', '未带学生的导师')")
    return school


def records(school, sid: int) -> None:  # noqa: ANN001
    """Every record a student can have, including a mentor nobody else has."""
    maximal_records(school, sid)
    school.db.execute("INSERT INTO mentor_assignments SELECT id, ?, '2025-H1' FROM mentors "
                      "WHERE staff_no = 'T9'", [sid])


def public(school) -> dict[str, int]:  # noqa: ANN001
    values = table(school)
    return {cell: values[cell] for cell in PUBLIC}


def remove_records(school, sid: int) -> None:  # noqa: ANN001
    for sql in ("DELETE FROM case_events WHERE case_id IN (SELECT id FROM cases "
                "WHERE student_id = ?)", "DELETE FROM cases WHERE student_id = ?",
                "DELETE FROM care_records WHERE student_id = ?",
                "DELETE FROM aid_records WHERE student_id = ?",
                "DELETE FROM registrations WHERE student_id = ?",
                "DELETE FROM mentor_assignments WHERE student_id = ?",
                "DELETE FROM growth_events WHERE student_id = ?",
                "DELETE FROM student_categories WHERE student_id = ?",
                "DELETE FROM student_factors WHERE student_id = ?"):
        school.db.execute(sql, [sid])


@pytest.mark.parametrize("stage", STAGES)
def test_one_students_records_added_or_removed_change_no_public_cell(make_school, stage):
    school = base(make_school(stage))
    cat = CAT.dimensions
    sid = school.student(stage, [v.id for v in cat["category"].values],
                         [v.id for v in cat["factor"].values], graduating=True, tier="special")
    records(school, sid)
    values, with_records = table(school), public(school)
    remove_records(school, sid)
    assert table(school) != values  # the DP cells do move: these are neighbours
    assert public(school) == with_records
    for category in ("poverty", "orphan"):
        school.db.execute("INSERT INTO student_categories VALUES (?, ?, 'roster', '2025-01-01')",
                          [sid, category])
    records(school, sid)
    assert public(school) == with_records


def test_every_public_cell_of_the_catalogue_is_checked_and_can_move():
    """The neighbours below compare all public cells, and the school they start from has a
    non-zero value in each, so that a public cell that counted students would be seen."""
    assert PUBLIC == [c.id for c in CAT.cells if c.group is None] and PUBLIC
    assert "pop.enrolled.primary" not in PUBLIC


@pytest.mark.parametrize("stage", STAGES)
def test_a_whole_student_added_or_removed_changes_no_public_cell(make_school, stage):
    school = base(make_school(stage))
    before = public(school)
    assert all(before[cell] > 0 for cell in PUBLIC)
    enrolled = table(school)[f"pop.enrolled.{stage}"]
    sid = school.student(stage, ["poverty", "orphan"])
    records(school, sid)
    assert table(school)[f"pop.enrolled.{stage}"] == enrolled + 1  # a DP cell moves
    assert public(school) == before
    remove_records(school, sid)
    school.db.execute("DELETE FROM students WHERE id = ?", [sid])
    assert table(school)[f"pop.enrolled.{stage}"] == enrolled
    assert public(school) == before


def test_mentors_are_counted_from_the_semesters_mentor_list_not_from_students(school, tmp_path):
    school.student("primary", ["poverty"])
    roster = school.db.execute("SELECT student_no FROM students").fetchone()[0]
    mentors = tmp_path / "m.csv"
    mentors.write_text("工号,导师姓名,学号,学期\nT1,李老师,,2025-H1\nT2,王老师,,2025-H1\n"
                       f"T1,李老师,{roster},2025-H1\n", encoding="utf-8")
    import_file(school.db, "mentors", mentors)
    assert public(school)["mentor.mentors"] == 2
    school.db.execute("DELETE FROM mentor_assignments")  # the student's record removed
    assert public(school)["mentor.mentors"] == 2
