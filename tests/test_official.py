"""The official form (DESIGN §9): non-negative integers that add up, no farther from the truth.

Many provinces are drawn from the true tables of real synthetic schools (read by real nodes),
each school's table released with OpenDP's discrete Gaussian noise at the default budget, and
made official top down (aggregator/figures/official.py). Every official table must be made of
non-negative integers, keep the catalogue's rules, keep public cells exact and add up across
levels; and on average the official figures must lie no farther from the truth than the raw
estimates, for the province and for the counties.
"""

from __future__ import annotations

from random import Random

import numpy as np
import pytest

from aggregator.figures.official import OfficialError, official_tables, share
from aggregator.warnings.rules import Figures
from protos.catalogue import load
from protos.regions import PROVINCE
from tests.province_truth import release, schools

CATALOGUE = load()
IDS = CATALOGUE.ids()
ROUNDS = 12


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    return schools(tmp_path_factory.mktemp("province"), 6, 2, 11)


@pytest.fixture(scope="module")
def provinces(pool):
    rng = Random(12)
    drawn = []
    for _ in range(ROUNDS):
        province = release(pool, 2, 3, 4, rng)
        drawn.append((province, official_tables(CATALOGUE, province.figures, province.parts,
                                                PROVINCE)))
    return drawn


def test_every_official_table_is_non_negative_integers_that_keep_the_rules(provinces):
    negative_estimates = 0
    for province, official in provinces:
        reached = {PROVINCE, *(c for children in province.parts.values() for c in children)}
        assert set(official) == reached
        for region, table in official.items():
            assert set(table.values) == set(IDS)
            assert all(isinstance(v, int) and v >= 0 for v in table.values.values()), region
            for rule in CATALOGUE.rules:
                assert rule.holds(table.values), (region, rule.id)
            for cell in IDS:
                if province.figures[region].variances[cell] == 0:  # public or unreachable
                    assert table.values[cell] == province.truth[region][cell]
            negative_estimates += sum(v < 0 for v in province.figures[region].values.values())
    assert negative_estimates > 0  # the raw estimates did need post-processing


def test_official_tables_add_up_across_levels(provinces):
    for province, official in provinces:
        for parent, children in province.parts.items():
            for cell in IDS:
                assert official[parent].values[cell] == sum(
                    official[child].values[cell] for child in children), (parent, cell)


def _mean_errors(provinces, level: str) -> tuple[float, float]:
    raw, kept = [], []
    for province, official in provinces:
        for region, figures in province.figures.items():
            if figures.level != level:
                continue
            truth = np.array([province.truth[region][c] for c in IDS], float)
            raw.append(np.abs(np.array([figures.values[c] for c in IDS]) - truth))
            kept.append(np.abs(np.array([official[region].values[c] for c in IDS]) - truth))
    return float(np.mean(raw)), float(np.mean(kept))


def test_official_figures_are_no_farther_from_the_truth(provinces):
    raw, official = _mean_errors(provinces, "province")
    # A province's own noise dominates: the projection only moves cells that break a rule or
    # lie below zero (towards the truth), and rounding adds at most a unit.
    assert official <= raw + 0.5, (raw, official)
    raw, official = _mean_errors(provinces, "county")
    assert official < raw, (raw, official)  # clipping at zero and the rules help small regions


def test_projection_never_moves_the_top_away_from_the_truth(provinces):
    """The least-squares projection onto a convex set holding the truth is non-expansive in
    the weighted norm: for the top region this holds in every draw, not just on average."""
    for province, official in provinces:
        figures, truth = province.figures[PROVINCE], province.truth[PROVINCE]
        free = [c for c in IDS if figures.variances[c] > 0]

        def distance(values, free=free, figures=figures, truth=truth):
            return sum((values[c] - truth[c]) ** 2 / figures.variances[c] for c in free)

        assert distance(official[PROVINCE].projected) <= distance(figures.values) + 1e-6


def test_impossible_public_cells_are_refused():
    values = dict.fromkeys(IDS, 0.0)
    values["pop.in_difficulty.primary"] = 5.0
    variances = {c: 0.0 for c in IDS}  # all exact: 5 in difficulty among 0 enrolled
    figures = {"610102": Figures("610102", "county", values, variances, 1, 0)}
    with pytest.raises(OfficialError):
        official_tables(CATALOGUE, figures, {}, "610102")


def test_enrolment_is_an_estimate_the_rules_may_move():
    """Enrolment is a DP cell (docs/budget.md): noise can put it below the students in
    difficulty; the official form moves the noisier of the two to keep R01, not refuses."""
    values = dict.fromkeys(IDS, 0.0)
    variances = dict.fromkeys(IDS, 0.0)
    for cell, value, variance in (("pop.enrolled.primary", 40.0, 400.0),
                                  ("pop.in_difficulty.primary", 60.0, 4.0)):
        values[cell], variances[cell] = value, variance
    figures = {"610102": Figures("610102", "county", values, variances, 1, 0)}
    table = official_tables(CATALOGUE, figures, {}, "610102")["610102"].values
    assert table["pop.enrolled.primary"] >= table["pop.in_difficulty.primary"] >= 58
    assert table["pop.enrolled.primary"] > 40  # enrolment moved: it is the noisier estimate


def test_shares_stay_between_zero_and_one():
    assert share(3, 4) == 0.75
    assert share(5, 4) == 1.0
    assert share(0, 4) == 0.0
    assert share(1, 0) is None
