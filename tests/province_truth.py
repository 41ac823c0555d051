"""A small synthetic province's true tables, read by real school nodes (as bench/ does).

Each school of ``guanai synth``'s plan is imported into a real node store and its true table
computed by the node's own code, so tests of post-processing start from tables that obey the
catalogue's rules exactly as real ones do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from aggregator.warnings.rules import Figures
from node.importer import import_file
from node.release import true_table
from node.store import open_store, set_meta
from privacy import dp
from privacy.budget import BudgetPolicy
from protos.catalogue import load
from protos.periods import Period
from protos.regions import PROVINCE, school_stages
from synth import province as synth_province
from synth.files import IMPORT_ORDER

PERIOD = Period.parse("2025-H1")
TODAY = date(2025, 7, 1)


@dataclass(frozen=True)
class School:
    school_id: str
    county: str  # the county it sits in
    direct: bool  # reports straight to the province
    table: dict[str, int]  # cell id → true value


def schools(folder: Path, counties: int, per_county: int, seed: int) -> list[School]:
    """Every school of a synthetic province with its true table (universities left out)."""
    return true_tables(synth_province.plan(counties, per_county, seed, PERIOD,
                                           university=False), folder)


def true_tables(plan: synth_province.ProvincePlan, folder: Path) -> list[School]:
    """Write ``plan``'s schools to ``folder``, import each into a real node, read its table."""
    catalogue = load()
    synth_province.write(plan, folder)
    found = []
    for spec in plan.schools:
        db = open_store(folder / f"{spec.school_id}.db", create=True)
        set_meta(db, "school_id", spec.school_id)
        set_meta(db, "region_code", spec.county.code)
        for kind in IMPORT_ORDER:
            import_file(db, kind, folder / spec.county.code / spec.school_id / f"{kind}.csv",
                        today=TODAY)
        table = true_table(db, PERIOD, catalogue, TODAY)
        db.conn.close()
        found.append(School(spec.school_id, spec.county.code, spec.direct, dict(table)))
    return found


@dataclass(frozen=True)
class Province:
    """One drawn province: its regions' true and released (noisy) tables, and its tree."""

    truth: dict[str, dict[str, int]]  # region or school → cell → true value
    figures: dict[str, Figures]  # region or school → released sums and declared variances
    parts: dict[str, list[str]]  # region → the regions (or direct schools) adding up to it


def release(pool: list[School], cities: int, counties: int, per_county: int,
            rng: Random) -> Province:
    """A province of ``cities`` × ``counties`` × ``per_county`` schools drawn from ``pool``
    (and one school reporting straight to it), each school's table released as its node
    releases it (OpenDP discrete Gaussian at the default budget), summed up the tree."""
    catalogue = load()
    ids = catalogue.ids()
    # Each school's table as released before secure aggregation (ρ = 0.5 a table): the official
    # tables are then made from sums of per-school noise, the case they were built for.
    rho = BudgetPolicy(rho_half_year=0.5).rho_half_year
    truth: dict[str, dict[str, int]] = {}
    figures: dict[str, Figures] = {}
    parts: dict[str, list[str]] = {PROVINCE: []}

    def school(unit: str, drawn: School) -> None:
        stages = frozenset(school_stages(drawn.school_id))
        plan = dp.noise_plan(catalogue, rho, stages)
        values = dict(drawn.table)
        variances = dict.fromkeys(ids, 0.0)
        for group, noise in plan.items():
            cells = [c.id for c in catalogue.group_cells(group) if c.stages & stages]
            for cell, noisy in zip(cells, dp.add_noise([values[c] for c in cells], noise.scale),
                                   strict=True):
                values[cell] = noisy
                variances[cell] = noise.scale**2
        truth[unit] = dict(drawn.table)
        figures[unit] = Figures(unit, "school", {c: float(values[c]) for c in ids}, variances,
                                1, 0, 1)

    def total(unit: str, level: str, below: list[str]) -> None:
        truth[unit] = {c: sum(truth[b][c] for b in below) for c in ids}
        figures[unit] = Figures(unit, level, {c: sum(figures[b].values[c] for b in below)
                                              for c in ids},
                                {c: sum(figures[b].variances[c] for b in below) for c in ids},
                                len(below), 0, len(below))

    for i in range(cities):
        city = f"61{i + 1:02d}00"
        parts[PROVINCE].append(city)
        parts[city] = []
        for j in range(counties):
            county = f"61{i + 1:02d}{j + 1:02d}"
            members = [f"{county}{k:04d}" for k in range(per_county)]
            for member in members:
                school(member, rng.choice(pool))
            total(county, "county", members)
            parts[city].append(county)
        total(city, "city", parts[city])
    direct = "3661990001"
    school(direct, rng.choice([s for s in pool if school_stages(s.school_id) == ("sec_vocational",)]
                              or pool))
    parts[PROVINCE].append(direct)
    total(PROVINCE, "province", parts[PROVINCE])
    return Province(truth, figures, parts)
