"""Values bounded by the catalogue: no accepted table makes any arithmetic downstream overflow.

A property test (hypothesis) over the most extreme tables the contract accepts — every noisy
cell at ± (its per-student bound × MAX_STUDENTS + NOISE_TAILS × σ), σ anywhere up to
MAX_SCALE, public cells at their reach — summed over more schools than a province has, as
the rollup sum rule does: the rollup still serializes (sint64), passes the rollup checks, and
gives finite figures with finite intervals. And the boundary is where it is said to be: one
more is refused (issue 16 item 4).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.figures.estimates import ratio, total
from privacy.budget import BudgetPolicy
from protos.catalogue import load
from protos.refusals import Refused
from protos.regions import SCHOOL_TYPES, school_stages
from protos.report_pb2 import NoiseGroup, Report
from protos.rollup_sums import sum_reports
from protos.validation import MAX_SCALE, NOISE_TAILS, check_values, layout

CATALOGUE = load("v1")
# More than any county and province has (Shaanxi: 107 counties, some 13,000 schools and
# kindergartens): 120,000 schools at the province.
COUNTY_SCHOOLS, COUNTIES = 1_000, 120


def least_scale(group: str, stages: frozenset[str]) -> float:
    policy = BudgetPolicy()
    share = policy.rho_half_year * CATALOGUE.groups[group].share
    return CATALOGUE.sensitivity(group, stages) / math.sqrt(2 * share)


@st.composite
def extreme_tables(draw: st.DrawFn) -> Report:
    school_id = draw(st.sampled_from(sorted(SCHOOL_TYPES))) + "61010001"
    stages = frozenset(school_stages(school_id))
    shape = layout("v1", stages)
    values, variances = [0] * shape.size, [0.0] * shape.size
    noise = []
    for group, cells in shape.groups.items():
        scale = draw(st.sampled_from([least_scale(group, stages), MAX_SCALE]) | st.floats(
            least_scale(group, stages), MAX_SCALE))
        noise.append(NoiseGroup(group=group, mechanism="discrete_gaussian", scale=scale))
        for i in cells:
            edge = int(shape.reach[i] + NOISE_TAILS * scale)
            values[i] = draw(st.sampled_from([edge, -edge]) | st.integers(-edge, edge))
            variances[i] = scale * scale
    for i in shape.public:
        values[i] = draw(st.sampled_from([shape.reach[i], 0]))
    return Report(kind=Report.SCHOOL, sender_id=school_id, region_code="610102",
                  recipient_id="610102", period="2025-H1", catalogue_version="v1", revision=1,
                  values=values, noise_variance=variances, noise=noise,
                  stage_code=school_id[:2])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extreme_tables())
def test_no_accepted_table_overflows_a_province_rollup_or_its_figures(table):
    check_values(table)  # the contract accepts it
    county = rolled_up([table] * COUNTY_SCHOOLS, "610102", "610100")
    rollup = rolled_up([county] * COUNTIES, "610000", "610000")
    values, variances = list(rollup.values), list(rollup.noise_variance)
    names = {f"c{i}": v for i, v in enumerate(values)}
    spreads = {f"c{i}": v for i, v in enumerate(variances)}
    everything = {name: 1 for name in names}
    figure = total(everything, names, spreads)
    share = ratio({"c0": 1}, everything, names, spreads)
    for number in (figure.value, figure.low, figure.high, share.value):
        assert math.isfinite(number)


def rolled_up(members: list[Report], sender: str, recipient: str) -> Report:
    """The sum of ``members`` by the rollup sum rule, serialized and read back (sint64 must
    hold every sum), and passing the contract's checks of a rollup."""
    values, variances = sum_reports(members, len(members[0].values))
    rollup = Report(kind=Report.ROLLUP, sender_id=sender, region_code=sender,
                    recipient_id=recipient, period="2025-H1", catalogue_version="v1",
                    revision=1, values=values, noise_variance=variances)
    rollup = Report.FromString(rollup.SerializeToString())
    check_values(rollup)
    return rollup


def test_one_beyond_the_bound_is_refused():
    school_id = "2161010001"
    stages = frozenset(school_stages(school_id))
    shape = layout("v1", stages)
    group, cells = next(iter(shape.groups.items()))
    scale = least_scale(group, stages)
    variances = [0.0] * shape.size
    for g, gcells in shape.groups.items():
        for i in gcells:
            variances[i] = (scale if g == group else least_scale(g, stages)) ** 2
    noise = [NoiseGroup(group=g, mechanism="discrete_gaussian",
                        scale=scale if g == group else least_scale(g, stages))
             for g in shape.groups]
    edge = int(shape.reach[cells[0]] + NOISE_TAILS * scale)
    for value, accepted in ((edge, True), (edge + 1, False), (-edge - 1, False)):
        values = [0] * shape.size
        values[cells[0]] = value
        report = Report(kind=Report.SCHOOL, sender_id=school_id, region_code="610102",
                        recipient_id="610102", period="2025-H1", catalogue_version="v1",
                        revision=1, values=values, noise_variance=variances, noise=noise,
                        stage_code="21")
        if accepted:
            check_values(report)
        else:
            with pytest.raises(Refused, match="beyond"):
                check_values(report)
