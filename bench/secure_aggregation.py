"""Benchmark: what secure aggregation buys and what a province's round costs (issue 15,
docs/secure-aggregation.md).

1. Half-widths. The 95% half-width of a monitored count (e.g. 辍学人数) of a 140-school county
   and of the province at the default policy, published from the shares (noise once, both
   parties: OpenDP's σ for the level's ρ), beside the sum of the schools' own tables at the
   old default (ρ = 0.5 a table, noise √N times a school's). Checked by drawing: the published
   noise of many figures, the share beyond the half-width (≈ 5%).
2. Warnings. The three answers of every rule (bench/warnings_precision.py ``three_answers``) on
   the same synthetic counties, with each county's variance as the schools' tables summed
   (today) and as its published figure: the share of county-rule pairs 20% beyond the threshold
   that cannot be judged, and recall among those judged.
3. A province's round: ``--schools`` schools in counties of 140 (15,000 by default) make and
   seal both shares; every county (the leader) and the helper accept all of them through their
   real intake (open, verify, group commit, log, receipt) into real SQLite files; each county
   publishes with the helper over real gRPC on loopback; the province publishes from the
   counties' partials; the inspector verifies both parties' bundles. Each step timed.

    .venv/bin/python bench/secure_aggregation.py [--schools 15000] [--rounds 100]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import warnings_precision as wp  # noqa: E402
from privacy import dp  # noqa: E402
from privacy.budget import BudgetPolicy  # noqa: E402
from protos.catalogue import load  # noqa: E402

CATALOGUE = load()
POLICY = BudgetPolicy()
COUNTY_SCHOOLS = 140  # a typical Shaanxi county: 14,961 schools over 107 county-level units
PROVINCE_SCHOOLS = 15_000
OLD_RHO = 0.5  # a school's table before secure aggregation


def half_widths(draws: int) -> None:
    print("## 1. Monitored count, 95% half-width (default policy: "
          f"table {POLICY.rho_half_year:g}, county {POLICY.rho_county:g}, city "
          f"{POLICY.rho_city:g}, province {POLICY.rho_province:g} per half-year)")
    print("| figure | schools' tables summed (ρ = 0.5 a table) | published, noise once "
          "(two parties) | target | drawn: share beyond |")
    print("|---|---|---|---|---|")
    school = dp.noise_plan(CATALOGUE, OLD_RHO, None)["monitored"].scale
    for level, schools, target in (("county", COUNTY_SCHOOLS, 20),
                                   ("province", PROVINCE_SCHOOLS, 40)):
        scale = dp.noise_plan(CATALOGUE, POLICY.rho_level(level), None)["monitored"].scale
        width = dp.accuracy(scale, 0.05, 2)
        leader, helper = dp.add_noise([0] * draws, scale), dp.add_noise([0] * draws, scale)
        beyond = sum(abs(a + b) > width for a, b in zip(leader, helper, strict=True)) / draws
        print(f"| {level} ({schools:,} schools) | ±{dp.accuracy(school, 0.05, schools):,.0f} | "
              f"±{width:.1f} | ≤ {target} {'met' if width <= target else 'MISSED'} | "
              f"{beyond:.4f} of {draws:,} |")


def warnings(counties: int, schools: int, rounds: int) -> None:
    print(f"\n## 2. Warnings on published county figures ({counties} counties × {schools} "
          f"schools, {rounds} rounds per county and rule, counties 20% beyond each threshold)")
    with tempfile.TemporaryDirectory() as tmp:
        plan, drawn = wp.province(counties, schools, 999, 0, 0, Path(tmp) / "clean")
    codes = [c.code for c in plan.counties]
    today = wp.three_answers(wp.Noise(drawn, codes), rounds, random.Random(2026))
    published = wp.three_answers(wp.Noise(drawn, codes, POLICY.rho_county), rounds,
                                 random.Random(2027))
    print("| rule | threshold | not judged: today → published | recall among judged: today → "
          "published | 警示 at the threshold: published |")
    print("|---|---|---|---|---|")
    for rule in wp.RULES:
        a, b = today[rule.id], published[rule.id]
        print(f"| {rule.id} | {rule.threshold:g} | {a['not_judged']:.3f} → {b['not_judged']:.3f} "
              f"| {_rate(a['recall'])} → {_rate(b['recall'])} | {b['false']:.4f} (n {b['at_n']}) |")


def _rate(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=PROVINCE_SCHOOLS)
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--counties", type=int, default=8, help="counties of the warnings run")
    parser.add_argument("--per-county", type=int, default=40, help="schools per county there")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--skip-round", action="store_true", help="only parts 1 and 2")
    args = parser.parse_args()
    started = time.perf_counter()
    half_widths(args.draws)
    warnings(args.counties, args.per_county, args.rounds)
    if not args.skip_round:
        from bench.secure_aggregation_round import province_round
        province_round(args.schools, COUNTY_SCHOOLS)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
