"""Aid paid in the period (R-AID): each stage's policy items at their standard amounts.

Amounts are per semester, in whole yuan, from docs/context.md §2 (annual standard ÷ 2): compulsory
living subsidy 1,250 (primary) and 1,500 (junior) a year for boarders, half for others;
senior grant 1,200–3,500 a year; vocational grant 2,300 on average, tuition waiver ~2,000;
university grant 2,500–5,000; 励志奖学金 6,000; postgraduate grant 6,000 (master); loans up to
20,000 (25,000 postgraduate); 勤工助学 ≥ 12 yuan an hour, ≤ 40 hours a month.
"""

from __future__ import annotations

from datetime import date
from random import Random

from synth.dates import day_between, semester_start
from synth.model import Aid, SchoolSpec, Student
from synth.rates import HIGHER, CareRates

# The stage's main item, paid at the highest tier (最高档次) or at a lower one.
MAIN_ITEM = {
    "preschool": ("preschool_living", 500, 375),
    "primary": ("compulsory_living", 625, 313),
    "junior": ("compulsory_living", 750, 375),
    "senior": ("senior_grant", 1750, 1150),
    "sec_vocational": ("vocational_grant", 1500, 1150),
    "higher_vocational": ("college_grant", 2500, 1850),
    "undergraduate": ("college_grant", 2500, 1850),
    "postgraduate": ("postgraduate_grant", 3000, 2500),
}


def _extras(spec: SchoolSpec, student: Student, rng: Random) -> list[tuple[str, int, date]]:
    """Items beside the main one: waivers, nutrition, university aid, local and social aid."""
    period, stage = spec.period, student.stage
    start, end = semester_start(period), period.end
    autumn = period.half == 2
    found = []

    def pay(item: str, amount: int, first: date = start, last: date = end) -> None:
        found.append((item, amount, day_between(rng, first, last)))

    if stage == "preschool" and rng.random() < 0.8:
        pay("preschool_fee_waiver", round(1500 - 700 * spec.rurality), start, start)
    if stage in ("primary", "junior") and spec.rurality >= 0.5:
        pay("nutrition", 500)  # 5 yuan a school day, about 100 days
    if stage == "senior" and student.categories & {"poverty", "disability"}:
        pay("senior_fee_waiver", 600, start, start)
    if stage == "sec_vocational":
        pay("vocational_fee_waiver", 1000, start, start)
    if stage in HIGHER:
        if rng.random() < 0.3:
            pay("school_aid", rng.randrange(500, 2001, 100))
        if rng.random() < 0.25:
            for month in range(9, 13) if autumn else range(3, 7):
                found.append(("work_study", 12 * rng.randint(20, 40), date(period.year, month, 10)))
        if autumn and student.grade_index == 0 and rng.random() < 0.2:
            pay("green_channel", rng.randrange(4000, 6001, 500), start, start)
        if autumn and "poverty" in student.categories and rng.random() < 0.45:
            most = 25000 if stage == "postgraduate" else 20000
            pay("origin_loan", rng.randrange(8000, most + 1, 1000), date(period.year, 9, 20),
                date(period.year, 10, 31))
        if (autumn and stage != "postgraduate" and student.grade_index > 0
                and rng.random() < 0.06):
            pay("inspirational_scholarship", 6000, date(period.year, 11, 1), end)
    if rng.random() < 0.08:
        pay("local_aid", rng.randrange(500, 2001, 100))
    if rng.random() < 0.05:
        pay("social_aid", rng.randrange(500, 3001, 100))
    return found


def aid(spec: SchoolSpec, students: list[Student], rates: CareRates, rng: Random) -> list[Aid]:
    """Aid of the students in difficulty: most get the main item at the highest tier."""
    start, end = semester_start(spec.period), spec.period.end
    paid = []
    for student in students:
        if not student.in_difficulty or rng.random() >= rates.aided:
            continue
        item, highest, lower = MAIN_ITEM[student.stage]
        top = rng.random() < rates.highest_tier
        paid.append(Aid(student, day_between(rng, start, end), item, highest if top else lower,
                        top))
        paid += [Aid(student, day, item, amount) for item, amount, day in
                 _extras(spec, student, rng)]
    return paid
