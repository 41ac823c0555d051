"""Three answers for every rule and region (警示 / 未见异常 / 数据不足以判断), with OpenDP noise.

Each answer is checked where it must be given, and statistically: for a county exactly at the
threshold, noise alone must say 警示 at most (1 − confidence)/2 of the time and 未见异常 at
most as often; for a county 20% beyond, among the answers that judge (警示 or 未见异常),
nearly all must be 警示.
"""

from __future__ import annotations

import math

from aggregator.warnings.rules import Figures, load_rules
from aggregator.warnings.verdicts import (
    CITY,
    HERE,
    POOLED,
    answer,
    judged_where_possible,
    pool,
    shown,
)
from privacy import dp
from protos.catalogue import load

CAT = load()
RULES = {r.id: r for r in load_rules().rules}
W03, W06 = RULES["W03"], RULES["W06"]


def _county(values: dict[str, float], variance: float, region: str = "610102") -> Figures:
    full = {c.id: 0.0 for c in CAT.cells} | values
    return Figures(region, "county", full, dict.fromkeys(full, variance), 10, 0)


def test_each_of_the_three_answers():
    warned = answer(W03, _county({"key.current": 1000, "psy.talk_monthly": 500}, 25.0))
    assert warned.answer == "warning" and warned.label.zh == "警示"
    fine = answer(W03, _county({"key.current": 1000, "psy.talk_monthly": 990}, 16.0))
    assert fine.answer == "clear" and fine.label.zh == "未见异常" and fine.interval.high < 0.10
    unsure = answer(W03, _county({"key.current": 100, "psy.talk_monthly": 88}, 25.0))
    assert unsure.answer == "undecided" and unsure.label.zh == "数据不足以判断"
    assert unsure.interval.low < 0.10 < unsure.interval.high
    assert "跨越阈值10.0%" in unsure.settle.zh and "倍的数据" in unsure.settle.zh
    # below the threshold, but too wide to have found a county 20% beyond: cannot tell
    wide = answer(W03, _county({"key.current": 1000, "psy.talk_monthly": 990}, 25.0))
    assert wide.interval.high < 0.10 and wide.answer == "undecided"
    assert "过宽" in wide.settle.zh
    assert unsure.basis == HERE


def test_a_too_wide_county_is_judged_over_the_year_and_told_its_citys_answer():
    # few disabled children: a county's half-year cannot tell 30% without placement from 10%
    half = _county({"pop.disabled": 100, "acad.placement.regular_class": 70}, 49.0)
    assert answer(W06, half).answer == "undecided"
    pooled = judged_where_possible(W06, half, other_half=half)  # the same again in H2
    assert pooled.answer == "warning" and pooled.basis == POOLED
    assert pooled.interval.low > 0.10
    city = _county({"pop.disabled": 800, "acad.placement.regular_class": 560}, 49.0, "610100")
    city = Figures("610100", "city", city.values, city.variances, 10, 0)
    assert answer(W06, city, CITY).answer == "warning"
    # the city's figures are mostly its other counties': they tell about the city, and the
    # county hears of them, but they neither warn nor clear the county
    judged = judged_where_possible(W06, half, city=city)
    assert judged.answer == "undecided" and judged.basis == HERE and judged.region == "610102"
    assert "市级 610100：警示 30.0%" in judged.settle.zh and "at city level 610100: warning" \
        in judged.settle.en
    assert judged_where_possible(W06, half, other_half=half, city=city) == pooled
    both = pool([half, half], "610102", "county")
    assert both.values["pop.disabled"] == 200 and both.variances["pop.disabled"] == 98.0


def _answers(truth_talked: int, key: int, scale: float, rounds: int) -> dict[str, int]:
    counts = {"warning": 0, "clear": 0, "undecided": 0}
    keys = dp.add_noise([key] * rounds, scale)
    talked = dp.add_noise([truth_talked] * rounds, scale)
    for k, t in zip(keys, talked, strict=True):
        counts[answer(W03, _county({"key.current": k, "psy.talk_monthly": t},
                                   scale**2)).answer] += 1
    return counts


def test_at_the_threshold_noise_rarely_judges_either_way():
    rounds = 4000
    counts = _answers(900, 1000, 10.0, rounds)  # exactly 10% without a monthly talk
    # each wrong answer has probability ≤ 0.025: P(count > 0.025·n + 6.5·sd) < 1e-9
    bound = 0.025 * rounds + 6.5 * math.sqrt(rounds * 0.025 * 0.975)
    assert counts["warning"] <= bound and counts["clear"] <= bound
    assert counts["undecided"] >= rounds - 2 * bound


def test_twenty_percent_beyond_is_warned_whenever_it_is_judged():
    rounds = 4000
    counts = _answers(880, 1000, 10.0, rounds)  # 12%: 20% beyond a threshold of 10%
    judged = counts["warning"] + counts["clear"]
    assert judged > 500  # at this noise many rounds do judge
    # 未见异常 needs the interval wholly below 10% when the truth is 12%: P < 0.001 per round
    assert counts["clear"] <= 0.001 * rounds + 6.5 * math.sqrt(rounds * 0.001) + 1
    assert counts["warning"] / judged >= 0.95


def test_a_share_is_shown_within_0_and_100_percent_and_a_total_never_below_0():
    # The estimate may pass either bound (it is unbiased); what a person reads may not.
    rules = {r.id: r for r in load_rules().rules}
    ratio = next(r for r in rules.values() if r.kind == "ratio")
    assert [shown(ratio, x) for x in (1.032, -0.013, 0.105, math.inf)] == [
        "100.0%", "0.0%", "10.5%", "100.0%"]
