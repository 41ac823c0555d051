"""Problems that can be planted in a school or county, and the measures that reveal them.

Each problem lowers some of a school's care rates (synth.rates.CareRates) and names the
ratios of catalogue cells through which the warnings (R-WARN) should see it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from synth.rates import JOB_STAGES, PLACEMENT_STAGES, CareRates


@dataclass(frozen=True)
class Measure:
    """A ratio of two sums of catalogue cells (ids or glob patterns)."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]

    def value(self, indicators: Mapping[str, int]) -> float | None:
        def total(patterns: tuple[str, ...]) -> int:
            return sum(v for k, v in indicators.items()
                       if any(fnmatch.fnmatchcase(k, p) for p in patterns))
        below = total(self.denominator)
        return round(total(self.numerator) / below, 4) if below else None

    def __str__(self) -> str:
        return f"{' + '.join(self.numerator)} / {' + '.join(self.denominator)}"


@dataclass(frozen=True)
class Problem:
    id: str
    zh: str
    en: str
    rates: dict[str, float]  # CareRates fields and their values at a problem school
    measures: dict[str, Measure]
    stages: frozenset[str] | None = None  # the problem needs one of these stages

    def applies_to(self, stages: Iterable[str]) -> bool:
        return self.stages is None or bool(self.stages & set(stages))


def _m(numerator: str, denominator: str) -> Measure:
    return Measure(tuple(numerator.split()), tuple(denominator.split()))


PROBLEMS = {p.id: p for p in (
    Problem("dropout", "辍学和未劝返复学多", "High dropout and non-return",
            {"absent": 0.15, "returned": 0.2, "dropped": 0.4},
            {"absent_rate": _m("acad.absent.*", "acad.reg_expected"),
             "return_rate": _m("acad.returned", "acad.absent.*"),
             "dropout_rate": _m("acad.dropped_out", "acad.reg_expected")}),
    Problem("no_talks", "重点学生未每月谈心谈话", "Key students without a talk every month",
            {"talk_every_month": 0.35},
            {"talk_monthly_rate": _m("psy.talk_monthly", "key.current")}),
    Problem("few_postings", "困境毕业生岗位信息不足3个", "Graduates given fewer than 3 postings",
            {"postings3": 0.3},
            {"postings3_rate": _m("job.postings3", "job.graduating")}, JOB_STAGES),
    Problem("low_tier", "困境学生未给予最高档次资助", "Students in difficulty not at the highest tier",
            {"highest_tier": 0.3},
            {"highest_tier_rate": _m("aid.highest_tier", "pop.in_difficulty.*")}),
    Problem("no_placement", "残疾儿童未安置", "Disabled children without a placement",
            {"placement": 0.4},
            {"placement_rate": _m("acad.placement.*", " ".join(
                f"pop.category.disability.{stage}" for stage in sorted(PLACEMENT_STAGES)))},
            PLACEMENT_STAGES),
    Problem("no_mentor", "重点关爱对象无育人导师", "Key care targets without a mentor",
            {"mentor": 0.3},
            {"mentor_rate": _m("mentor.assigned", "key.current")}),
)}


def care_rates(problems: Iterable[str]) -> CareRates:
    """The care rates of a school with these problems planted."""
    changes: dict[str, float] = {}
    for problem in problems:
        changes.update(PROBLEMS[problem].rates)
    return dataclasses.replace(CareRates(), **changes)


def measure_all(indicators: Mapping[str, int]) -> dict[str, float | None]:
    """Every problem's measures on these indicators (None where the denominator is 0)."""
    return {name: measure.value(indicators)
            for problem in PROBLEMS.values() for name, measure in problem.measures.items()}
