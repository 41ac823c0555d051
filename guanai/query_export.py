"""Query results as people read them: one sheet per region level, intervals beside each figure.

A share (a ratio the catalogue's rules nest, aggregator/figures/nesting.py) is shown in
percent within 0–100%; another ratio as a plain number in its units (元/人 …), never called a
share; a total in whole units. The value and its interval are clipped only as the catalogue
guarantees (at 0 unless the response says the figure is unbounded below; a share at 100%) —
only here, when displaying (invariant 4, docs/architecture.md). The JSON format carries the
unrounded figures instead, with an unbounded interval end as null.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from aggregator.figures.nesting import Range
from common.tables import Sheet, write
from protos.periods import Period
from protos.query_pb2 import Figure, FiguresResponse
from protos.regions import name

LEVELS = {
    "province": ("省级", "Province"),
    "city": ("市级", "City"),
    "county": ("县级", "County"),
    "school": ("学校", "School"),
}
UNBOUNDED = "无界 unbounded"


def bounds_of(response: FiguresResponse) -> Range:
    """What the catalogue guarantees of the response's figures, as the server said."""
    return Range(-math.inf if response.unbounded_below else 0.0,
                 1.0 if response.kind == "share" else math.inf)


def _shown(x: float, kind: str, bounds: Range) -> float | str | None:
    if math.isnan(x):
        return None
    x = bounds.clip(x)
    if math.isinf(x):
        return UNBOUNDED
    if kind == "share":
        return round(100 * x, 2)
    return round(x, 4) if kind == "ratio" else round(x)


def _raw(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else x


def columns(response: FiguresResponse) -> dict[str, str]:
    """The figure columns' headers, Chinese and English, with the unit and confidence."""
    unit = "%" if response.kind == "share" else f"{response.unit_zh} {response.unit_en}"
    level = f"{round(100 * response.confidence)}%"
    return {
        "region": "地区代码 Code",
        "name": "地区 Region",
        "period": "期间 Period",
        "value": f"数值 Value ({unit})",
        "low": f"{level}置信下限 Lower",
        "high": f"{level}置信上限 Upper",
        "members": "已报成员 Members",
        "missing": "未报成员 Missing",
        "schools": "学校数 Schools",
    }


def _row(figure: Figure, response: FiguresResponse, raw: bool) -> list:
    bounds = bounds_of(response)
    shown = _raw if raw else (lambda x: _shown(x, response.kind, bounds))
    period = figure.period if raw else Period.parse(figure.period).label_zh
    return [figure.region, name(figure.region), period, shown(figure.value), shown(figure.low),
            shown(figure.high), figure.members, figure.missing, figure.schools]


def sheets(response: FiguresResponse, raw: bool = False) -> list[Sheet]:
    """One sheet per region level present, province first."""
    headers = list(columns(response).values())
    title = f"{response.label_zh} {response.label_en}"
    periods = sorted({f.period for f in response.figures})
    subtitle = (f"期间 Period: {', '.join(periods)} · {round(100 * response.confidence)}% 置信区间 "
                "confidence interval from the declared noise · 差分隐私 differentially private "
                f"figures · 目录 catalogue {response.catalogue_version}")
    found = []
    for level, (zh, en) in LEVELS.items():
        rows = [_row(f, response, raw) for f in response.figures if f.level == level]
        if rows:
            found.append(Sheet(f"{zh} {en}", title, f"{zh} {en} · {subtitle}",
                               pd.DataFrame(rows, columns=headers)))
    return found


def export(response: FiguresResponse, fmt: str, out: Path | None) -> str | None:
    """Write the result as ``fmt`` (table, csv, xlsx, json) to ``out``, or return the text."""
    return write(sheets(response, raw=fmt == "json"), fmt, out)
