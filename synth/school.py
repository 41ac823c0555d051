"""One synthetic school: its spec (type, size, stages, name) and everything generated from it."""

from __future__ import annotations

from random import Random

from protos.periods import Period
from protos.regions import check_school
from synth import SynthError, aid, care, procedure
from synth.geography import County
from synth.idcard import IdCardIssuer
from synth.model import School, SchoolSpec
from synth.population import students
from synth.problems import PROBLEMS, care_rates
from synth.rates import (
    COLLEGE_SHARE,
    COMPLETE_SECONDARY,
    POSTGRADUATE_SHARE,
    SPECIAL_STAGE_SHARES,
    school_size,
    university_size,
)

NAME_SUFFIX = {"11": "幼儿园", "21": "小学", "31": "初级中学", "34": "高级中学", "36": "职业技术学校",
               "51": "特殊教育学校"}
UNIVERSITY_PLACES = ("秦川", "渭北", "终南", "骊山", "汉江", "秦岭", "长乐", "华岳", "丝路", "曲江")
UNIVERSITY_FIELDS = ("理工", "科技", "师范", "医学", "财经", "农林", "交通", "信息", "艺术", "建筑")
DIGITS = "零一二三四五六七八九"
UNIVERSITY_KINDS = ("undergraduate", "higher_vocational")


def rng_for(seed: int, *parts: object) -> Random:
    """A generator of its own for each school and purpose: results do not depend on order."""
    return Random("/".join(["guanai-synth", str(seed), *map(str, parts)]))


def chinese_number(n: int) -> str:
    """1–99 in Chinese numerals (第一, 第十二, 第三十); larger numbers in digits."""
    if n < 10:
        return DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
    return str(n)


def school_name(type_code: str, county: County, ordinal: int, university: str | None = None
                ) -> str:
    """A plausible, invented name, unique for each (county, type, ordinal)."""
    if type_code == "41":
        place = UNIVERSITY_PLACES[ordinal % len(UNIVERSITY_PLACES)]
        field = UNIVERSITY_FIELDS[ordinal // len(UNIVERSITY_PLACES) % len(UNIVERSITY_FIELDS)]
        kind = "职业技术学院" if university == "higher_vocational" else "大学"
        extra = "" if ordinal < 100 else chinese_number(ordinal // 100 + 1)
        return f"{place}{field}{kind}{extra}"
    if type_code == "51" and ordinal == 1:
        return f"{county.name}特殊教育学校"
    return f"{county.name}第{chinese_number(ordinal)}{NAME_SUFFIX[type_code]}"


def stage_sizes(type_code: str, size: int, rng: Random, university: str | None = None
                ) -> dict[str, int]:
    """How a school's students spread over the stages it teaches."""
    if type_code == "34" and rng.random() < COMPLETE_SECONDARY:
        junior = round(0.4 * size)
        return {"junior": junior, "senior": size - junior}
    if type_code == "51":
        sizes = {stage: round(size * share) for stage, share in SPECIAL_STAGE_SHARES.items()}
        sizes["primary"] += size - sum(sizes.values())
        return {stage: n for stage, n in sizes.items() if n}
    if type_code == "41":
        if university == "higher_vocational":
            return {"higher_vocational": size}
        college = round(COLLEGE_SHARE * size)
        postgraduate = round(POSTGRADUATE_SHARE * size)
        sizes = {"higher_vocational": college, "undergraduate": size - college - postgraduate,
                 "postgraduate": postgraduate}
        return {stage: n for stage, n in sizes.items() if n}
    only = {"11": "preschool", "21": "primary", "31": "junior", "34": "senior",
            "36": "sec_vocational"}[type_code]
    return {only: size}


def university_kind(rng: Random) -> str:
    """高职院校 (college) or 本科 university, even odds (guess)."""
    return rng.choice(UNIVERSITY_KINDS)


def make_spec(school_id: str, county: County, period: Period, seed: int, *,
              students: int | None = None, name: str | None = None,
              problems: tuple[str, ...] = (), direct: bool | None = None,
              birthplaces: tuple[County, ...] = (), ordinal: int = 1,
              university: str | None = None) -> SchoolSpec:
    """Decide a school's stages, size and name from its id, county and seed."""
    check_school(school_id)
    if period.annual:
        raise SynthError(f"period {period} is a year: give a half-year, 例如 {period.year}-H1")
    type_code = school_id[:2]
    rng = rng_for(seed, school_id, "spec")
    if type_code == "41":
        university = university or university_kind(rng)
        rurality = 0.5  # students come from the whole province
        drawn = university_size(university, rng)
    else:
        rurality = min(1.0, max(0.0, county.rurality + rng.uniform(-0.15, 0.15)))
        drawn = school_size(type_code, rurality, rng)
    size = drawn if students is None else students
    if size < 1:
        raise SynthError(f"--students must be at least 1, not {size}")
    sizes = stage_sizes(type_code, size, rng, university)
    for problem in problems:
        if not PROBLEMS[problem].applies_to(sizes):
            raise SynthError(f"problem {problem!r} does not apply to a school teaching "
                             f"{', '.join(sizes)} ({PROBLEMS[problem].zh})")
    return SchoolSpec(
        school_id=school_id,
        name=name or school_name(type_code, county, ordinal, university),
        county=county,
        stage_sizes=sizes,
        period=period,
        seed=seed,
        rurality=round(rurality, 3),
        direct=type_code == "41" if direct is None else direct,
        problems=problems,
        birthplaces=birthplaces,
    )


def generate(spec: SchoolSpec, issuer: IdCardIssuer) -> School:
    """Students, key targets and the period's care, aid, mentors and activities."""
    rng = rng_for(spec.seed, spec.school_id, spec.period)
    rates = care_rates(spec.problems)
    roster = students(spec, issuer, rng)
    auto, cases = procedure.key_targets(spec, roster, rng)
    key = procedure.key_during(auto, cases)
    return School(
        spec, roster, auto, cases,
        records=care.records(spec, roster, key, rates, rng),
        registrations=care.registrations(spec, roster, rates, rng),
        aid=aid.aid(spec, roster, rates, rng),
        mentors=care.mentors(key, rates, rng),
        activities=care.activities(spec, rng),
    )
