"""A synthetic province: counties, schools of every stage, planted problems, streamed to disk.

Layout: DIR/province.toml, DIR/<county code>/<school id>/ (school.toml and import files) and
DIR/ground_truth.json. Schools are generated and written one at a time, so memory stays small
whatever the size of the province; the ground truth is written as it goes.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from random import Random

from protos.periods import Period
from protos.regions import PROVINCE, PROVINCE_NAME
from synth import SynthError, truth
from synth.files import toml_lines, write_school
from synth.geography import County, province_counties
from synth.idcard import IdCardIssuer
from synth.model import SchoolSpec
from synth.problems import PROBLEMS, measure_all
from synth.rates import SCHOOL_COUNTS
from synth.school import UNIVERSITY_KINDS, generate, make_spec, rng_for

TYPES_IN_COUNTIES = ("11", "21", "31", "34", "36", "51")
PROVINCE_RUN_VOCATIONAL = 4  # every fourth 中职 school is run by the province (guess)


@dataclass(frozen=True)
class ProvincePlan:
    seed: int
    period: Period
    counties: tuple[County, ...]
    schools: tuple[SchoolSpec, ...]
    county_problems: dict[str, str]  # county code → problem planted in all its schools
    school_problems: dict[str, str]  # school id → problem planted in that school alone


def type_counts(total: int, university: bool) -> dict[str, int]:
    """Schools of each 学校类别 in Shaanxi's proportions, at least one of each."""
    types = [*TYPES_IN_COUNTIES, *(["41"] if university else [])]
    if total < len(types):
        raise SynthError(f"a province of every stage needs at least {len(types)} schools "
                         f"(--counties × --schools-per-county), not {total}")
    weight = sum(SCHOOL_COUNTS[t] for t in types)
    shares = {t: (total - len(types)) * SCHOOL_COUNTS[t] / weight for t in types}
    counts = {t: 1 + math.floor(s) for t, s in shares.items()}
    for t in sorted(types, key=lambda t: math.floor(shares[t]) - shares[t]):
        if sum(counts.values()) == total:
            break
        counts[t] += 1
    return counts


def _slots(counties: list[County], per_county: int, university: bool, rng: Random
           ) -> list[tuple[County, str]]:
    """(county, type) for every school: universities in the most urban counties."""
    counts = type_counts(len(counties) * per_county, university)
    urban_first = sorted(counties, key=lambda c: (c.rurality, c.code))
    universities = [urban_first[i % len(counties)] for i in range(counts.pop("41", 0))]
    open_slots = [c for c in counties for _ in range(per_county)]
    for county in universities:
        open_slots.remove(county)
    others = [t for t, n in counts.items() for _ in range(n)]
    rng.shuffle(others)
    slots = [(c, "41") for c in universities] + list(zip(open_slots, others, strict=True))
    return sorted(slots, key=lambda slot: (slot[0].code, slot[1]))


def _school_ids(slots: list[tuple[County, str]]) -> Iterator[str]:
    """学校标识码: 学校类别 + 61 + prefecture digits + 4-digit sequence; universities 41610 +
    a five-digit code."""
    sequence: dict[tuple[str, str], itertools.count] = {}
    for county, type_code in slots:
        if type_code == "41":
            number = next(sequence.setdefault(("41", ""), itertools.count(19001)))
            yield f"41610{number}"
            continue
        number = next(sequence.setdefault((type_code, county.code[2:4]), itertools.count(1)))
        if number > 9999:
            raise SynthError("more than 9,999 schools of one type in a prefecture")
        yield f"{type_code}61{county.code[2:4]}{number:04d}"


def _pick(kind: str, candidates: dict[str, list[SchoolSpec]], taken: dict[str, str],
          what: str, rng: Random) -> str:
    """A candidate not yet taken with a school the problem applies to."""
    fitting = [key for key, members in candidates.items() if key not in taken
               and any(PROBLEMS[kind].applies_to(s.stages) for s in members)]
    if not fitting:
        raise SynthError(f"no {what} left to plant problem {kind!r} in "
                         f"({PROBLEMS[kind].zh}): ask for fewer or plan more schools")
    return rng.choice(fitting)


def _plant(schools: list[SchoolSpec], kinds: tuple[str, ...], problem_counties: int,
           problem_schools: int, rng: Random) -> tuple[dict[str, str], dict[str, str]]:
    """Problem kinds, in turn, for the chosen counties and then for single schools."""
    members: dict[str, list[SchoolSpec]] = {}
    for spec in schools:
        if not spec.direct:
            members.setdefault(spec.county.code, []).append(spec)
    by_county: dict[str, str] = {}
    for n in range(problem_counties):
        kind = kinds[n % len(kinds)]
        by_county[_pick(kind, members, by_county, "county", rng)] = kind
    singles = {s.school_id: [s] for s in schools
               if s.direct or s.county.code not in by_county}
    by_school: dict[str, str] = {}
    for n in range(problem_schools):
        kind = kinds[n % len(kinds)]
        by_school[_pick(kind, singles, by_school, "school", rng)] = kind
    return by_county, by_school


def plan(counties: int, per_county: int, seed: int, period: Period, *,
         problem_counties: int = 0, problem_schools: int = 0,
         kinds: tuple[str, ...] = tuple(PROBLEMS), university: bool = True) -> ProvincePlan:
    """Decide every county and school (cheap: nothing is generated yet)."""
    if per_county < 1:
        raise SynthError(f"--schools-per-county must be at least 1, not {per_county}")
    rng = rng_for(seed, "province")
    regions = tuple(province_counties(counties))
    slots = _slots(list(regions), per_county, university, rng)
    ordinals: dict[tuple[str, str], itertools.count] = {}
    vocational = itertools.count()
    schools = []
    for (county, type_code), school_id in zip(slots, _school_ids(slots), strict=True):
        key = ("" if type_code == "41" else county.code, type_code)
        ordinal = next(ordinals.setdefault(key, itertools.count(1)))
        direct = type_code == "41" or (
            type_code == "36" and next(vocational) % PROVINCE_RUN_VOCATIONAL == 1)
        # Universities alternate 本科 and 高职, so a province with one still has postgraduates.
        university = UNIVERSITY_KINDS[(ordinal - 1) % 2] if type_code == "41" else None
        schools.append(make_spec(school_id, county, period, seed, direct=direct,
                                 birthplaces=regions, ordinal=ordinal, university=university))
    by_county, by_school = _plant(schools, kinds, problem_counties, problem_schools, rng)
    planted = []
    for spec in schools:
        found = [by_school.get(spec.school_id)]
        if not spec.direct:
            found.append(by_county.get(spec.county.code))
        problems = tuple(p for p in dict.fromkeys(found)
                         if p and PROBLEMS[p].applies_to(spec.stages))
        planted.append(replace(spec, problems=problems))
    return ProvincePlan(seed, period, regions, tuple(planted), by_county, by_school)


def province_toml(plan: ProvincePlan) -> str:
    lines = ["# 合成数据 synthetic data (guanai synth): no real school or student.",
             "# Counties marked synthetic = true have generated codes (not real places).", "",
             *toml_lines({"province": PROVINCE, "name": PROVINCE_NAME,
                          "period": plan.period.code, "seed": plan.seed})]
    for c in plan.counties:
        lines += ["", "[[counties]]", *toml_lines({
            "code": c.code, "name": c.name, "prefecture": c.prefecture,
            "prefecture_name": c.prefecture_name, "synthetic": c.synthetic})]
    for s in plan.schools:
        lines += ["", "[[schools]]", *toml_lines({
            "id": s.school_id, "name": s.name, "county": s.county.code,
            "type": s.type_code, "stages": list(s.stages), "students": s.students,
            "direct_to_province": s.direct, "reports_to": s.reports_to,
            "path": f"{s.county.code}/{s.school_id}"})]
    return "\n".join(lines) + "\n"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _county_entries(plan: ProvincePlan, totals: dict[str, dict[str, int]]) -> dict[str, dict]:
    members: dict[str, list[str]] = {c.code: [] for c in plan.counties}
    for spec in plan.schools:
        if not spec.direct:
            members[spec.county.code].append(spec.school_id)
    return {
        c.code: {
            "name": c.name,
            "schools": members[c.code],
            "problems": [plan.county_problems[c.code]] if c.code in plan.county_problems else [],
            "indicators": totals[c.code],
            "rates": measure_all(totals[c.code]),
        }
        for c in plan.counties
    }


def write(plan: ProvincePlan, out: Path) -> dict[str, int]:
    """Write every school's folder, province.toml and ground_truth.json; return totals."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "province.toml").write_text(province_toml(plan), encoding="utf-8")
    issuer = IdCardIssuer()
    by_county: dict[str, dict[str, int]] = {c.code: {} for c in plan.counties}
    everything: dict[str, int] = {}
    with (out / "ground_truth.json").open("w", encoding="utf-8") as gt:
        gt.write(f'{{"meta": {_dumps(truth.meta(plan.seed, plan.period))},\n"schools": {{')
        for n, spec in enumerate(plan.schools):
            school = generate(spec, issuer)
            write_school(school, out / spec.county.code / spec.school_id)
            entry = truth.entry(school)
            gt.write(("," if n else "") + f"\n{_dumps(spec.school_id)}: {_dumps(entry)}")
            if not spec.direct:
                truth.add(by_county[spec.county.code], entry["indicators"])
            truth.add(everything, entry["indicators"])
        province = {
            "direct_schools": [s.school_id for s in plan.schools if s.direct],
            "problem_counties": plan.county_problems,
            "problem_schools": plan.school_problems,
            "indicators": everything,
            "rates": measure_all(everything),
        }
        gt.write(f'\n}},\n"counties": {_dumps(_county_entries(plan, by_county))},\n'
                 f'"province": {_dumps(province)}\n}}\n')
    return {"counties": len(plan.counties), "schools": len(plan.schools),
            "students": sum(s.students for s in plan.schools)}
