"""The rates and sizes the generator draws from, after docs/context.md §2, §5 and §7.

Figures marked (guess) have no source in docs/context.md: they are orders of magnitude chosen so
the synthetic schools look like real ones, and say nothing about real students.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

# Schools of Shaanxi by 学校类别 code, 2022 (docs/context.md §5): 8,028 kindergartens, 4,407 primary,
# 1,666 junior, 444 senior, 225 vocational, 79 special, 111 higher-education institutions.
SCHOOL_COUNTS = {"11": 8028, "21": 4407, "31": 1666, "34": 444, "36": 225, "51": 79, "41": 111}

# Mean students per school: 165 and 680 from docs/context.md §5; junior 763 = (4,259,477 −
# 2,988,032) / 1,666; senior 2,000, vocational 1,400 and special 150 (guess). Kindergartens,
# primary and junior schools are larger in town than in the countryside.
MEAN_SIZE = {"11": 165, "21": 680, "31": 763, "34": 2000, "36": 1400, "51": 150}
SIZE_LIMITS = {"11": (15, 600), "21": (20, 4000), "31": (60, 3500), "34": (300, 6000),
               "36": (200, 6000), "51": (30, 500)}
# Universities: a few thousand to 50,000 (docs/context.md §5), log-uniform; 高职 colleges smaller.
UNIVERSITY_SIZES = {"higher_vocational": (3000, 20000), "undergraduate": (8000, 50000)}
COMPLETE_SECONDARY = 0.3  # share of 34 schools that also teach junior grades (guess)
POSTGRADUATE_SHARE = 0.15  # of an undergraduate university's students (guess)
COLLEGE_SHARE = 0.05  # 专科 students of an undergraduate university (guess)
SPECIAL_STAGE_SHARES = {"preschool": 0.05, "primary": 0.6, "junior": 0.25, "senior": 0.1}

GRADES = {
    "preschool": ("小班", "中班", "大班"),
    "primary": ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级"),
    "junior": ("七年级", "八年级", "九年级"),
    "senior": ("高一", "高二", "高三"),
    "sec_vocational": ("一年级", "二年级", "三年级"),
    "higher_vocational": 3,
    "undergraduate": 4,
    "postgraduate": 3,
}
ENTRY_AGE = {"preschool": 3, "primary": 6, "junior": 12, "senior": 15, "sec_vocational": 15,
             "higher_vocational": 18, "undergraduate": 18, "postgraduate": 22}
CLASS_SIZE = {"preschool": 28, "primary": 42, "junior": 48, "senior": 50, "sec_vocational": 40,
              "higher_vocational": 40, "undergraduate": 32, "postgraduate": 25}
SPECIAL_CLASS_SIZE = 10
HIGHER = frozenset({"higher_vocational", "undergraduate", "postgraduate"})
CHILDREN = frozenset({"preschool", "primary", "junior"})
# Stages whose graduating students R-JOBS counts (catalogue job.* cells).
JOB_STAGES = frozenset({"senior", "sec_vocational", "higher_vocational", "undergraduate",
                        "postgraduate"})
# Stages where disabled children are placed (R-SPECIAL); students of higher education are not.
PLACEMENT_STAGES = frozenset({"preschool", "primary", "junior", "senior", "sec_vocational"})


def school_size(type_code: str, rurality: float, rng: Random) -> int:
    """Students of a school of this 学校类别, drawn around the mean (lognormal, σ = 0.5)."""
    mean = MEAN_SIZE[type_code]
    if type_code in ("11", "21", "31"):
        mean *= 1.5 - rurality
    low, high = SIZE_LIMITS[type_code]
    return min(high, max(low, round(mean * math.exp(rng.gauss(-0.125, 0.5)))))


def university_size(kind: str, rng: Random) -> int:
    low, high = UNIVERSITY_SIZES[kind]
    return round(math.exp(rng.uniform(math.log(low), math.log(high))))


def category_rates(stage: str, rurality: float, special_school: bool, disability: float
                   ) -> dict[str, float]:
    """Chance that a student of this stage has each category (docs/context.md §7).

    Poverty 5% (city) to 40% (poor rural county); left-behind 0–40% of rural children;
    disability 0.5–1% of enrolment (all students of a special school); orphans ≈ 0.1%,
    de facto unsupported ≈ 0.09%, martyrs and deaths on duty ≈ 0.01% together; improper
    guardianship 0.2% of children (guess). Vocational and college students come from poorer
    families than average (guess).
    """
    if stage in HIGHER:
        poverty = 0.10 + 0.10 * rurality if stage == "postgraduate" else 0.15 + 0.15 * rurality
    elif stage == "sec_vocational":
        poverty = min(0.5, 0.10 + 0.35 * rurality)
    else:
        poverty = 0.05 + 0.35 * rurality
    if special_school:
        poverty = min(0.6, poverty + 0.2)
    left_behind = (0.3 if stage == "preschool" else 0.4) * rurality if stage in CHILDREN else (
        0.1 * rurality if stage in ("senior", "sec_vocational") else 0.0)
    child = stage not in HIGHER
    return {
        "poverty": poverty,
        "disability": 1.0 if special_school else (disability if child else 0.002),
        "guardianship": 0.002 if child else 0.0,
        "orphan": 0.001 if child else 0.0005,
        "unsupported": 0.0009 if child else 0.0,
        "left_behind": left_behind,
        "martyr": 0.00004,
        "military_duty": 0.00003,
        "police_fire_duty": 0.00003,
    }


# Categories that mark a child as severely at risk: always close to being a key target.
SEVERE = frozenset({"guardianship", "orphan", "unsupported", "martyr", "military_duty",
                    "police_fire_duty"})
# Categories the national student-aid system knows and pushes as 免申即享 (R-AUTO).
AUTO_CATEGORIES = frozenset({"poverty", "disability", "orphan", "unsupported", "martyr",
                             "military_duty", "police_fire_duty"})


def factor_rates(stage: str, categories: frozenset[str], graduating: bool) -> dict[str, float]:
    """Chance of each stacked factor (R-FACTOR) for a student in difficulty (guess)."""
    unguarded = bool(categories & {"left_behind", "guardianship", "orphan", "unsupported"})
    severe = bool(categories & SEVERE)
    young = stage == "preschool"
    return {
        "family_education": 0.06 + (0.2 if unguarded else 0.0),
        "mental_health": (0.01 if young else 0.04) + (0.06 if severe else 0.0),
        "behaviour": 0.0 if young else 0.03 + (0.03 if unguarded else 0.0),
        "academic_lag": 0.0 if young else (0.04 if stage in HIGHER else 0.08)
        + (0.05 if "left_behind" in categories else 0.0),
        "enrolment_employment": 0.25 if graduating else 0.02,
    }


def key_chance(categories: frozenset[str], factors: frozenset[str], tier: str | None) -> float:
    """Chance that a student in difficulty is a key care target: more with stacked needs."""
    chance = 0.1 + 0.25 * (len(categories) - 1) + 0.25 * len(factors)
    if categories & SEVERE:
        chance += 0.7
    if "disability" in categories:
        chance += 0.4
    if tier == "special":
        chance += 0.15
    return min(0.95, chance)


# 家庭经济困难等级 of poor students: 特困 20–30% of needy students in Shaanxi 2013 (docs/context.md §2).
TIER_SHARES = {"special": 0.25, "difficult": 0.45, "general": 0.30}


@dataclass(frozen=True)
class CareRates:
    """How well a school cares (R-DROPOUT, R-CHECKS, R-JOBS, R-AID, R-SPECIAL, R-MENTOR).

    The defaults describe a school doing its work; planted problems (synth.problems) lower
    them.
    """

    absent: float = 0.03          # students in difficulty not registered on time
    returned: float = 0.75        # of the absent, brought back (劝返复学)
    dropped: float = 0.1          # of the absent not brought back, dropped out
    talk_every_month: float = 0.97  # key students talked to in every month
    postings3: float = 0.95       # graduating students given ≥ 3 postings
    highest_tier: float = 0.92    # aided students aided at the highest tier
    placement: float = 0.98       # disabled children with a placement
    mentor: float = 0.95          # key students with a mentor
    aided: float = 0.97           # students in difficulty with any aid
