"""An indicator's figures over periods, each with its confidence interval.

The Query service (guanai.v1.Query Figures, aggregator/grpc/query_servicer.py) and the bureaus'
trend charts (/trends) compute them here, the same way: one read of only the cells the
indicator needs for every region and period asked (aggregator/figures/holdings.py ``Span``),
then the estimate and its interval from the declared noise alone (aggregator/figures/estimates.py).
Figures are post-processing of released values: they spend no privacy budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from aggregator.figures import indicators
from aggregator.figures.estimates import Interval
from aggregator.figures.holdings import Span
from aggregator.figures.indicators import Indicator
from aggregator.warnings.rules import load_rules
from protos.catalogue import Catalogue, load
from protos.periods import Period

if TYPE_CHECKING:
    from aggregator.keys.own_identity import Settings
    from aggregator.store.sqlite import Store

MAX_PERIODS = 40


class Point(NamedTuple):
    """One region's (or school's) figure in one period. ``held``: some member's report is
    behind it; ``interval`` is None when not. (A named tuple: a trend by county makes a
    thousand of them per call.)"""

    unit: str
    period: str
    held: bool
    interval: Interval | None
    members: int
    missing: int
    schools: int


@dataclass(frozen=True)
class Trend:
    """An indicator of one region over the periods held, oldest first; ``catalogue`` is the
    one the indicator was read in (the latest period's), where its rows are found. Each
    point's figure is the unbiased estimate with its interval, not the official value."""

    indicator: Indicator
    region: str
    points: list[Point]
    catalogue: Catalogue


def points(span: Span, indicator: Indicator, units: Sequence[str],
           confidence: float = 0.95) -> list[Point]:
    """The indicator's figure for each unit (region code or school id) in each period of
    ``span``: unit by unit, and within a unit in the order of the span's periods."""
    cells = sorted({*indicator.numerator, *indicator.denominator})
    found = span.figures_of(units, cells)
    codes = [held.period.code for held in span.holdings]
    made = []
    for unit in units:
        for code, figures_of in zip(codes, found, strict=True):
            figures = figures_of[unit]
            is_held = figures is not None and figures.members > 0
            made.append(Point(
                unit, code, is_held,
                indicator.estimate(figures, confidence) if is_held else None,
                figures.members if figures else 0, figures.missing if figures else 0,
                figures.schools if figures else 0))
    return made


def half_years(store: Store) -> list[Period]:
    """The half-years whose figures are held here, oldest first (the latest ``MAX_PERIODS``)."""
    held = [Period.parse(code) for code in store.figure_periods()]
    return sorted((p for p in held if not p.annual), key=lambda p: (p.year, p.half))[-MAX_PERIODS:]


def trend(store: Store, settings: Settings, region: str, text: str, stage: str | None = None,
          confidence: float = 0.95) -> Trend:
    """``text`` (a cell id, pattern, family, expression or warning rule id, as
    ``guanai query`` reads it; restricted to ``stage`` when given) of ``region`` over every
    half-year held here. Raises ``IndicatorError``, ``CatalogueError`` or ``RulesError`` for an
    indicator that cannot be read; the region is the caller's to check."""
    periods = half_years(store)
    span = Span(store, settings, periods)
    catalogue = span.holdings[-1].catalogue if periods else load()
    indicator = indicators.parse(text, catalogue, load_rules())
    if stage:
        indicator = indicators.for_stage(indicator, catalogue, stage)
    return Trend(indicator, region, points(span, indicator, [region], confidence), catalogue)
