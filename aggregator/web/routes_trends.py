"""趋势 An indicator of one region over the half-years held, with its 95% intervals.

``/trends?region=R&indicator=I&stage=S``: the figures are those of the Query service
(aggregator/figures/trends.py); the chart is drawn in the browser by the vendored ECharts
(static/vendor/echarts, static/trends.js): a line with its interval as a band and the value
written at each point, and the same figures in a table beneath. Staff find the indicator by
searching in Chinese (``q=辍学``): the catalogue's cells (the same search as ``guanai query
--list``) and the warning rules whose title holds every word.
"""

from __future__ import annotations

import math

from flask import Blueprint, render_template, request

from aggregator.figures.indicators import IndicatorError, find
from aggregator.figures.trends import trend
from aggregator.warnings.rules import RulesError, load_rules
from aggregator.web.access import BadInput, allowed, scoped_region
from aggregator.web.bureau import bureau
from protos.catalogue import CatalogueError, load
from protos.regions import name

blueprint = Blueprint("trends", __name__)
MAX_FOUND = 40
MAX_TEXT = 200


def _shown(x: float, ratio: bool) -> float | None:
    """A figure as drawn: a ratio in percent within 0–100, a total at 0 or above (display
    only, invariant 4, docs/architecture.md); None where nothing is held or it is unbounded."""
    if x is None or not math.isfinite(x):
        return None
    return round(100 * min(max(x, 0.0), 1.0), 1) if ratio else round(max(x, 0.0))


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
    cells, rules = _search(query.split()) if query else ([], [])
    made = None
    if text:
        try:
            made = trend(here.store, here.settings, region, text, stage or None)
        except (IndicatorError, CatalogueError, RulesError) as exc:
            raise BadInput(f"指标不对：{exc} The indicator cannot be read; search for it "
                           "by its Chinese name.") from None
    series = None
    if made is not None:
        ratio = made.indicator.kind == "ratio"
        points = made.points
        series = dict(
            periods=[p.period for p in points],
            value=[_shown(p.interval.value, ratio) if p.held else None for p in points],
            low=[_shown(p.interval.low, ratio) if p.held else None for p in points],
            high=[_shown(p.interval.high, ratio) if p.held else None for p in points],
            unit="%" if ratio else made.indicator.unit.zh,
            title=made.indicator.label.zh, region=f"{name(region)} {region}")
    return render_template("trends.html", region=region, text=text, stage=stage, query=query,
                           stages=stages, cells=cells, rules=rules, made=made, series=series,
                           region_name=name(region))
