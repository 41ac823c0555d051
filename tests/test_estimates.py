"""Intervals from declared noise: formulas, and coverage checked over real OpenDP releases."""

from __future__ import annotations

import math

import pytest

from aggregator.figures.estimates import ratio, total, z_value
from privacy import dp
from protos.catalogue import load

CAT = load()


def test_total_adds_variances_of_all_cells():
    interval = total({"a": 1, "b": 1}, {"a": 10, "b": 5}, {"a": 9.0, "b": 16.0})
    assert interval.value == 15
    assert interval.high - interval.value == pytest.approx(1.959964 * 5, rel=1e-6)


def test_ratio_without_noise_is_the_point_and_is_unbounded_for_a_noisy_zero():
    exact = ratio({"a": 1}, {"b": 1}, {"a": 2, "b": 8}, {"a": 0.0, "b": 0.0})
    assert (exact.low, exact.value, exact.high) == pytest.approx((0.25, 0.25, 0.25))
    unsure = ratio({"a": 1}, {"b": 1}, {"a": 2, "b": 3}, {"a": 1.0, "b": 100.0})
    assert math.isinf(unsure.low) and math.isinf(unsure.high)


def test_ratio_accounts_for_cells_shared_by_numerator_and_denominator():
    # (a − b)/a with b noiseless: the shared noise of a must not inflate the interval wrongly.
    values, variances = {"a": 1000, "b": 900}, {"a": 25.0, "b": 0.0}
    shared = ratio({"a": 1, "b": -1}, {"a": 1}, values, variances)
    # exact inversion: |(1 − r)·a − b| ≤ z·(1 − r)·σ  ⇔  r ∈ [1 − b/(a − zσ), 1 − b/(a + zσ)]
    low, high = 1 - 900 / (1000 - 1.959964 * 5), 1 - 900 / (1000 + 1.959964 * 5)
    assert (shared.low, shared.value, shared.high) == pytest.approx((low, 0.1, high), rel=1e-5)


def test_intervals_cover_the_truth_about_95_percent_of_the_time():
    """Over 4,000 rounds of 20 junior schools released with OpenDP at the scale a release of
    ρ = 0.5 declares, the 95% intervals of a county total and of a county ratio cover the truth
    95% ± 2.5% of the time. The coverage estimate's standard error is √(0.95·0.05/4000) = 0.34%,
    so ±2.5% is over 7 standard errors: a correct implementation fails far less than once in a
    million runs."""
    scale = dp.noise_plan(CAT, 0.5, frozenset({"junior"}))["students"].scale
    schools, expected, dropped = 20, 400, 12
    truth_total, truth_ratio = dropped * schools, dropped / expected
    runs, covered_total, covered_ratio = 4000, 0, 0
    for _ in range(runs):
        noisy = dp.add_noise([expected] * schools + [dropped] * schools, scale)
        values = {"expected": sum(noisy[:schools]), "dropped": sum(noisy[schools:])}
        variances = dict.fromkeys(values, schools * scale**2)
        covered_total += total({"dropped": 1}, values, variances).covers(truth_total)
        covered_ratio += ratio({"dropped": 1}, {"expected": 1}, values, variances).covers(
            truth_ratio)
    for covered in (covered_total, covered_ratio):
        assert abs(covered / runs - 0.95) < 0.025, covered / runs


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959964, rel=1e-6)
    with pytest.raises(ValueError):
        z_value(1.0)
