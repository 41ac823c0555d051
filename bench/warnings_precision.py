"""Benchmark: precision and recall of the monitoring warnings at county and city level
(docs/warnings.md).

Synthetic provinces (`guanai synth`) are imported into real school nodes to get each school's
true table. Then, many times over, every school's table is released as the node releases it
under the default budget (ρ = 0.5 per half-year: discrete Gaussian noise from OpenDP at each
DP group's scale, for the stages the school teaches), summed per county with the declared
variances, and every rule is judged (aggregator/warnings/rules.py). A warning is right when the
county's true indicator (the rule's indicator on the true sums) is beyond the threshold.

Three experiments:
1. provinces with planted problem counties and schools: precision, recall for counties whose
   true indicator is ≥ 20% beyond the threshold, detection of the planted counties;
2. a province with no planted problem: the false-warning rate;
3. the boundary: each county of (2) moved to exactly 20% beyond each rule's threshold (the
   subtracted cells lowered, or the counted cells raised), noise from the county's declared
   variances (Gaussian, as the sum of ≥ 30 schools' discrete Gaussians is): the recall the
   target asks for, where it is hardest.

With ``--answers-only``: the three answers (警示 / 未见异常 / 数据不足以判断) of counties, and
of cities made of ``--per-city`` counties, moved 20% beyond each threshold and onto it.

    .venv/bin/python bench/warnings_precision.py [--counties 12] [--schools 40] [--rounds 200]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.warnings.rules import Figures, judge, load_rules  # noqa: E402
from aggregator.warnings.verdicts import POOLED, judged_where_possible  # noqa: E402
from privacy import dp  # noqa: E402
from privacy.budget import BudgetPolicy  # noqa: E402
from protos.catalogue import load  # noqa: E402
from protos.periods import Period  # noqa: E402
from protos.regions import school_stages  # noqa: E402
from synth import province as synth_province  # noqa: E402
from tests.province_truth import true_tables  # noqa: E402

CAT = load()
PERIOD = Period.parse("2025-H1")
TODAY = date(2025, 7, 1)
RHO = BudgetPolicy().rho_half_year
RULES = [r for r in load_rules().rules if r.kind != "missing"]
CELLS = sorted({c for r in RULES for c in (*r.numerator, *r.denominator)},
               key=lambda c: CAT.cell(c).index)
INDEX = {c: i for i, c in enumerate(CELLS)}
RULES_OF_PROBLEM = {"dropout": ("W01", "W02"), "no_talks": ("W03",), "few_postings": ("W04",),
                    "low_tier": ("W05",), "no_placement": ("W06",), "no_mentor": ("W07",)}


def province(counties: int, per_county: int, seed: int, problem_counties: int,
             problem_schools: int, folder: Path):
    """The plan and each county school's (county, true values of CELLS) via a real node."""
    plan = synth_province.plan(counties, per_county, seed, PERIOD,
                               problem_counties=problem_counties,
                               problem_schools=problem_schools, university=False)
    schools = [(s.school_id, s.county, [s.table[c] for c in CELLS])
               for s in true_tables(plan, folder) if not s.direct]
    return plan, schools


class Noise:
    """Per-cell noise of every school as its release declares it, grouped by scale."""

    def __init__(self, schools, counties: list[str]) -> None:
        self.counties = counties
        where = {c: i for i, c in enumerate(counties)}
        self.truth = np.zeros((len(counties), len(CELLS)))
        self.variance = np.zeros((len(counties), len(CELLS)))
        by_scale: dict[float, list[tuple[int, int, int]]] = defaultdict(list)
        for school_id, county, values in schools:
            stages = frozenset(school_stages(school_id))
            plan = dp.noise_plan(CAT, RHO, stages)
            for cell, value in zip(CELLS, values, strict=True):
                c = CAT.cell(cell)
                self.truth[where[county], INDEX[cell]] += value
                if c.public or not c.stages & stages:
                    continue  # published exactly, or a structural zero: no noise
                scale = plan[c.group].scale
                by_scale[scale].append((where[county], INDEX[cell], value))
                self.variance[where[county], INDEX[cell]] += scale**2
        self.groups = [(scale, np.array([e[0] for e in entries]), np.array([e[1] for e in entries]),
                        [e[2] for e in entries]) for scale, entries in by_scale.items()]

    def release(self) -> np.ndarray:
        """One round: the county sums of freshly released school values (OpenDP noise)."""
        sums = np.zeros_like(self.truth)
        for _scale, county_ix, cell_ix, values in self.groups:
            noisy = dp.add_noise(values, _scale)
            np.add.at(sums, (county_ix, cell_ix), noisy)
        exact = self.truth.copy()
        for _scale, county_ix, cell_ix, values in self.groups:
            np.add.at(exact, (county_ix, cell_ix), -np.array(values, dtype=float))
        return sums + exact  # public and closed cells exactly, the others noisy


def figures(region: str, values: np.ndarray, variances: np.ndarray,
            level: str = "county") -> Figures:
    return Figures(region, level, dict(zip(CELLS, map(float, values), strict=True)),
                   dict(zip(CELLS, map(float, variances), strict=True)), 1, 0)


def truth_of(rule, values: np.ndarray) -> float | None:
    def side(combination):
        return sum(k * values[INDEX[c]] for c, k in combination.items())
    d = side(rule.denominator) if rule.kind == "ratio" else 1.0
    return side(rule.numerator) / d if d else None


def beyond(rule, value: float, margin: float = 0.0) -> bool:
    if rule.direction == "above":
        return value > rule.threshold * (1 + margin) - (1e-12 if margin else 0)
    return value < rule.threshold * (1 - margin)


def measure(noise: Noise, rounds: int, planted: dict[str, str]) -> dict:
    """Fires per (rule, county) over the rounds, with each truth and interval width."""
    fires: dict[tuple[str, str], int] = defaultdict(int)
    widths: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        sums = noise.release()
        for ci, county in enumerate(noise.counties):
            f = figures(county, sums[ci], noise.variance[ci])
            for rule in RULES:
                finding = judge(rule, f)
                fires[(rule.id, county)] += finding.fires
                if math.isfinite(finding.interval.high - finding.interval.low):
                    widths[rule.id].append((finding.interval.high - finding.interval.low) / 2)
    rows = []
    for rule in RULES:
        for ci, county in enumerate(noise.counties):
            value = truth_of(rule, noise.truth[ci])
            if value is None:
                continue
            rows.append({"rule": rule.id, "county": county, "truth": value,
                         "beyond": beyond(rule, value), "clearly": beyond(rule, value, 0.2),
                         "planted": rule.id in RULES_OF_PROBLEM.get(planted.get(county), ()),
                         "rate": fires[(rule.id, county)] / rounds})
    return {"rows": rows, "widths": {k: statistics.median(v) for k, v in widths.items()}}


def boundary(noise: Noise, rounds: int, rng: random.Random) -> dict[str, float]:
    """Recall when every county sits exactly 20% beyond each rule's threshold."""
    recall = {}
    for rule in RULES:
        hits = total = 0
        for ci, county in enumerate(noise.counties):
            truth = noise.truth[ci].copy()
            target = rule.threshold * 1.2
            if not _move(rule, truth, target):
                continue
            sd = np.sqrt(noise.variance[ci])
            for _ in range(rounds):
                noisy = truth + np.array([rng.gauss(0.0, s) if s else 0.0 for s in sd])
                hits += judge(rule, figures(county, noisy, noise.variance[ci])).fires
                total += 1
        recall[rule.id] = hits / total if total else math.nan
    return recall


def three_answers(noise: Noise, rounds: int, rng: random.Random, per_city: int = 0
                  ) -> dict[str, dict[str, float]]:
    """Per rule, the three answers (aggregator/warnings/verdicts.py) for regions moved to 20%
    beyond the threshold and for regions moved exactly onto it; each judged on its half-year,
    and where that cannot tell, on the year pooled (a second, independent half).

    ``per_city`` 0: the regions are the counties. Otherwise they are cities of ``per_city``
    counties each (truths and variances add, as a city's figures sum its counties'), judged
    as the city level is, ``rounds × per_city`` times each so that as many judgements are
    made as for the counties."""
    regions = [(county, noise.truth[ci], noise.variance[ci])
               for ci, county in enumerate(noise.counties)]
    level = "county"
    if per_city:
        level, rounds = "city", rounds * per_city
        regions = [(f"city {k // per_city + 1}",
                    sum(r[1] for r in regions[k:k + per_city]),
                    sum(r[2] for r in regions[k:k + per_city]))
                   for k in range(0, len(regions) - per_city + 1, per_city)]
    out = {}
    for rule in RULES:
        tally = {"beyond": defaultdict(int), "at": defaultdict(int), "pooled": 0}
        for region, region_truth, variance in regions:
            sd = np.sqrt(variance)
            for case, target in (("beyond", _beyond_target(rule)), ("at", rule.threshold)):
                truth = region_truth.copy()
                if not _move(rule, truth, target):
                    continue
                for _ in range(rounds):
                    halves = [figures(region, truth + np.array(
                        [rng.gauss(0.0, s) if s else 0.0 for s in sd]), variance, level)
                        for _ in range(2)]
                    verdict = judged_where_possible(rule, halves[0], other_half=halves[1])
                    tally[case][verdict.answer] += 1
                    tally["pooled"] += verdict.basis == POOLED and case == "beyond"
        beyond, at = tally["beyond"], tally["at"]
        judged = beyond["warning"] + beyond["clear"]
        total = sum(beyond.values())
        n_at = sum(at.values())
        out[rule.id] = {
            "recall": beyond["warning"] / judged if judged else math.nan,
            "judged": judged, "not_judged": beyond["undecided"] / total if total else math.nan,
            "pooled": tally["pooled"] / total if total else math.nan,
            "false": at["warning"] / n_at if n_at else math.nan, "at_n": n_at,
        }
    return out


def _beyond_target(rule) -> float:
    return rule.threshold * (1.2 if rule.direction == "above" else 0.8)


def _move(rule, truth: np.ndarray, target: float) -> bool:
    """Set the true cells so that the rule's indicator is ``target``; False if impossible."""
    d = sum(k * truth[INDEX[c]] for c, k in rule.denominator.items())
    if d <= 0:
        return False
    positive = [c for c, k in rule.numerator.items() if k > 0]
    negative = [c for c, k in rule.numerator.items() if k < 0]
    counted = sum(truth[INDEX[c]] for c in positive)
    for c in negative:
        truth[INDEX[c]] = 0.0
    if negative and counted >= target * d:
        truth[INDEX[negative[0]]] = counted - target * d  # fewer cared for
        return True
    if set(positive) & set(rule.denominator):
        return False  # (A − B) / A with too few A: cannot be moved by raising A alone
    for c in positive:
        truth[INDEX[c]] = 0.0
    truth[INDEX[positive[0]]] = target * d  # more counted (e.g. more dropouts)
    return True


def report(title: str, results: list[dict]) -> None:
    rows = [r for result in results for r in result["rows"]]
    fired = sum(r["rate"] for r in rows)
    right = sum(r["rate"] for r in rows if r["beyond"])
    clearly = [r for r in rows if r["clearly"]]
    not_beyond = [r for r in rows if not r["beyond"]]
    planted = [r for r in rows if r["planted"]]
    print(f"\n## {title}")
    print(f"(rule, county) judgements per round: {len(rows)}; truly beyond the threshold: "
          f"{sum(r['beyond'] for r in rows)}, of which ≥ 20% beyond: {len(clearly)}; "
          f"planted: {len(planted)}")
    print(f"precision (fired and truly beyond / fired): "
          f"{right / fired:.4f}" if fired else "precision: no warning fired")
    if clearly:
        print(f"recall, counties ≥ 20% beyond: {statistics.mean(r['rate'] for r in clearly):.4f}")
    if planted:
        print(f"recall, planted problem counties: "
              f"{statistics.mean(r['rate'] for r in planted):.4f}")
    if not_beyond:
        worst = max(not_beyond, key=lambda r: r["rate"])
        print(f"false-warning rate (fired, truly not beyond / such judgements): "
              f"{statistics.mean(r['rate'] for r in not_beyond):.5f}; worst single county "
              f"{worst['rate']:.4f} ({worst['rule']} {worst['county']}, truth {worst['truth']:.4f})")
    print("| rule | threshold | ≥20% beyond: n, recall | beyond <20%: n, detected | not beyond: n, "
          "false rate | median ±half-width | found 90% of the time from |")
    print("|---|---|---|---|---|---|---|")
    for rule in RULES:
        mine = [r for r in rows if r["rule"] == rule.id]
        groups = ([r for r in mine if r["clearly"]],
                  [r for r in mine if r["beyond"] and not r["clearly"]],
                  [r for r in mine if not r["beyond"]])
        cells = [f"{len(g)}, {statistics.mean(r['rate'] for r in g):.3f}" if g else "0, —"
                 for g in groups]
        width = statistics.median(result["widths"][rule.id] for result in results
                                  if rule.id in result["widths"])
        # recall 90% needs the estimate 1.28 sd beyond the interval's edge: T + (1.96 + 1.28) sd
        print(f"| {rule.id} | {rule.threshold:g} | {' | '.join(cells)} | ±{width:.4f} | "
              f"{rule.threshold + width * (1.96 + 1.28) / 1.96:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=12)
    parser.add_argument("--schools", type=int, default=40, help="schools per county")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--provinces", type=int, default=2, help="with planted problems")
    parser.add_argument("--per-city", type=int, default=4,
                        help="with --answers-only: also judge cities of this many counties "
                             "(0: counties only)")
    parser.add_argument("--answers-only", action="store_true",
                        help="only the three answers (警示/未见异常/数据不足以判断), on one "
                             "province with no planted problem")
    args = parser.parse_args()
    if args.answers_only:
        answers_report(args)
        return
    started = time.perf_counter()
    rng = random.Random(2025)
    print(f"default budget ρ = {RHO} per half-year; {args.counties} counties × {args.schools} "
          f"schools per province; {args.rounds} releases per province")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.provinces):
            plan, schools = province(args.counties, args.schools, 100 + n, args.counties // 2,
                                     args.counties, Path(tmp) / f"p{n}")
            noise = Noise(schools, [c.code for c in plan.counties])
            students = sum(s.students for s in plan.schools if not s.direct)
            print(f"province {n + 1}: {len(schools)} county schools, {students} students, "
                  f"planted counties {plan.county_problems}, {len(plan.school_problems)} "
                  f"planted schools")
            results.append(measure(noise, args.rounds, plan.county_problems))
        report("Provinces with planted problems", results)
        plan, schools = province(args.counties, args.schools, 999, 0, 0, Path(tmp) / "clean")
        clean = Noise(schools, [c.code for c in plan.counties])
        report("A province with no planted problem", [measure(clean, args.rounds, {})])
        print("\n## Counties exactly 20% beyond the threshold (the target's boundary)")
        for rule_id, recall in boundary(clean, args.rounds, rng).items():
            print(f"{rule_id}: recall {recall:.3f}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


def answers_report(args) -> None:
    """The three answers per rule, at county and at city level: recall among judged, share
    not judged, false warnings."""
    started = time.perf_counter()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        plan, schools = province(args.counties, args.schools, 999, 0, 0, Path(tmp) / "clean")
    noise = Noise(schools, [c.code for c in plan.counties])
    print(f"default budget ρ = {RHO} per half-year; {args.counties} counties × {args.schools} "
          f"schools; {args.rounds} rounds per county and rule; Gaussian noise of each region's "
          "declared variances; undecided half-years judged again on the year pooled")
    levels = [("county", 0)]
    if args.per_city:
        levels.append((f"city ({args.per_city} counties each)", args.per_city))
    for title, per_city in levels:
        print(f"\n### {title}")
        print("| rule | threshold | 20% beyond: judged, recall among judged | not judged | "
              "judged only when pooled | at the threshold: n, 警示 rate (95% upper bound) |")
        print("|---|---|---|---|---|---|")
        for rule_id, r in three_answers(noise, args.rounds, rng, per_city).items():
            rule = next(x for x in RULES if x.id == rule_id)
            n, p = r["at_n"], r["false"]
            upper = p + 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / n) if n else math.nan
            print(f"| {rule_id} | {rule.threshold:g} | {r['judged']}, {r['recall']:.3f} | "
                  f"{r['not_judged']:.3f} | {r['pooled']:.3f} | {n}, {p:.4f} ({upper:.4f}) |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
