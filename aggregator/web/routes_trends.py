"""趋势 An indicator of one region over the half-years held, with its 95% intervals.

``/trends?region=R&indicator=I&stage=S``: the figures are those of the Query service
(aggregator/figures/trends.py); the chart is drawn in the browser by the vendored ECharts
(static/vendor/echarts, static/trends.js): a line with its interval as a band and the value
written at each point, and the same figures in a table beneath. Staff find the indicator by
searching in Chinese (``q=辍学``): the catalogue's cells (the same search as ``guanai query
--list``) and the warning rules whose title holds every word.

What is drawn is the unbiased estimate and its 95% interval, not the official (signed) value,
and the page says so beside the chart, in the series' names and in the tooltip (``READING``),
with a link to the indicator's rows in the statistics table of the same region and period,
where the official values are. The estimate and its interval are drawn as they are, below 0
(or a share above 100%) too, never clipped: clipped, a small count whose estimate fell to −3
would be drawn as a certain 0, the point would no longer be the unbiased estimate the label
names nor the analysis form's figure, and an average over periods would be biased. A zero line
and a note (``BEYOND``, shown only when something lies beyond what the true figure can be) tell
the official that this part is noise around a small true figure and where the non-negative
official values are.
"""

from __future__ import annotations

import math

from flask import Blueprint, render_template, request

from aggregator.figures.indicators import Indicator, IndicatorError, find
from aggregator.figures.nesting import Range
from aggregator.figures.trends import Point, trend
from aggregator.warnings.rules import RulesError, load_rules
from aggregator.web.access import BadInput, allowed, scoped_region
from aggregator.web.bureau import bureau
from protos.catalogue import Catalogue, CatalogueError, Label, load
from protos.regions import name

blueprint = Blueprint("trends", __name__)
MAX_FOUND = 40
MAX_TEXT = 200
READING = Label("估计值（无偏，可为负）及其95%置信区间；正式值见统计表",
                "Estimate (unbiased, may be negative) with its 95% interval; the signed "
                "official values are in the statistics table")
SERIES = {"estimate": Label("估计值（无偏，可为负）", "Estimate (unbiased, may be negative)"),
          "interval": Label("95%置信区间", "95% interval")}
BEYOND = Label("图中低于0（比例高于100%）的部分只是噪声：真实值不会为负，较小的真实值加上噪声后，"
               "估计值和区间可以低于0。统计表的正式值非负，且上下级相加一致。",
               "What lies below 0 (or a share above 100%) is noise alone: the true figure never "
               "does, but the estimate of a small one and its interval can. The official values "
               "in the statistics table are non-negative and add up across levels.")


def _shown(x: float, kind: str) -> float | None:
    """A figure as drawn, never clipped (see the module's docstring): a share in percent to
    0.1, another ratio to 0.001, a total in whole units; None where it is unbounded."""
    if not math.isfinite(x):
        return None
    if kind == "share":
        return round(100 * x, 1)
    return round(x, 3) if kind == "ratio" else round(x)


def _beyond(points: list[Point], kind: str, bounds: Range) -> bool:
    """Whether a held estimate or interval end lies where the true figure cannot: below the
    catalogue's lower bound (0 for a count), or a share above 1 (the ``BEYOND`` note)."""
    top = 1.0 if kind == "share" else math.inf
    drawn = [x for p in points if p.held
             for x in (p.interval.value, p.interval.low, p.interval.high) if math.isfinite(x)]
    return any(x < bounds.low or x > top for x in drawn)


def _rows(indicator: Indicator, catalogue: Catalogue) -> str:
    """The cell id of the indicator's first row in the statistics table (catalogue order),
    the anchor its links open at."""
    return min((*indicator.numerator, *indicator.denominator),
               key=lambda c: catalogue.cell(c).index)


def _search(words: list[str]) -> tuple[list, list]:
    """Cells and warning rules whose labels hold every word (case-insensitive)."""
    catalogue = load()
    cells = find(catalogue, words)[:MAX_FOUND]
    wanted = [w.casefold() for w in words]
    rules = [r for r in load_rules().rules if r.kind != "missing"
             and all(w in f"{r.id} {r.label.zh} {r.label.en}".casefold() for w in wanted)]
    return cells, rules


@blueprint.get("/trends")
@allowed()
def chart() -> str:
    """The search box, and the chart of the indicator asked for (if any)."""
    here = bureau()
    region = scoped_region(request.args.get("region"))
    text = request.args.get("indicator", "").strip()[:MAX_TEXT]
    stage = request.args.get("stage", "").strip()
    query = request.args.get("q", "").strip()[:MAX_TEXT]
    stages = load().stages.values
    if stage and stage not in {s.id for s in stages}:
        raise BadInput(f"学段不对：{stage[:20]!r}。 Unknown stage.")
    # before any search, the warning rules' indicators are offered
    cells, rules = _search(query.split()) if query else ([], _search([])[1])
    made = None
    if text:
        try:
            made = trend(here.store, here.settings, region, text, stage or None)
        except (IndicatorError, CatalogueError, RulesError) as exc:
            raise BadInput(f"指标不对：{exc} The indicator cannot be read; search for it "
                           "by its Chinese name.") from None
    series = beyond = anchor = None
    if made is not None:
        kind = made.indicator.kind
        points = made.points
        series = dict(
            periods=[p.period for p in points],
            value=[_shown(p.interval.value, kind) if p.held else None for p in points],
            low=[_shown(p.interval.low, kind) if p.held else None for p in points],
            high=[_shown(p.interval.high, kind) if p.held else None for p in points],
            unit="%" if kind == "share" else made.indicator.unit.both(),
            title=made.indicator.label.zh, region=f"{name(region)} {region}",
            names={k: label.both() for k, label in SERIES.items()},
            reading=f"{READING.zh} · {READING.en}")
        beyond = _beyond(points, kind, made.indicator.bounds)
        anchor = _rows(made.indicator, made.catalogue)
    held = [p.period for p in made.points if p.held] if made else []
    return render_template("trends.html", region=region, text=text, stage=stage, query=query,
                           stages=stages, cells=cells, rules=rules, made=made, series=series,
                           region_name=name(region), reading=READING, beyond=beyond and BEYOND,
                           anchor=anchor, latest=held[-1] if held else None)
