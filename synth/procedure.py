"""Key care targets (重点关爱对象): the 免申即享 list and the history of applications (R-PROC)."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from synth.dates import day_between, later
from synth.model import AutoEntry, Case, SchoolSpec, Student
from synth.rates import AUTO_CATEGORIES, HIGHER, key_chance

AUTO_SOURCE = "全国学生资助管理信息系统"
AUTO_SHARE = 0.5           # key targets the aid system knows that come through 免申即享 (guess)
AUTO_ONLY = 0.15           # of those, categories the school's roster has not recorded (guess)
EARLIER_APPLICATION = 0.55  # applications made before the period began (guess)
REJECTED = 0.05            # students in difficulty who applied and were turned down (guess)
EXITED = 0.08              # targets confirmed earlier who exit during the period (guess)
FILED = 0.9                # confirmed targets filed with the authority within a month (guess)

CARE = {
    "poverty": "经济资助", "disability": "康复和学习支持", "guardianship": "安全保护和监护协调",
    "orphan": "生活照料", "unsupported": "生活照料", "left_behind": "亲情关爱",
    "martyr": "优抚关爱", "military_duty": "优抚关爱", "police_fire_duty": "优抚关爱",
    "mental_health": "心理疏导", "academic_lag": "学业辅导", "behaviour": "行为矫正和家校沟通",
    "family_education": "家庭教育指导", "enrolment_employment": "升学和就业指导",
}
FACTS = {
    "poverty": ("家庭收入低，父母务农", "家中有重病患者，医疗支出大", "父母失业，无稳定收入"),
    "disability": ("肢体残疾，行动不便", "听力残疾，需要辅助学习", "视力残疾，需要大字课本",
                   "智力残疾，需要个别化教学"),
    "guardianship": ("监护人长期不在身边，存在监护不当情况",),
    "orphan": ("父母双亡，由亲属抚养",),
    "unsupported": ("父母一方死亡另一方失联，实际无人抚养",),
    "left_behind": ("父母长期在外务工，由祖父母照看",),
    "martyr": ("父亲（母亲）为烈士",),
    "military_duty": ("父亲（母亲）因公牺牲",),
    "police_fire_duty": ("父亲（母亲）因公牺牲",),
    "mental_health": ("近期情绪低落，心理测评提示风险",),
    "academic_lag": ("学业成绩严重落后",),
    "behaviour": ("行为习惯有偏差",),
    "family_education": ("缺少家庭教育",),
    "enrolment_employment": ("升学和就业面临困难",),
}
ROLES_SCHOOL = ("校长", "分管副校长", "学生资助工作负责人", "班主任", "教师代表", "家长代表")
ROLES_UNIVERSITY = ("学院分管学生工作副书记", "学生资助管理中心负责人", "辅导员", "班主任",
                    "学生代表")


def _requester(stage: str, rng: Random) -> str:
    if stage == "preschool":
        return rng.choices(("guardian", "teacher"), (0.6, 0.4))[0]
    if stage in HIGHER:
        return rng.choices(("student", "teacher", "guardian"), (0.6, 0.35, 0.05))[0]
    return rng.choices(("teacher", "guardian", "student"), (0.5, 0.35, 0.15))[0]


def _participants(stage: str, rng: Random) -> str:
    """Who sat on the collective review (集体评议): always the head and the aid office."""
    roles = ROLES_UNIVERSITY if stage in HIGHER else ROLES_SCHOOL
    return "；".join(r for i, r in enumerate(roles) if i < 3 or rng.random() < 0.6)


def _texts(student: Student, rng: Random) -> tuple[str, str]:
    needs = sorted(student.categories) + sorted(student.factors)
    care = "；".join(dict.fromkeys(CARE[n] for n in needs))
    facts = "；".join(rng.choice(FACTS[n]) for n in needs) + "，申请纳入重点关爱。"
    return care, facts


def _application(student: Student, spec: SchoolSpec, approve: bool, rng: Random) -> Case:
    start, end = spec.period.start, spec.period.end
    earlier = approve and rng.random() < EARLIER_APPLICATION
    applied = (day_between(rng, start - timedelta(days=365), start - timedelta(days=30))
               if earlier else day_between(rng, start, end))
    care, facts = _texts(student, rng)
    case = Case(student, _requester(student.stage, rng), care, facts, applied)
    reviewed = later(applied, rng, 3, 20)
    if reviewed > end:
        return case
    case.reviewed, case.approved = reviewed, approve
    case.participants = _participants(student.stage, rng)
    confirmed = later(reviewed, rng, 0, 7)
    if not approve or confirmed > end:
        return case
    case.confirmed = confirmed
    filed = later(confirmed, rng, 3, 30)
    if rng.random() < FILED and filed <= end:
        case.filed = filed
    first_exit = max(start, (case.filed or confirmed) + timedelta(days=1))
    if confirmed < start and first_exit <= end and rng.random() < EXITED:
        case.exited = day_between(rng, first_exit, end)
        case.exit_participants = _participants(student.stage, rng)
    return case


def _pushed(spec: SchoolSpec, rng: Random) -> date:
    """Lists arrive early in the period, mostly; some later."""
    start, end = spec.period.start, spec.period.end
    return day_between(rng, start, start + timedelta(days=60) if rng.random() < 0.8 else end)


def key_targets(spec: SchoolSpec, students: list[Student], rng: Random
                ) -> tuple[list[AutoEntry], list[Case]]:
    """Decide the key care targets: through 免申即享, or by application and review."""
    auto: list[AutoEntry] = []
    cases: list[Case] = []
    for student in students:
        if not student.in_difficulty:
            continue
        if rng.random() < key_chance(student.categories, student.factors, student.tier):
            known = student.categories & AUTO_CATEGORIES
            if known and rng.random() < AUTO_SHARE:
                auto.append(AutoEntry(student, known, AUTO_SOURCE, _pushed(spec, rng)))
                if rng.random() < AUTO_ONLY:
                    student.roster_categories = student.categories - known
                continue
            cases.append(_application(student, spec, True, rng))
        elif rng.random() < REJECTED:
            cases.append(_application(student, spec, False, rng))
    return auto, cases


def key_during(auto: list[AutoEntry], cases: list[Case]) -> list[tuple[Student, date | None]]:
    """Students who were key targets at some time in the period, with their exit day if any."""
    found = [(entry.student, None) for entry in auto]
    found += [(case.student, case.exited) for case in cases if case.confirmed]
    return found
