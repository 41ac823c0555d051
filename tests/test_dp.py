"""The DP release: declared noise matches the noise added; budget and accuracy arithmetic."""

from __future__ import annotations

import math
import statistics

import pytest

from privacy import dp
from privacy.budget import BudgetExceeded, BudgetPolicy
from protos.catalogue import load
from protos.periods import Period

CAT = load()


def test_scale_meets_rho_exactly_as_zcdp_defines_it():
    for sensitivity, rho in [(1.0, 0.5), (7.28, 0.35), (31764.8, 0.075)]:
        scale = dp.group_scale(sensitivity, rho)
        # ρ = Δ² / (2σ²) for the Gaussian mechanism; OpenDP's search lands within 1e-6.
        assert sensitivity**2 / (2 * scale**2) == pytest.approx(rho, rel=1e-6)


def test_empirical_noise_matches_the_declared_standard_deviation():
    """Over 2,000 releases of a zero table, each group's noise SD is within 10% of its scale.

    Samples per group: students ≥ 270,000, yuan ≥ 34,000, enrolment 16,000 (eight stages),
    events 4,000. The SD estimate's
    relative standard error is at most √(2/(4·4000)) ≈ 1.1%, so 10% is ≥ 8.9 standard errors
    away: a correct implementation fails far less than once in a million runs.
    """
    zeros = [0] * len(CAT.cells)
    samples: dict[str, list[float]] = {g: [] for g in CAT.groups}
    for _ in range(2000):
        release = dp.release(CAT, zeros, 0.5)
        for group in CAT.groups:
            samples[group].extend(release.values[c.index] for c in CAT.group_cells(group))
    plan = dp.noise_plan(CAT, 0.5)
    for group, values in samples.items():
        declared = plan[group].scale
        sd = math.sqrt(statistics.fmean(v * v for v in values))
        assert abs(sd / declared - 1) < 0.10, (group, sd, declared)
        # and it is centred: |mean| below 6 standard errors
        assert abs(statistics.fmean(values)) < 6 * declared / math.sqrt(len(values)), group


def test_release_declares_variance_and_leaves_public_and_closed_cells_exact():
    values = [7] * len(CAT.cells)
    primary = frozenset({"primary"})
    release = dp.release(CAT, values, 0.5, primary)
    for cell in CAT.cells:
        v, var = release.values[cell.index], release.noise_variance[cell.index]
        if cell.public:
            assert (v, var) == (7, 0.0)
        elif not cell.stages & primary:
            assert (v, var) == (0, 0.0)
        else:
            assert var == pytest.approx(release.noise[cell.group].scale ** 2)
    assert sum(n.rho for n in release.noise.values()) == pytest.approx(0.5)


def test_release_refuses_a_vector_of_the_wrong_length():
    with pytest.raises(dp.ReleaseError):
        dp.release(CAT, [0, 1, 2], 0.5)


def test_budget_refuses_past_the_cap_and_allows_up_to_it():
    policy = BudgetPolicy(rho_half_year=0.5, rho_annual=0.25, annual_cap=1.0)
    assert policy.check(Period.parse("2025-H2"), 0.5) == 0.5
    with pytest.raises(BudgetExceeded):
        policy.check(Period.parse("2025-H2"), 0.75)
    assert policy.check(Period.parse("2025"), 0.75) == 0.25


def test_epsilon_of_rho_follows_the_zcdp_conversion():
    # ε = ρ + 2√(ρ ln(1/δ)) is the classic bound; OpenDP's conversion is at least as tight.
    for rho in (0.1, 0.5, 2.0):
        eps = dp.epsilon_delta(rho, 1e-6)
        assert 0 < eps <= rho + 2 * math.sqrt(rho * math.log(1e6)) + 1e-9


def test_accuracy_of_a_sum_grows_with_the_square_root_of_members():
    one = dp.accuracy(10.0, 0.05, members=2)
    hundred = dp.accuracy(10.0, 0.05, members=200)
    assert hundred / one == pytest.approx(10, rel=1e-6)
    assert dp.accuracy(10.0, 0.05) == pytest.approx(1.96 * 10, rel=0.1)


def test_enrolment_is_noised_in_a_group_of_its_own_with_one_percent_of_rho():
    """docs/budget.md: a whole student moves enrolment by one (invariant 11), so it is a DP
    cell; its group's sensitivity is 1 (one stage per student) and σ = 1/√(2·0.005) = 10."""
    plan = dp.noise_plan(CAT, 0.5, frozenset({"primary"}))
    assert {c.family for c in CAT.group_cells("enrolment")} == {"pop.enrolled"}
    assert plan["enrolment"].sensitivity == 1.0
    assert plan["enrolment"].scale == pytest.approx(10.0, rel=1e-3)
    assert plan["monitored"].scale == pytest.approx(4.69, abs=0.01)
