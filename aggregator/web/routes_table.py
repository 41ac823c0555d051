"""统计表（附件1）: one region's whole table for a period and stage, its exports, and the
indicator search.

The table is the one ``guanai aggregator table`` prints and the Query service's Table answers
(aggregator/figures/statistics.py): the official form (non-negative integers consistent
across levels, with 95% intervals clipped at zero for display) or the analysis form
(unbiased estimates, variances, unclipped intervals). The exports are the CLI's files, made by
the same function (aggregator/figures/printed.py). The official form is read as kept
(aggregator/figures/kept.py); while a period's official tables are being made after its figures
changed, the page says so and refreshes itself (the analysis form is there at once), and an
export waits for them; when they cannot be made, the page and the exports say so (503) and
point to the analysis form. The analysis form and its CSV read the estimates only. The search
is ``guanai query --list``'s (aggregator/figures/indicators.py).
"""

from __future__ import annotations

import math
import tempfile
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request, send_file

from aggregator.figures import indicators, kept
from aggregator.figures.holdings import Holdings, is_school, level_of
from aggregator.figures.printed import estimates_sheet, region_sheets
from aggregator.figures.statistics import NothingCounted, RegionTable, cells_of, parts
from aggregator.warnings.rules import load_rules
from aggregator.web.access import BadInput, allowed, period_param, scoped_unit
from aggregator.web.bureau import bureau
from common.tables import write
from protos.catalogue import load
from protos.periods import Period
from protos.regions import name

blueprint = Blueprint("table", __name__)
FORMS = {"official": ("正式表", "Official form"), "analysis": ("分析用估计值", "Analysis form")}
EXPORTS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv", "pdf": "application/pdf"}
EMPTY_ZH, EMPTY_EN = "本期无数据", "No figures are held for this period"
BELOW = {"province": "city", "city": "county", "county": "school"}


def _stage(value: str | None) -> str | None:
    if not value:
        return None
    if value not in {s.id for s in load().stages.values}:
        raise BadInput(f"学段不对：{value[:20]!r}。 Unknown stage.")
    return value


def _query() -> tuple[Period, str, str | None]:
    here = bureau()
    period = period_param(request.args.get("period"), here.latest_period())
    return period, scoped_unit(request.args.get("region")), _stage(request.args.get("stage"))


def _form() -> str:
    form = request.args.get("form") or "official"
    if form not in FORMS:
        raise BadInput(f"表式不对：{form[:20]!r}，应为 official 或 analysis。 Unknown form.")
    return form


@blueprint.get("/table")
@allowed()
def table() -> str:
    """``/table?period=P&region=R&stage=S&form=official|analysis``."""
    here = bureau()
    period, unit, stage = _query()
    form = _form()
    held = here.store.figure_periods()
    choices = dict(period=period, unit=unit, stage=stage, form=form, forms=FORMS,
                   stages=load().stages.values, name=name, exports=EXPORTS,
                   periods=sorted({*held, period.code}, reverse=True))
    if period.code not in held:
        return render_template("table.html", empty=True, **choices)
    try:
        if form == "analysis":  # the estimates alone: a read, no official table made
            holdings = Holdings(here.store, here.settings, period)
            shown = cells_of(holdings.catalogue, stage)
            sheet = estimates_sheet(holdings, unit, stage)
        else:
            found = _official(here, period, unit, current_app.config["OFFICIAL_WAIT_SECONDS"])
            if found is None:
                return render_template("table_making.html", **choices), 202
            sheets = region_sheets(here.store, here.settings, period, found, stage, "xlsx",
                                   here.today())
            shown = cells_of(found.catalogue, stage)
            sheet = sheets[0]
            choices["english"] = sheets[1]  # its subtitle and labels shown beside the Chinese
    except NothingCounted:  # zeros would read as true figures
        return render_template("table.html", empty=True, nothing=True, **choices)
    cells = [c.id for c in shown]
    rows = [[_shown(v) for v in row] for row in sheet.data.itertuples(index=False)]
    return render_template(
        "table.html", empty=False, sheet=sheet, headers=list(sheet.data.columns),
        rows=zip(cells, rows, strict=True), below=_below(here, period, unit), **choices)


@blueprint.get("/table/search")
@allowed()
def search() -> str:
    """``/table/search?q=残疾 小学``: the indicators (and warning rules) matching every word."""
    words = (request.args.get("q") or "").split()[:10]
    catalogue = load()
    cells = indicators.find(catalogue, words) if words else []
    rules = indicators.find_rules(load_rules(), words) if words else []
    period = request.args.get("period") or ""
    region = request.args.get("region") or ""
    if region:
        scoped_unit(region)  # Forbidden outside the account's scope, as on every page
    return render_template("search.html", q=" ".join(words), cells=cells, rules=rules,
                           catalogue=catalogue, period=period, region=region)


@blueprint.get("/export/table.<fmt>")
@allowed()
def export(fmt: str) -> Response:
    """``/export/table.xlsx|csv|pdf?period=P&region=R&stage=S&form=official|analysis``: the
    CLI's files; the CSV is the form asked for (the official integers by default, as the page)."""
    if fmt not in EXPORTS:
        raise BadInput(f"导出格式不对：{fmt[:10]!r}，应为 xlsx、csv 或 pdf。 Unknown format.")
    here = bureau()
    period, unit, stage = _query()
    form = _form()
    if period.code not in here.store.figure_periods():
        raise BadInput(f"{EMPTY_ZH}：{period.label_zh}。 {EMPTY_EN}: {period.code}.")
    if fmt == "csv" and form == "analysis":  # the estimates alone, as the page's analysis form
        sheets = [estimates_sheet(Holdings(here.store, here.settings, period), unit, stage)]
    else:  # the official form (a CSV of it: the pdf's sheet), made or waited for
        shows = "pdf" if fmt == "csv" else fmt
        found = _official(here, period, unit, None)
        sheets = region_sheets(here.store, here.settings, period, found, stage, shows,
                               here.today())
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"table.{fmt}"
        write(sheets, fmt, out)
        data = out.read_bytes()
    suffix = f"-{stage}" if stage else ""
    if fmt == "csv" and form == "analysis":
        suffix += "-analysis"
    sent = send_file(BytesIO(data), mimetype=EXPORTS[fmt], as_attachment=True,
                     download_name=f"table-{unit}-{period.code}{suffix}.{fmt}")
    chinese = quote(f"统计表-{unit}-{period.code}{suffix}.{fmt}")
    sent.headers["Content-Disposition"] += f"; filename*=UTF-8''{chinese}"
    return sent


def _official(here, period: Period, unit: str, wait: float | None  # noqa: ANN001
              ) -> RegionTable | None:
    """The official table of ``unit`` as kept (aggregator/figures/kept.py). When the kept
    tables are not current, they are made in the background — one making per period however
    many pages ask, none again for a generation that failed — and waited for ``wait`` seconds
    (None: until made, as an export does); None if they are still being made then. Raises
    TableError, OfficialError (the app answers 503)."""
    found = kept.kept_table(Holdings(here.store, here.settings, period), unit)
    if found is not None:
        return found
    making = here.makers.start(period.code, here.store.figure_generation(period.code),
                               lambda: kept.make(Holdings(here.store, here.settings, period),
                                                 here.clock))
    if not making.wait(wait):
        return None
    if making.error is not None:
        raise making.error
    holdings = Holdings(here.store, here.settings, period)  # the rows as they are now
    if wait is None:  # an export: made again here should the figures have moved meanwhile
        return kept.region_table(holdings, unit, here.clock)
    return kept.kept_table(holdings, unit)


def _below(here, period: Period, unit: str) -> list[str]:  # noqa: ANN001
    """The units one level below ``unit`` whose tables are held here, to drill down to."""
    if is_school(unit):
        return []
    holdings = Holdings(here.store, here.settings, period)
    tree = parts(holdings)
    if unit in tree:
        return tree[unit]
    return holdings.units(BELOW[level_of(unit)], unit)


def _shown(value: object) -> object:
    """A figure as the page shows it: integers with separators, other numbers to 2 places."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"
