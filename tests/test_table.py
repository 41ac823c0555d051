"""The true table: what each cell counts, and that no student moves any cell past its bound."""

from __future__ import annotations

import math
from datetime import date

from node.table import Window, compute
from protos.catalogue import load
from protos.periods import Period

CAT = load()
H1 = Period.parse("2025-H1")
END = date(2025, 6, 30)


def table(school, period=H1, today=END):  # noqa: ANN001, ANN201
    return compute(school.db, CAT, Window.of(period, today))


def test_a_school_with_no_records_has_a_table_of_zeros(school):
    assert set(table(school).values()) == {0}


def test_population_counts_students_in_difficulty_by_category_and_stage(school):
    school.student("primary", ["poverty", "left_behind"], ["academic_lag", "mental_health"])
    school.student("primary", ["orphan"], ["behaviour"])
    school.student("primary")
    school.student("primary", ["poverty"], enrolled=False)
    t = table(school)
    assert t["pop.enrolled.primary"] == 3
    assert t["pop.in_difficulty.primary"] == 2
    assert t["pop.category.poverty.primary"] == 1
    assert t["pop.category.left_behind.primary"] == 1
    assert t["pop.category.orphan.primary"] == 1
    assert t["pop.factor.academic_lag"] == 1
    assert t["pop.stacked"] == 1


def test_key_care_procedure_is_counted_in_the_period_of_each_step(school):
    a = school.student("primary", ["poverty"])
    b = school.student("primary", ["orphan"])
    c = school.student("primary", ["disability"])
    school.case(a, {"apply": "2025-02-01", "review": "2025-02-10", "confirm": "2025-02-11",
                    "file": "2025-03-01"}, requester="guardian")
    school.case(b, {"confirm": "2025-03-05"}, route="auto", requester=None)
    school.case(c, {"apply": "2024-10-01", "review": "2024-10-10", "confirm": "2024-10-11",
                    "exit": "2025-05-20"})
    t = table(school)
    assert t["key.applied.guardian"] == 1 and t["key.applied.teacher"] == 0
    assert t["key.reviewed"] == 1
    assert t["key.confirmed"] == 1
    assert t["key.auto"] == 1
    assert t["key.filed"] == 1
    assert t["key.exited"] == 1
    assert t["key.current"] == 2
    # As of before the exit, the third student is still a key target.
    assert table(school, today=date(2025, 5, 1))["key.current"] == 3


def test_registration_uses_the_semester_and_absence_reasons(school):
    ids = [school.student("junior", ["poverty"]) for _ in range(5)]
    school.registration(ids[0], "2025-H1", "on_time")
    school.registration(ids[1], "2025-H1", "illness", returned_on="2025-03-10")
    school.registration(ids[2], "2025-H1", "suspension")
    school.registration(ids[3], "2025-H1", "other", dropped_out=True)
    school.registration(ids[4], "2024-H2", "other", dropped_out=True)
    t = table(school)
    assert t["acad.reg_expected"] == 4
    assert t["acad.reg_on_time"] == 1
    assert (t["acad.absent.illness"], t["acad.absent.suspension"], t["acad.absent.other"]) == (1, 1, 1)
    assert t["acad.returned"] == 1
    assert t["acad.dropped_out"] == 1


def test_monthly_talks_need_a_talk_in_every_month_so_far(school):
    every = school.student("primary", ["poverty"])
    gaps = school.student("primary", ["poverty"])
    for s in (every, gaps):
        school.case(s, {"confirm": "2025-01-05"}, route="auto", requester=None)
    for month in range(1, 7):
        school.record(every, "talk", f"2025-{month:02d}-15")
        if month != 4:
            school.record(gaps, "talk", f"2025-{month:02d}-15")
    assert table(school)["psy.talk_monthly"] == 1
    assert table(school, today=date(2025, 3, 31))["psy.talk_monthly"] == 2
    assert table(school)["psy.talks"] == 11


def test_employment_counts_graduating_students_and_three_postings(school):
    a = school.student("senior", ["poverty"], graduating=True)
    b = school.student("senior", ["poverty"], graduating=True)
    c = school.student("senior", ["poverty"], graduating=False)
    school.record(a, "posting", "2025-04-01", 2)
    school.record(a, "posting", "2025-05-01", 1)
    school.record(b, "posting", "2025-04-01", 2)
    school.record(c, "posting", "2025-04-01", 5)
    school.record(a, "placed", "2025-06-20")
    t = table(school)
    assert t["job.graduating"] == 2
    assert t["job.postings3"] == 1
    assert t["job.postings"] == 5
    assert t["job.placed"] == 1


def test_aid_amounts_are_clipped_per_student_at_the_catalogue_bound(school):
    a = school.student("primary", ["poverty"], tier="special")
    school.aid(a, "compulsory_living", "2025-03-01", 625, highest_tier=True)
    school.aid(a, "compulsory_living", "2025-05-01", 5000)
    bound = CAT.cell("aid.yuan.compulsory_living").bound
    t = table(school)
    assert t["aid.yuan.compulsory_living"] == bound
    assert t["aid.students.compulsory_living"] == 1
    assert t["aid.highest_tier"] == 1
    assert t["aid.assessed"] == 1


def test_cells_outside_the_students_stage_or_the_period_get_nothing(school):
    a = school.student("primary", ["poverty"])
    school.aid(a, "college_grant", "2025-03-01", 3000)  # a university item
    school.aid(a, "compulsory_living", "2024-12-01", 600)  # before the period
    school.record(a, "placement_regular_class", "2025-03-01")
    school.record(a, "placement_home_delivery", "2025-04-01")
    t = table(school)
    assert t["aid.yuan.college_grant"] == 0 and t["aid.students.college_grant"] == 0
    assert t["aid.yuan.compulsory_living"] == 0
    assert t["acad.placement.home_delivery"] == 1 and t["acad.placement.regular_class"] == 0


def _maximal_student(school, stage: str) -> int:  # noqa: ANN001
    """A student with every category, factor and record, many times over."""
    cat = CAT.dimensions
    s = school.student(stage, [v.id for v in cat["category"].values],
                       [v.id for v in cat["factor"].values], graduating=True, tier="special")
    return maximal_records(school, s)


def maximal_records(school, s: int) -> int:  # noqa: ANN001
    """Give student ``s`` every kind of case, care, aid, registration and mentor record."""
    cat = CAT.dimensions
    for requester in ("student", "guardian", "teacher"):
        school.case(s, {"apply": "2025-01-03", "review": "2025-01-04", "confirm": "2025-01-05",
                        "file": "2025-01-06", "exit": "2025-06-29"}, requester=requester)
    school.case(s, {"confirm": "2025-02-01"}, route="auto", requester=None)
    for day in range(1, 29):
        for kind in ("talk", "posting", "tutoring", "pairing", "risk_sign", "intervention",
                     "referral", "job_training", "certificate", "placed",
                     "placement_regular_class", "placement_special_school",
                     "placement_home_delivery"):
            school.record(s, kind, f"2025-{(day % 6) + 1:02d}-{day:02d}", 9)
        for item in cat["aid_item"].values:
            school.aid(s, item.id, f"2025-03-{day:02d}", 100_000, highest_tier=True)
    school.registration(s, "2025-H1", "illness", returned_on="2025-03-01", dropped_out=True)
    school.db.execute("INSERT OR IGNORE INTO mentors (staff_no, name) VALUES ('T1', '导师')")
    school.db.execute("INSERT INTO mentor_assignments SELECT id, ?, '2025-H1' FROM mentors "
                      "WHERE staff_no = 'T1'", [s])
    return s


def test_a_student_with_the_most_records_moves_no_cell_past_its_bound(make_school):
    for stage in ("preschool", "primary", "senior", "undergraduate", "postgraduate"):
        base = make_school(f"base-{stage}")
        for _ in range(3):
            base.student(stage, ["poverty"])
        without = table(base)
        _maximal_student(base, stage)
        with_student = table(base)
        diff = {c: with_student[c] - without[c] for c in without}
        for cell in CAT.cells:
            if cell.public:
                continue
            assert 0 <= diff[cell.id] <= cell.bound, (stage, cell.id, diff[cell.id])
        for group in CAT.groups:
            norm = math.sqrt(sum(diff[c.id] ** 2 for c in CAT.group_cells(group)))
            assert norm <= CAT.sensitivity(group, frozenset({stage})) + 1e-9, (stage, group)
            assert norm > 0
