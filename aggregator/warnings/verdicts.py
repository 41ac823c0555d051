"""Three answers for every rule and region: 警示, 未见异常, or 数据不足以判断 — and what would tell.

A warning rule used to say only "fires" or nothing, so silence meant both "this county is
fine" and "this county's figures are too noisy to say". Officials need to know which:

- 警示 warning: the whole interval lies beyond the threshold and the one-sided test at the
  threshold agrees (aggregator/warnings/rules.py ``judge``, unchanged);
- 未见异常 no sign of a problem: the whole interval lies on the good side of the threshold;
- 数据不足以判断 not enough data to tell: the interval straddles the threshold. The answer
  states the interval and how much more data would settle it: the same figures pooled over
  the year's two half-years (variances and counts add), or the city's figures.

A rule whose county intervals are too wide (W04 postings, W06 placement) is judged where it
can be: when a county's half-year cannot tell, the year pooled is tried; when that cannot tell
either, the county's answer stays 数据不足以判断 and says what its city's figures answer. The
city's answer is the city's own (it is judged and delivered as a region of its own): a
county is never warned, nor cleared, on figures that are mostly its neighbours', which would
warn a county doing its work for the county beside it and void the rule's error rate for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from statistics import NormalDist

from aggregator.figures.estimates import Interval, combine, z_value
from aggregator.figures.holdings import Holdings
from aggregator.figures.nesting import text
from aggregator.warnings.rules import Figures, WarningRule, judge
from protos.catalogue import Label

ANSWERS = {
    "warning": Label("警示", "warning"),
    "clear": Label("未见异常", "no sign of a problem"),
    "undecided": Label("数据不足以判断", "not enough data to tell"),
}
HERE = Label("本期本级", "this period, this region")
POOLED = Label("全年两期合并", "pooled over the year's two half-years")
CITY = Label("市级", "at city level")


@dataclass(frozen=True)
class Verdict:
    rule: WarningRule
    region: str  # the region asked about
    answer: str  # warning | clear | undecided
    interval: Interval
    basis: Label  # where it was judged: this half-year, the year pooled, or (a city) here
    settle: Label  # what would settle an undecided answer ("" otherwise)

    @property
    def label(self) -> Label:
        return ANSWERS[self.answer]


def shown(rule: WarningRule, x: float) -> str:
    """A figure of the rule as people read it (aggregator/figures/nesting.py ``text``): a
    share in percent within 0–100%, a ratio the catalogue does not nest as a plain number, a
    total in whole units. The judgement itself uses the unclipped estimate (clipping is for
    display only, invariant 4, docs/architecture.md)."""
    return text(x, rule.shown_kind, rule.bounds)


def _settle(rule: WarningRule, interval: Interval, factor: float) -> Label:
    """What would settle an undecided answer: the interval, and how many times the data."""
    span = f"[{shown(rule, interval.low)}, {shown(rule, interval.high)}]"
    threshold = shown(rule, rule.threshold)
    if not math.isfinite(interval.high - interval.low) or math.isnan(interval.value):
        return Label(f"区间{span}，分母与噪声难以区分：需在市级或合并全年判断",
                     f"interval {span}: the denominator cannot be told from noise; judge at "
                     "city level or over the year")
    straddles = interval.low <= rule.threshold <= interval.high
    where = (f"区间{span}跨越阈值{threshold}" if straddles else
             f"区间{span}未跨越阈值{threshold}，但过宽，不足以发现超出阈值20%的地区")
    where_en = (f"interval {span} straddles {threshold}" if straddles else
                f"interval {span} is on one side of {threshold} but too wide to find a region "
                "20% beyond it")
    more = f"约{factor:.1f}倍" if math.isfinite(factor) else "远多于现有"
    more_en = f"about {factor:.1f} times" if math.isfinite(factor) else "far more than"
    return Label(f"{where}；需{more}的数据才能判断（合并上下半年约为2倍，市级约为所辖县数倍）",
                 f"{where_en}; {more_en} the data would settle it (the year's two halves "
                 "pooled: about 2 times; the city: about its number of counties times)")


MARGIN = 0.2  # a region this far beyond the threshold must be found …
POWER = 0.9  # … this often, for a region to be judged on its figures


def data_needed(rule: WarningRule, figures: Figures) -> float:
    """How many times these figures' data a region needs for its figures to tell: that a
    region ``MARGIN`` beyond the threshold be warned at least ``POWER`` of the time (1 or
    less: they can). From the declared variances and the denominator's size only, not from
    where the estimate fell, so choosing where to judge is no test of its own."""
    if rule.kind == "missing":
        return 0.0
    cells = set(rule.numerator) | set(rule.denominator)
    if rule.kind == "ratio":
        at = {c: rule.numerator.get(c, 0.0) - rule.threshold * rule.denominator.get(c, 0.0)
              for c in cells}
        denominator, _ = combine(rule.denominator, figures.values, figures.variances)
        margin = MARGIN * rule.threshold * max(denominator, 0.0)
    else:
        at = dict(rule.numerator)
        margin = MARGIN * abs(rule.threshold)
    _, variance = combine(at, figures.values, figures.variances)
    need = z_value(rule.confidence) + NormalDist().inv_cdf(POWER)
    if margin <= 0:
        return math.inf
    # counts grow with the data and the noise's sd with its square root
    return (need * math.sqrt(variance) / margin) ** 2


def powered(rule: WarningRule, figures: Figures) -> bool:
    """Whether these figures can tell (``data_needed`` at most 1)."""
    return data_needed(rule, figures) <= 1.0


def answer(rule: WarningRule, figures: Figures, basis: Label = HERE,
           asked: str | None = None) -> Verdict | None:
    """The rule's three-way answer on one region's figures, or None if it does not apply.

    未见异常 needs the interval on the good side *and* figures that could have told
    (``powered``): an interval below the threshold that is too wide to have caught a region
    20% beyond says nothing, and is 数据不足以判断."""
    finding = judge(rule, figures)
    if finding is None:
        return None
    interval = finding.interval
    good = interval.below if rule.direction == "above" else interval.above
    if finding.fires:
        result = "warning"
    elif rule.kind == "missing":  # a count of members, without noise: none missing is clear
        result = "clear"
    elif (not math.isnan(interval.value) and good(rule.threshold)
          and powered(rule, figures)):
        result = "clear"
    else:
        result = "undecided"
    return Verdict(rule, asked or figures.region, result, interval, basis,
                   _settle(rule, interval, data_needed(rule, figures)) if result == "undecided"
                   else Label("", ""))


def pool(parts: Iterable[Figures], region: str, level: str) -> Figures:
    """Figures of several independent releases together: values add, variances add."""
    parts = list(parts)
    cells = parts[0].values
    return Figures(region, level,
                   {c: sum(p.values[c] for p in parts) for c in cells},
                   {c: sum(p.variances[c] for p in parts) for c in cells},
                   sum(p.members for p in parts), sum(p.missing for p in parts),
                   sum(p.schools for p in parts))


def judged_where_possible(rule: WarningRule, figures: Figures, *,
                          other_half: Figures | None = None,
                          city: Figures | None = None) -> Verdict | None:
    """The answer for a region, judged on the first of its half-year and the year pooled (when
    the other half-year's figures are given) whose figures can tell (``powered``), or on the
    one with the most data if neither can: one test per region and rule, chosen before
    looking at where the estimates fell. A county still undecided is told its city's answer
    (when ``city`` is given), which decides nothing for the county itself."""
    if judge(rule, figures) is None:
        return None
    bases = [(figures, HERE)]
    if other_half is not None and other_half.members:
        bases.append((pool([figures, other_half], figures.region, figures.level), POOLED))
    chosen = next(((f, b) for f, b in bases if powered(rule, f)), bases[-1])
    verdict = answer(rule, chosen[0], chosen[1], figures.region)
    above = answer(rule, city, CITY) if city is not None and city.members else None
    if verdict.answer != "undecided" or above is None:
        return verdict
    said = (f"{shown(rule, above.interval.value)} [{shown(rule, above.interval.low)}, "
            f"{shown(rule, above.interval.high)}]")
    return replace(verdict, settle=Label(
        f"{verdict.settle.zh}。{CITY.zh} {city.region}：{above.label.zh} {said}",
        f"{verdict.settle.en}. {CITY.en} {city.region}: {above.label.en} {said}"))


def period_answers(rules: Iterable[WarningRule], holdings: Holdings,
                   other_half: Holdings | None = None) -> list[Verdict]:
    """Every rule's answer for every region of its levels held here (missing-member rules
    aside: they count, they do not estimate), judged where possible: an undecided county
    or city is tried over the year (with ``other_half``'s figures); a county still undecided
    is told its city's answer."""
    found = []
    for rule in rules:
        if rule.kind == "missing":
            continue
        for unit in sorted({u for lv in rule.levels
                            for u in holdings.units(lv, holdings.region)}):
            figures = holdings.figures(unit)
            if figures is None:
                continue
            other = other_half.figures(unit) if other_half is not None else None
            city = None
            if figures.level == "county":
                city = holdings.figures(unit[:4] + "00")
            verdict = judged_where_possible(rule, figures, other_half=other, city=city)
            if verdict is not None:
                found.append(verdict)
    return found
