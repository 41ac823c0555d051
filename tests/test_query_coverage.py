"""Over repeated releases, a query's 95% interval covers the true value about 95% of the time.

Twelve schools of three types are released again and again with OpenDP's discrete Gaussian at
the scale each school's release declares under the default budget; a county's figures are their
sums with the declared variances (as aggregator/figures/holdings.py sums them), and the intervals are
those the query service answers (aggregator/figures/indicators.py): a ratio whose numerator shares a
cell with its denominator (W03) and a total split by stage.
"""

from __future__ import annotations

from aggregator.figures.indicators import for_stage, parse
from aggregator.warnings.rules import Figures, load_rules
from privacy import dp
from privacy.budget import BudgetPolicy
from protos.catalogue import load
from protos.regions import school_stages

CAT = load()
RUNS = 2000
SCHOOLS = {  # school id → true (key.current, psy.talk_monthly, pop.in_difficulty.primary)
    **{f"21610100{n:02d}": (30 + n, 24 + n, 90 + 3 * n) for n in range(5)},
    **{f"31610100{n:02d}": (40 + n, 30, 0) for n in range(5, 9)},
    **{f"11610100{n:02d}": (8, 6, 0) for n in range(9, 12)},
}
CELLS = ("key.current", "psy.talk_monthly", "pop.in_difficulty.primary")


def test_query_intervals_cover_the_truth_about_95_percent_of_the_time():
    """The coverage estimate's standard error is √(0.95·0.05/2000) = 0.49%; ±3% is over six
    of them, so a correct implementation fails far less than once in a million runs."""
    w03 = parse("W03", CAT, load_rules())
    primary = for_stage(parse("pop.in_difficulty", CAT), CAT, "primary")
    truth = {c: sum(v[i] for v in SCHOOLS.values()) for i, c in enumerate(CELLS)}
    true_w03 = (truth["key.current"] - truth["psy.talk_monthly"]) / truth["key.current"]
    scales, variances = {}, dict.fromkeys(CAT.ids(), 0.0)
    for school_id in SCHOOLS:
        stages = frozenset(school_stages(school_id))
        scale = dp.noise_plan(CAT, BudgetPolicy().rho_half_year, stages)["monitored"].scale
        opened = [c for c in CELLS if CAT.cell(c).stages & stages]
        scales[school_id] = (scale, opened)
        for cell in opened:
            variances[cell] += scale**2
    covered = {"ratio": 0, "stage": 0}
    for _ in range(RUNS):
        values = dict.fromkeys(CAT.ids(), 0.0)
        for school_id, (scale, opened) in scales.items():
            true = dict(zip(CELLS, SCHOOLS[school_id], strict=True))
            for cell, noisy in zip(opened, dp.add_noise([true[c] for c in opened], scale),
                                   strict=True):
                values[cell] += noisy
        figures = Figures("610101", "county", values, variances, len(SCHOOLS), 0)
        covered["ratio"] += w03.estimate(figures).covers(true_w03)
        covered["stage"] += primary.estimate(figures).covers(truth["pop.in_difficulty.primary"])
    for name, count in covered.items():
        assert abs(count / RUNS - 0.95) < 0.03, (name, count / RUNS)
