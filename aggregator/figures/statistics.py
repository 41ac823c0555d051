"""The whole statistics table (附件1) of one region, in its two forms.

The official form is what an official signs (aggregator/figures/official.py): non-negative
integers that add up across the levels this aggregator holds, with the estimates' 95%
intervals clipped at zero for display. The analysis form keeps the unbiased estimates, their
noise variances and unclipped intervals (CSV, JSON): figures there may be negative.

The tables are made top down from this aggregator's own region: its direct members, grouped
by city at a province (a city without an aggregator of its own is the sum of its counties),
then the counties of each city. A school's table, or a region this aggregator cannot place
in that tree, is projected on its own (``own_table``) — which is also how a school sees its
own table at its node (`guanai node report`, guanai/school_table.py), from the release it sent.
The whole tree's official tables are made once per change of a period's figures and kept
(aggregator/figures/kept.py ``region_table``, what every caller asks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from aggregator.figures.estimates import z_value
from aggregator.figures.holdings import Holdings, is_school, level_of
from aggregator.figures.official import Official, official_tables
from aggregator.warnings.rules import Figures
from common.errors import GuanaiError
from common.tables import LABEL_COLUMNS, Sheet, SignOff
from protos.catalogue import Catalogue, Cell
from protos.regions import name

TRUE_COLUMN = "真实值（仅本校可见） True (this school only)"


class TableError(GuanaiError):
    """A region or stage for which no table can be given."""


class NothingCounted(TableError):
    """A unit held here with no report counted for the period (not reported, or returned for
    correction): its table would be zeros that read as true figures, so none is given."""


def parts(holdings: Holdings) -> dict[str, list[str]]:
    """Region → the regions or direct schools whose figures add up to it, from the top down.

    A province's parts are its cities (with an aggregator, or the sum of their counties) and
    the schools that report straight to it; a city's are its counties; a county's, its schools.
    """
    top = holdings.region
    below: dict[str, list[str]] = {top: []}
    for member in holdings.direct:
        if is_school(member) or level_of(member) != "county" or level_of(top) != "province":
            below[top].append(member)
            continue
        city = member[:4] + "00"
        if city not in below[top]:
            below[top].append(city)
    for unit in list(below[top]):
        if not is_school(unit) and level_of(unit) == "city":
            below[unit] = [c for c in holdings.units("county", unit)
                           if holdings.figures(c) is not None]
    return {k: v for k, v in below.items() if v}


def pooled(own: Figures, below: Iterable[Figures]) -> Figures:
    """A region's own figure combined with the sum of its parts' figures, cell by cell, by
    inverse-variance weighting (the minimum-variance unbiased combination of two independent
    unbiased estimates of one total): value (v₂·y₁ + v₁·y₂)/(v₁ + v₂), variance v₁v₂/(v₁ + v₂).
    A cell exact (variance 0) in ``own`` keeps its own value, exact in the parts' sum only, the
    sum's. For a region that published its own figure (secure aggregation, DESIGN §8), whose
    noise is independent of its parts': made first top down (aggregator/figures/official.py),
    its official table should follow both, not its own figure alone, which can be the less
    precise of the two (a province's one draw against a city's three counties' draws)."""
    below = list(below)
    values, variances = {}, {}
    for cell, y1 in own.values.items():
        v1 = own.variances[cell]
        y2 = sum(f.values[cell] for f in below)
        v2 = sum(f.variances[cell] for f in below)
        if v1 <= 0 or v2 <= 0:
            values[cell], variances[cell] = (y1, v1) if v1 <= 0 else (y2, 0.0)
        else:
            values[cell] = (v2 * y1 + v1 * y2) / (v1 + v2)
            variances[cell] = v1 * v2 / (v1 + v2)
    return Figures(own.region, own.level, values, variances, own.members, own.missing,
                   own.schools)


def official_of(holdings: Holdings) -> tuple[dict[str, Figures], dict[str, Official]]:
    """Every region's figures (analysis form) and official table this aggregator can make.

    When this aggregator's region published its own figure and its parts cover the same
    schools, its official table is made from that figure pooled with its parts' (``pooled``);
    the figures returned (and the intervals shown) stay its own."""
    tree = parts(holdings)
    top = holdings.region
    units = {top, *(u for v in tree.values() for u in v)}
    figures = {u: f for u in units if (f := holdings.figures(u)) is not None}
    tree = {k: [u for u in v if u in figures] for k, v in tree.items()}
    solved = figures
    row = holdings.store.figure_unit(holdings.period.code, top)
    below = [figures[u] for u in tree.get(top, [])]
    if row is not None and row.kind == "published" and below and \
            figures[top].schools == sum(f.schools for f in below):
        solved = {**figures, top: pooled(figures[top], below)}
    return figures, official_tables(holdings.catalogue, solved, tree, top)


@dataclass(frozen=True)
class RegionTable:
    """One region's whole table: its estimates and its official figures."""

    region: str
    figures: Figures
    official: Official
    catalogue: Catalogue


def own_table(catalogue: Catalogue, figures: Figures) -> RegionTable:
    """The table of one unit's figures projected on their own, with nothing above or below
    them (a school's release; a region outside the tree held here). Raises OfficialError
    if no table meets the rules."""
    unit = figures.region
    official = official_tables(catalogue, {unit: figures}, {}, unit)[unit]
    return RegionTable(unit, figures, official, catalogue)


def _within(holdings: Holdings, unit: str) -> None:
    if unit != holdings.region and not holdings.within(unit, holdings.region):
        raise TableError(f"不在本辖区 {unit} is not within {holdings.region}")


def region_figures(holdings: Holdings, unit: str) -> Figures:
    """The estimates of ``unit`` (a region or school within this aggregator's region) as
    held: the analysis form alone, a read, with no official table made (that is a solve over
    every region held, seconds at a province: made once per change of the figures and kept,
    aggregator/figures/kept.py). The same figures ``kept.region_table`` gives.

    Raises TableError when nothing is held for it, NothingCounted when no report of it is
    counted (not reported, or returned)."""
    _within(holdings, unit)
    own = holdings.figures(unit)
    if own is None:
        raise TableError(f"无数据 nothing is held for {unit} in {holdings.period}")
    if own.schools == 0:
        raise NothingCounted(f"本期无计入数字：{unit} 在 {holdings.period} 没有计入的报表"
                             f"（未报或已退回修改）。 Nothing counted for {unit} in "
                             f"{holdings.period}: not reported, or returned for correction.")
    return own


def cells_of(catalogue: Catalogue, stage: str | None) -> list[Cell]:
    """The table's rows: every cell, or one stage's (CatalogueError for an unknown stage)."""
    if stage is None:
        return list(catalogue.cells)
    catalogue.stages.value(stage)  # CatalogueError for an unknown stage
    return [c for c in catalogue.cells if c.keys.get("stage") == stage]


def _interval(figures: Figures, cell: str, confidence: float) -> tuple[float, float]:
    half = z_value(confidence) * math.sqrt(figures.variances[cell])
    return figures.values[cell] - half, figures.values[cell] + half


def shown_interval(figures: Figures, cell: str, confidence: float) -> tuple[int, int]:
    """The estimate's interval as the official form shows it: whole units, clipped at 0.

    An interval lying wholly below zero (a small true count drawn negative) shows as 0–0, as a
    public or exact cell does; ``outside`` marks it when the official value is not 0."""
    low, high = _interval(figures, cell, confidence)
    return max(0, math.floor(low)), max(0, math.ceil(high))


OUTSIDE_MARK = "※"
OUTSIDE_NOTE_ZH = "※ 正式值在本级估计值区间之外：为与上级正式值相加一致（及非负、勾稽关系）而调整"
OUTSIDE_NOTE_EN = ("※ official value outside this region's own estimate's interval: adjusted to "
                   "add up to the level above's official table (and to be non-negative and keep "
                   "the rules)")


def outside(table: RegionTable, cell: str, confidence: float = 0.95) -> bool:
    """Whether the official value of ``cell`` lies outside the interval shown beside it.

    It can: the interval is of this region's own estimate alone, while the official value also
    follows the official table of the region above (made first, from its own — often more
    precise — figure), to which this region and its siblings must add up (DESIGN §9). A cell
    of variance 0 (public, or no school can reach it) is kept exactly and is never outside."""
    low, high = shown_interval(table.figures, cell, confidence)
    return not low <= table.official.values[cell] <= high


def official_sheets(table: RegionTable, period_zh: str, period_en: str,
                    stage: str | None = None, confidence: float = 0.95,
                    sign_off: SignOff | None = None,
                    true_values: Mapping[str, int] | None = None) -> list[Sheet]:
    """The official form: the table in Chinese (to sign), the same in English, and the
    analysis form beside them. Official figures are non-negative integers; the intervals
    are the estimates', clipped at zero and rounded for display only."""
    catalogue = table.catalogue
    cells = cells_of(catalogue, stage)
    level = f"{round(100 * confidence)}%"
    shown_low, shown_high = zip(*(shown_interval(table.figures, c.id, confidence)
                                  for c in cells), strict=True) if cells else ((), ())
    values = [table.official.values[c.id] for c in cells]
    marks = [OUTSIDE_MARK if outside(table, c.id, confidence) else "" for c in cells]
    note_zh = f" · {OUTSIDE_NOTE_ZH}" if any(marks) else ""
    note_en = f" · {OUTSIDE_NOTE_EN}" if any(marks) else ""
    where = f"{name(table.region) if not is_school(table.region) else ''} {table.region}".strip()
    stage_label = catalogue.stages.value(stage).label if stage else None
    title = catalogue.title
    subtitle_zh = (f"{where} · {period_zh}" + (f" · {stage_label.zh}" if stage_label else "")
                   + f" · 差分隐私发布值经加权最小二乘与受控取整（非负、上下级相加一致）· "
                   f"区间为本级估计值的{level}置信区间（显示时截于0）· 目录 {catalogue.version}"
                   + note_zh)
    subtitle_en = (f"{where} · {period_en}" + (f" · {stage_label.en}" if stage_label else "")
                   + f" · differentially private figures made consistent (weighted least "
                   f"squares, controlled rounding) · {level} intervals clipped at 0 for "
                   f"display (this region's own estimate's) · catalogue {catalogue.version}"
                   + note_en)
    zh = pd.DataFrame({
        LABEL_COLUMNS["section"]: [catalogue.sections[c.section].zh for c in cells],
        "指标 Indicator": [c.label.zh for c in cells],
        "单位 Unit": [catalogue.units[c.unit].zh for c in cells],
        "数值 Value": values,
        f"{level}区间下限 Lower": list(shown_low),
        f"{level}区间上限 Upper": list(shown_high),
        "注 Note": marks,
    })
    en = pd.DataFrame({
        "Section": [catalogue.sections[c.section].en for c in cells],
        "Indicator": [c.label.en for c in cells],
        "Unit": [catalogue.units[c.unit].en for c in cells],
        "Value": values,
        f"{level} lower": list(shown_low),
        f"{level} upper": list(shown_high),
        "Note": marks,
    })
    return [Sheet("统计表", f"{title.zh}", subtitle_zh, zh, sign_off),
            Sheet("English", title.en, subtitle_en, en, sign_off),
            analysis_sheet(table.figures, catalogue, cells, confidence,
                           f"{period_zh} {period_en}", table.official, true_values)]


def analysis_sheet(figures: Figures, catalogue: Catalogue, cells: Iterable[Cell],
                   confidence: float, period: str, official: Official | None = None,
                   true_values: Mapping[str, int] | None = None) -> Sheet:
    """The analysis form: unbiased estimates, variances, unclipped intervals (may be < 0);
    with ``official`` its official figures beside them (the exports; the web page's analysis
    form has none, so as not to make them); with ``true_values`` (a school at its own node:
    they never leave it) the true table too."""
    cells = list(cells)
    level = f"{round(100 * confidence)}%"
    low, high = zip(*(_interval(figures, c.id, confidence) for c in cells), strict=True) \
        if cells else ((), ())
    data = pd.DataFrame({
        LABEL_COLUMNS["cell"]: [c.id for c in cells],
        LABEL_COLUMNS["zh"]: [c.label.zh for c in cells],
        LABEL_COLUMNS["en"]: [c.label.en for c in cells],
        "估计值 Estimate": [figures.values[c.id] for c in cells],
        "噪声方差 Noise variance": [figures.variances[c.id] for c in cells],
        f"{level}下限 Lower": list(low),
        f"{level}上限 Upper": list(high),
    })
    if official is not None:
        data["正式值 Official"] = [official.values[c.id] for c in cells]
    if true_values is not None:
        data[TRUE_COLUMN] = [true_values[c.id] for c in cells]
    return Sheet("分析 Analysis", f"{catalogue.title.zh} {catalogue.title.en}",
                 f"分析用估计值（无偏，可为负） analysis form (unbiased, may be negative) · {figures.region} · "
                 f"{period}", data)


def table_sheets(table: RegionTable, fmt: str, period_zh: str, period_en: str,
                 stage: str | None = None, confidence: float = 0.95,
                 sign_off: SignOff | None = None,
                 true_values: Mapping[str, int] | None = None) -> list[Sheet]:
    """What a format shows: the official form for people (table, xlsx, pdf — the PDF and the
    terminal in Chinese only), the analysis form for machines (csv, json); ``true_values``
    join the analysis form (a school at its own node)."""
    sheets = official_sheets(table, period_zh, period_en, stage, confidence, sign_off,
                             true_values)
    if fmt in ("csv", "json"):
        return [sheets[2]]
    if fmt in ("pdf", "table"):
        return [sheets[0]]
    return sheets
