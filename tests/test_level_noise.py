"""The noise of a published level (issue 15, DESIGN §8): drawn by OpenDP for the level's ρ and
the catalogue's sensitivity, of the declared σ, and the bounds that tell an honest party's noise
from one that added less (or more) than it declared.

Real OpenDP noise, never seeded: each statistical assertion is sized so that a correct
implementation fails it far less than once in 10^6 (the margins are stated beside each).
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from privacy import dp
from privacy.budget import BudgetPolicy
from protos.catalogue import load

CATALOGUE = load("v1")
COUNTY = BudgetPolicy().rho_level("county")


def test_a_level_noise_vector_has_the_declared_sigma_in_every_noised_cell_and_none_elsewhere():
    plan = dp.noise_plan(CATALOGUE, COUNTY, None)
    students = [c.index for c in CATALOGUE.group_cells("students")]
    scale = plan["students"].scale
    draws = [dp.noise_vector(CATALOGUE, plan) for _ in range(200)]
    for draw in draws:  # public cells stay exact
        assert all(draw[c.index] == 0 for c in CATALOGUE.cells if not c.group)
    samples = [draw[i] for draw in draws for i in students]
    n = len(samples)  # 22,400
    ratio = sum(z * z for z in samples) / n / scale**2
    # Var(Z²)/σ⁴ = 2 for a Gaussian: the ratio's sd is √(2/n) ≈ 0.0094; ±0.06 is 6.3 sd,
    # exceeded with probability < 10^-9 (the discrete Gaussian's variance is σ² to 1e-300 here).
    assert abs(ratio - 1) < 0.06, ratio
    mean = sum(samples) / n
    assert abs(mean) < 6 * scale / math.sqrt(n), mean  # 6 sd: < 2·10^-9
    assert dp.variances(CATALOGUE, plan)[students[0]] == pytest.approx(scale**2)


def test_the_county_figure_meets_its_target_at_the_default_policy():
    """The level's σ is OpenDP's for ρ_county × the group's share and the largest sensitivity
    of any school type; the published figure carries two parties' noise: ±20 or better."""
    plan = dp.noise_plan(CATALOGUE, COUNTY, None)
    monitored = plan["monitored"]
    assert monitored.sensitivity == pytest.approx(max(
        CATALOGUE.sensitivity("monitored", frozenset([stage])) for stage in
        (v.id for v in CATALOGUE.stages.values)))
    assert dp.accuracy(monitored.scale, 0.05, 2) <= 20
    province = dp.noise_plan(CATALOGUE, BudgetPolicy().rho_level("province"), None)
    assert dp.accuracy(province["monitored"].scale, 0.05, 2) <= 40


def test_honest_noise_is_plausible_and_none_or_a_tenth_or_a_far_value_is_not():
    plan = dp.noise_plan(CATALOGUE, COUNTY, None)
    cells = [c.index for c in CATALOGUE.group_cells("monitored")]
    scale = plan["monitored"].scale
    for _ in range(100):  # each fails with probability < 2·10^-9: all 100 with < 2·10^-7
        draw = dp.noise_vector(CATALOGUE, plan)
        dp.check_plausible([draw[i] for i in cells], scale, "leader, county 610102, monitored")
    with pytest.raises(dp.ImplausibleNoise, match="噪声过小 implausible noise"):
        dp.check_plausible([0] * len(cells), scale, "helper")
    tenth = dp.add_noise([0] * len(cells), scale / 10)
    # Σ z² of σ/10 noise over 25 cells is ~0.25σ², the bound ~1.9σ²: P[χ²₂₅ > 189] < 10^-25.
    with pytest.raises(dp.ImplausibleNoise, match="less noise than it declared"):
        dp.check_plausible(tenth, scale, "helper")
    far = dp.add_noise([0] * len(cells), scale)
    far[3] = int(8 * scale)
    with pytest.raises(dp.ImplausibleNoise, match="噪声过大"):
        dp.check_plausible(far, scale, "leader")


@pytest.mark.parametrize("scale,cells", [(40.0, 25), (300.0, 112), (15000.0, 17)])
def test_the_low_bound_matches_the_chi_square_where_the_discrete_gaussian_is_continuous(
        scale, cells):
    """For σ ≫ 1 the discrete Gaussian's Σ Z²/σ² is χ² with ``cells`` degrees of freedom: the
    Chernoff bound must lie below the χ² quantile of 10^-9 (it is a bound) and not far below."""
    bound = dp.least_plausible_energy(scale, cells) / scale**2
    quantile = stats.chi2.ppf(dp.IMPLAUSIBLE, cells)
    assert 0.2 * quantile < bound <= quantile
    top = dp.largest_plausible(scale, cells) / scale
    assert cells * 2 * stats.norm.sf(top) < dp.IMPLAUSIBLE
