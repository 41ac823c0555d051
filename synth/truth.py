"""The true values of the key indicators, computed from what was generated.

Names are catalogue cell ids and the semantics are those of the node's true table
(node/table.py): cells count enrolled students in difficulty (≥ 1 category, from the roster or
the 免申即享 list), and key.current counts confirmed targets not exited by the period's end.
Only cells open to the school's stages are listed; the others are 0 by construction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from protos.catalogue import load
from protos.periods import Period
from synth.model import School
from synth.problems import PROBLEMS, measure_all

FAMILIES = (
    "pop.enrolled", "pop.in_difficulty", "pop.category", "pop.factor", "pop.stacked",
    "key.current", "acad.placement", "acad.reg_expected", "acad.reg_on_time", "acad.absent",
    "acad.returned", "acad.dropped_out", "psy.talk_monthly", "psy.home_activities",
    "job.graduating", "job.postings3", "aid.highest_tier", "mentor.mentors", "mentor.assigned",
)


def cells(stages: Iterable[str]) -> list[str]:
    """The ground truth's cells for a school teaching these stages, in catalogue order."""
    taught = set(stages)
    return [cell.id for cell in load().cells if cell.family in FAMILIES and cell.stages & taught]


def indicators(school: School) -> dict[str, int]:
    """True values of the ground truth's cells for one school and its period."""
    spec = school.spec
    end = spec.period.end
    count: Counter[str] = Counter()
    by_no = {s.no: s for s in school.students}
    for s in school.students:
        count[f"pop.enrolled.{s.stage}"] += 1
        if not s.in_difficulty:
            continue
        count[f"pop.in_difficulty.{s.stage}"] += 1
        for category in s.categories:
            count[f"pop.category.{category}.{s.stage}"] += 1
        count["pop.disabled"] += "disability" in s.categories
        for factor in s.factors:
            count[f"pop.factor.{factor}"] += 1
        count["pop.stacked"] += len(s.factors) >= 2
        count["job.graduating"] += s.graduating

    current = {e.student.no for e in school.auto if e.pushed <= end}
    current |= {c.student.no for c in school.cases
                if c.confirmed and c.confirmed <= end and not (c.exited and c.exited <= end)}
    count["key.current"] = len(current)

    for r in school.registrations:
        count["acad.reg_expected"] += 1
        count["acad.reg_on_time" if r.status == "on_time" else f"acad.absent.{r.status}"] += 1
        count["acad.returned"] += r.returned_on is not None
        count["acad.dropped_out"] += r.dropped_out

    months = {f"{y}-{m:02d}" for y, m in spec.period.months()}
    talked: dict[str, set[str]] = {}
    postings: Counter[str] = Counter()
    placement: dict[str, str] = {}  # one placement record per student: the last one counts
    for r in school.records:
        if r.kind == "talk":
            talked.setdefault(r.student.no, set()).add(r.on.isoformat()[:7])
        elif r.kind == "posting":
            postings[r.student.no] += r.quantity
        elif r.kind.startswith("placement_"):
            placement[r.student.no] = r.kind.removeprefix("placement_")
    count["psy.talk_monthly"] = sum(talked.get(no, set()) >= months for no in current)
    count["job.postings3"] = sum(total >= 3 and by_no[no].graduating
                                 for no, total in postings.items())
    for kind in placement.values():
        count[f"acad.placement.{kind}"] += 1

    count["aid.highest_tier"] = len({a.student.no for a in school.aid if a.highest_tier})
    count["mentor.mentors"] = len(school.mentors)
    count["mentor.assigned"] = len({s.no for m in school.mentors for s in m.students} & current)
    count["psy.home_activities"] = len(school.activities)
    return {cell: count[cell] for cell in cells(spec.stages)}


def add(totals: dict[str, int], more: Mapping[str, int]) -> None:
    for cell, value in more.items():
        totals[cell] = totals.get(cell, 0) + value


def meta(seed: int, period: Period) -> dict[str, object]:
    """What a ground-truth file describes, and how its problem measures are defined."""
    return {
        "generator": "guanai synth",
        "synthetic": True,
        "catalogue": load().version,
        "seed": seed,
        "period": period.code,
        "cells": "catalogue cell ids open to the school's stages; cells not listed are 0",
        "problem_kinds": {
            p.id: {"zh": p.zh, "en": p.en,
                   "measures": {name: str(m) for name, m in p.measures.items()}}
            for p in PROBLEMS.values()
        },
    }


def entry(school: School) -> dict[str, object]:
    """One school's ground truth: what it is, what was planted, and its true values."""
    spec = school.spec
    values = indicators(school)
    return {
        "name": spec.name,
        "county": spec.county.code,
        "type": spec.type_code,
        "stages": list(spec.stages),
        "students": spec.students,
        "rurality": spec.rurality,
        "direct_to_province": spec.direct,
        "reports_to": spec.reports_to,
        "problems": list(spec.problems),
        "indicators": values,
        "rates": measure_all(values),
    }
