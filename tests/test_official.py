"""The official form (DESIGN §9): non-negative integers that add up, no farther from the truth.

Many provinces are drawn from the true tables of real synthetic schools (read by real nodes),
each school's table released with OpenDP's discrete Gaussian noise at the default budget, and
made official top down (aggregator/figures/official.py). Every official table must be made of
non-negative integers, keep the catalogue's rules, keep public cells exact and add up across
levels; and on average the official figures must lie no farther from the truth than the raw
estimates, for the province and for the counties.
"""

from __future__ import annotations

import math
from random import Random

import numpy as np
import pytest

from aggregator.figures.official import OfficialError, official_tables, share
from aggregator.figures.statistics import (
    OUTSIDE_MARK,
    RegionTable,
    official_sheets,
    outside,
    pooled,
    shown_interval,
)
from aggregator.warnings.rules import Figures
from privacy import dp
from protos.catalogue import load
from protos.regions import PROVINCE
from tests.province_truth import Province, release, schools

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


# --- a province that publishes its own figure (secure aggregation, DESIGN §8) -----------------
# Its figure is no longer the sum of its members' but its schools' true sum with one fresh draw
# of noise, far less than the sum of every member's; the regions below it (cities summed from
# their counties' figures, a direct school at its own ρ) keep their own, noisier estimates.
# Its official table is made from that figure, and the regions below must add up to it.

PUBLISHED_SHRINK = 9  # the published figure's variance: the members' summed variance ÷ 9


def _published(province, shrink: float = PUBLISHED_SHRINK):
    figures = dict(province.figures)
    summed, truth = figures[PROVINCE], province.truth[PROVINCE]
    values, variances = {}, {}
    for cell in IDS:
        variance = summed.variances[cell] / shrink
        values[cell] = float(dp.add_noise([truth[cell]], math.sqrt(variance))[0]
                             if variance > 0 else truth[cell])
        variances[cell] = variance
    figures[PROVINCE] = Figures(PROVINCE, "province", values, variances, summed.members, 0,
                                summed.schools)
    return Province(province.truth, figures, province.parts)


@pytest.fixture(scope="module")
def published(pool):
    rng = Random(14)
    drawn = []
    for _ in range(4):
        province = _published(release(pool, 2, 3, 4, rng))
        drawn.append((province, official_tables(CATALOGUE, province.figures, province.parts,
                                                PROVINCE)))
    return drawn


def test_a_published_parent_moves_no_exact_cell_below_it(published):
    """Issue 14: a cell shown with the interval 0–0 must never get 44. A cell of variance 0
    (public, or no school of the region can reach it) keeps its exact value at every level,
    however far the parent's published figure pulls the others."""
    for province, official in published:
        for region, table in official.items():
            for cell in IDS:
                if province.figures[region].variances[cell] == 0:
                    assert table.values[cell] == province.truth[region][cell], (region, cell)
            for parent, children in province.parts.items():
                for cell in IDS:
                    assert official[parent].values[cell] == sum(
                        official[c].values[cell] for c in children)


def test_official_values_leave_their_own_interval_only_where_marked_and_are_closer(published):
    """Issue 14's cause: below a parent that published its own (more precise) figure, a
    region's official value follows the parent's official table, so it can lie outside the
    interval of the region's own estimate shown beside it — legitimately, closer to the truth
    on average. Such cells are marked (※) in the official form; 0–0 shown for an interval
    wholly below zero is one of them when the official value is not 0."""
    left, raw, kept = 0, [], []
    for province, official in published:
        for region, table in official.items():
            shown = RegionTable(region, province.figures[region], table, CATALOGUE)
            sheet = official_sheets(shown, "2026上半年", "2026 H1")[0].data
            marks = dict(zip(IDS, sheet["注 Note"], strict=True))
            for cell in IDS:
                low, high = shown_interval(province.figures[region], cell, 0.95)
                out = not low <= table.values[cell] <= high
                assert outside(shown, cell) == out and (marks[cell] == OUTSIDE_MARK) == out
                assert not out or province.figures[region].variances[cell] > 0
                left += out and region != PROVINCE
            if province.figures[region].level == "city":
                truth = province.truth[region]
                raw += [abs(province.figures[region].values[c] - truth[c]) for c in IDS]
                kept += [abs(table.values[c] - truth[c]) for c in IDS]
    assert left > 0  # the user's finding, reproduced
    assert np.mean(kept) < np.mean(raw), (np.mean(raw), np.mean(kept))


def test_a_published_top_is_made_from_its_own_figure_and_its_parts_together(pool):
    """Issue 14's second cause: a province's published figure can be less precise than the sum
    of its parts (one draw at the province's sensitivity against its counties' draws), so
    holding the cities to it alone moves them out of their own intervals and away from the
    truth. Pooled with its parts' sum (inverse-variance weights), the top's official table is
    closer to the truth than one made from its own figure alone; exact cells stay exact."""
    rng = Random(15)
    alone, both = [], []
    for _ in range(4):
        province = _published(release(pool, 2, 3, 4, rng), shrink=1)
        own = province.figures[PROVINCE]
        mixed = pooled(own, [province.figures[u] for u in province.parts[PROVINCE]])
        truth = province.truth[PROVINCE]
        for cell in IDS:
            if own.variances[cell] == 0:
                assert mixed.values[cell] == own.values[cell] and mixed.variances[cell] == 0
            else:
                assert 0 < mixed.variances[cell] < own.variances[cell]
        for figures, errors in ((province.figures, alone),
                                ({**province.figures, PROVINCE: mixed}, both)):
            table = official_tables(CATALOGUE, figures, province.parts, PROVINCE)[PROVINCE]
            errors += [abs(table.values[c] - truth[c]) / math.sqrt(own.variances[c])
                       for c in IDS if own.variances[c] > 0]
    # in σ of the province's own noise, over 468 cells: ~0.67 alone, ~0.48 pooled (half the
    # variance); each mean's standard error ~0.03, so the gap is over 5 of them
    assert np.mean(both) < np.mean(alone), (np.mean(alone), np.mean(both))
