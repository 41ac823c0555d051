"""Care given in the period: registration, care records, mentors and home-school activities."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from synth import people
from synth.dates import day_between, distinct_days, later, month_days, semester_start
from synth.model import Activity, Mentor, Record, Registration, SchoolSpec, Student
from synth.rates import HIGHER, JOB_STAGES, PLACEMENT_STAGES, CareRates

ABSENCE_REASONS = {"illness": 0.5, "suspension": 0.2, "other": 0.3}
ABSENCE_NOTES = {
    "illness": ("住院治疗", "因病居家休养"),
    "suspension": ("因病休学", "家庭原因休学"),
    "other": ("随父母外出", "家庭变故", "联系不上"),
}
CERTIFICATES = {"sec_vocational": 0.6, "higher_vocational": 0.4, "undergraduate": 0.15,
                "postgraduate": 0.1, "senior": 0.05}
MENTOR_LOAD = (3, 6)  # key targets per mentor and semester (guess)


def registrations(spec: SchoolSpec, students: list[Student], rates: CareRates, rng: Random
                  ) -> list[Registration]:
    """One row per student in difficulty for the period's semester (R-DROPOUT)."""
    start, end = semester_start(spec.period), spec.period.end
    rows = []
    for student in students:
        if not student.in_difficulty:
            continue
        if rng.random() >= rates.absent:
            rows.append(Registration(student, "on_time"))
            continue
        reason = rng.choices(list(ABSENCE_REASONS), list(ABSENCE_REASONS.values()))[0]
        note = rng.choice(ABSENCE_NOTES[reason])
        if rng.random() < rates.returned:
            rows.append(Registration(student, reason, min(end, later(start, rng, 3, 60)), False,
                                     note + "，已劝返复学"))
        elif rng.random() < rates.dropped:
            rows.append(Registration(student, reason, None, True, note + "，多次劝返未复学"))
        else:
            rows.append(Registration(student, reason, None, False, note))
    return rows


def _talks(spec: SchoolSpec, student: Student, exited: date | None, rates: CareRates,
           rng: Random) -> list[Record]:
    """Monthly talks (每月谈心谈话不少于1次, R-CHECKS) until the student exits, if they do."""
    months = [m for m in spec.period.months() if exited is None or month_days(*m)[0] <= exited]
    if rng.random() >= rates.talk_every_month and months:
        missed = set(rng.sample(months, rng.randint(1, min(3, len(months)))))
        months = [m for m in months if m not in missed]
    note = "辅导员谈心谈话" if student.stage in HIGHER else "班主任谈心谈话"
    talks = []
    for month in months:
        first, last = month_days(*month)
        for day in distinct_days(rng, first, min(last, exited or last),
                                 1 if rng.random() < 0.85 else 2):
            talks.append(Record(student, day, "talk", 1, note))
    return talks


def _placement(spec: SchoolSpec, student: Student, rates: CareRates, rng: Random
               ) -> list[Record]:
    if ("disability" not in student.categories or student.stage not in PLACEMENT_STAGES
            or rng.random() >= rates.placement):
        return []
    if spec.type_code == "51":
        kind = "special_school" if rng.random() < 0.9 else "home_delivery"
    else:
        kind = "regular_class" if rng.random() < 0.93 else "home_delivery"
    day = later(semester_start(spec.period), rng, 0, 29)
    return [Record(student, day, f"placement_{kind}", 1, "")]


def _mental_health(student: Student, end: date, rng: Random) -> list[Record]:
    """High-risk signs, then intervention and referral (干预和转介)."""
    if "mental_health" not in student.factors or rng.random() >= 0.35:
        return []
    seen = day_between(rng, end - timedelta(days=150), end - timedelta(days=15))
    found = [Record(student, seen, "risk_sign", 1, "心理测评预警")]
    if rng.random() < 0.95:
        found.append(Record(student, later(seen, rng, 0, 3), "intervention", 1, "心理教师干预"))
        if rng.random() < 0.4:
            found.append(Record(student, later(seen, rng, 4, 14), "referral", 1, "转介专业机构"))
    return found


def _jobs(spec: SchoolSpec, student: Student, rates: CareRates, rng: Random) -> list[Record]:
    """Postings (每人至少3个岗位信息), training, certificates and placement (R-JOBS)."""
    start, end = semester_start(spec.period), spec.period.end
    total = rng.randint(3, 10) if rng.random() < rates.postings3 else rng.randint(0, 2)
    quantities = []
    while total:
        quantities.append(min(total, rng.randint(1, 3)))
        total -= quantities[-1]
    days = distinct_days(rng, start, end, len(quantities))
    found = [Record(student, day, "posting", quantity, "推送针对性岗位信息")
             for day, quantity in zip(days, quantities, strict=True)]
    if rng.random() < 0.7:
        found.append(Record(student, day_between(rng, start, end), "job_training", 1,
                            "简历和面试辅导"))
    if rng.random() < CERTIFICATES[student.stage]:
        found.append(Record(student, day_between(rng, start, end), "certificate", 1, ""))
    placed_by_june = spec.period.half == 1
    if rng.random() < (0.85 if placed_by_june else 0.2):
        first = date(end.year, 5, 15) if placed_by_june else date(end.year, 10, 1)
        found.append(Record(student, day_between(rng, first, end), "placed", 1,
                            "升学" if student.stage == "senior" else "就业"))
    return found


def records(spec: SchoolSpec, students: list[Student], key: list[tuple[Student, date | None]],
            rates: CareRates, rng: Random) -> list[Record]:
    """Care records of the period's students in difficulty (R-TUTOR … R-JOBS)."""
    start, end = semester_start(spec.period), spec.period.end
    exits = {student.no: exited for student, exited in key}
    found: list[Record] = []
    for student in students:
        if not student.in_difficulty:
            continue
        mine: list[Record] = []
        is_key = student.no in exits
        if is_key:
            mine += _talks(spec, student, exits[student.no], rates, rng)
        elif rng.random() < 0.2:
            mine += [Record(student, day, "talk", 1, "谈心谈话") for day in
                     distinct_days(rng, spec.period.start, end, rng.randint(1, 2))]
        if student.stage != "preschool":
            lagging = "academic_lag" in student.factors
            if rng.random() < (0.9 if lagging and is_key else 0.5 if lagging else
                               0.3 if is_key else 0.0):
                mine += [Record(student, day, "tutoring", 1, "学业辅导")
                         for day in distinct_days(rng, start, end, rng.randint(2, 8))]
            if is_key and rng.random() < 0.35:
                mine.append(Record(student, later(start, rng, 0, 29), "pairing", 1, "结对帮扶"))
        mine += _placement(spec, student, rates, rng)
        mine += _mental_health(student, end, rng)
        if student.graduating and student.stage in JOB_STAGES:
            mine += _jobs(spec, student, rates, rng)
        found += sorted(mine, key=lambda record: record.on)
    return found


def mentors(key: list[tuple[Student, date | None]], rates: CareRates, rng: Random
            ) -> list[Mentor]:
    """育人导师 (R-MENTOR): each takes a few key targets for the semester."""
    mentored = [student for student, _ in key if rng.random() < rates.mentor]
    found = []
    while mentored:
        load = rng.randint(*MENTOR_LOAD)
        male = rng.random() < 0.45
        found.append(Mentor(f"JS{len(found) + 1:04d}", people.person_name(rng, male),
                            tuple(mentored[:load])))
        mentored = mentored[load:]
    return found


def activities(spec: SchoolSpec, rng: Random) -> list[Activity]:
    """Home-school activities (家校协同, R-HOME): parent school, meetings, open days, talks."""
    start, end = semester_start(spec.period), spec.period.end
    term = "春季学期" if spec.period.half == 1 else "秋季学期"
    found = []
    university = all(stage in HIGHER for stage in spec.stages)
    for month in spec.period.months():
        first, last = month_days(*month)
        if rng.random() < 0.7:
            found.append(Activity(day_between(rng, first, last), "online", "家庭教育网络课堂"))
        in_term = first >= start.replace(day=1)
        if not university and in_term and rng.random() < 0.5:
            found.append(Activity(day_between(rng, first, last), "parent_school", "家长学校专题课"))
    meetings = rng.randint(0, 1) if university else rng.randint(1, 2)
    for i in range(meetings):
        found.append(Activity(day_between(rng, start, end), "parent_meeting",
                              f"{term}第{i + 1}次家长会"))
    if not university and rng.random() < 0.6:
        found.append(Activity(day_between(rng, start, end), "open_day", f"{term}校园开放日"))
    for day in distinct_days(rng, start, end, rng.randint(1, 3)):
        found.append(Activity(day, "lecture",
                              rng.choice(("心理健康专题讲座", "安全教育专题讲座", "家庭教育专题讲座"))))
    return sorted(found, key=lambda a: a.on)
