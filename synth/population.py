"""The students of a school: who they are, their grades and classes, and their difficulties."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from random import Random

from protos.catalogue import load
from synth import people
from synth.idcard import IdCardIssuer
from synth.model import SchoolSpec, Student
from synth.rates import (
    CLASS_SIZE,
    ENTRY_AGE,
    GRADES,
    HIGHER,
    JOB_STAGES,
    SEVERE,
    SPECIAL_CLASS_SIZE,
    TIER_SHARES,
    category_rates,
    factor_rates,
)

CATEGORY_ORDER = tuple(v.id for v in load().dimensions["category"].values)
FACTOR_ORDER = tuple(v.id for v in load().dimensions["factor"].values)
LOCAL_BIRTHS = 0.85  # pupils born in the school's own county (guess)


def school_year(spec: SchoolSpec) -> int:
    """The year the period's school year began (September)."""
    return spec.period.year - 1 if spec.period.half == 1 else spec.period.year


def grade_labels(stage: str, first_year: int) -> tuple[str, ...]:
    labels = GRADES[stage]
    if isinstance(labels, int):  # higher education: by entry year, 2022级 …
        return tuple(f"{first_year - g}级" for g in range(labels))
    return labels


def split(total: int, parts: int, rng: Random) -> list[int]:
    """``total`` spread over ``parts`` near-equal shares that add up exactly."""
    weights = [rng.uniform(0.9, 1.1) for _ in range(parts)]
    shares = [total * w / sum(weights) for w in weights]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(parts), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _birth(stage: str, entry_year: int, rng: Random) -> date:
    """A birthday that fits the grade: school starts in September at the stage's entry age."""
    age = ENTRY_AGE[stage]
    if rng.random() < 0.08:
        age += 1
    if stage == "postgraduate":
        age += rng.randrange(4)
    start = date(entry_year - age - 1, 9, 1)
    return start + timedelta(days=rng.randrange(365))


def _categories(rates: dict[str, float], rng: Random) -> frozenset[str]:
    found = {c for c in CATEGORY_ORDER if c != "poverty" and rng.random() < rates[c]}
    poverty, left_behind = rates["poverty"], rates["left_behind"]
    # Left-behind children are poorer than others; the poverty rate overall stays as given.
    poverty_if_left = min(0.9, 1.5 * poverty)
    if found & (SEVERE | {"disability"}):
        poverty = max(poverty, 0.7)
    elif "left_behind" in found:
        poverty = poverty_if_left
    elif left_behind < 1:
        poverty = max(0.0, poverty - left_behind * poverty_if_left) / (1 - left_behind)
    if rng.random() < poverty:
        found.add("poverty")
    return frozenset(found)


def _tier(categories: frozenset[str], rng: Random) -> str | None:
    if "poverty" not in categories:
        return None
    if categories & (SEVERE | {"disability"}):
        return "special"
    return rng.choices(list(TIER_SHARES), weights=list(TIER_SHARES.values()))[0]


def _factors(stage: str, categories: frozenset[str], graduating: bool, rng: Random
             ) -> frozenset[str]:
    if not categories:
        return frozenset()
    rates = factor_rates(stage, categories, graduating)
    return frozenset(f for f in FACTOR_ORDER if rng.random() < rates[f])


def students(spec: SchoolSpec, issuer: IdCardIssuer, rng: Random) -> list[Student]:
    """Every student of the school, by stage, grade and class."""
    first_year = school_year(spec)
    special = spec.type_code == "51"
    disability = rng.uniform(0.005, 0.01)
    serial = itertools.count(1)
    county = spec.county
    found: list[Student] = []
    for stage, size in spec.stage_sizes.items():
        rates = category_rates(stage, spec.rurality, special, disability)
        labels = grade_labels(stage, first_year)
        class_size = SPECIAL_CLASS_SIZE if special else CLASS_SIZE[stage]
        for g, count in enumerate(split(size, len(labels), rng)):
            entry_year = first_year - g
            classes = max(1, math.ceil(count / class_size))
            per_class = max(1, math.ceil(count / classes))
            graduating = stage in JOB_STAGES and g == len(labels) - 1
            for i in range(count):
                born_here = stage not in HIGHER and rng.random() < LOCAL_BIRTHS
                home = county if born_here or not spec.birthplaces else rng.choice(spec.birthplaces)
                male = rng.random() < (0.5 if stage in HIGHER else 0.52)
                categories = _categories(rates, rng)
                lives, rurality = (home, home.rurality) if stage in HIGHER else (
                    county, spec.rurality)
                found.append(Student(
                    no=f"{entry_year}{next(serial):06d}",
                    name=people.person_name(rng, male),
                    id_card=issuer.issue(home.code, _birth(stage, entry_year, rng), male, rng),
                    male=male,
                    stage=stage,
                    grade=labels[g],
                    grade_index=g,
                    klass=f"{i // per_class + 1}班",
                    graduating=graduating,
                    categories=categories,
                    factors=_factors(stage, categories, graduating, rng),
                    tier=_tier(categories, rng),
                    phone=people.phone(rng),
                    address=people.address(rng, lives.prefecture_name, lives.name,
                                           rng.random() < rurality),
                    roster_categories=categories,
                ))
    return found
