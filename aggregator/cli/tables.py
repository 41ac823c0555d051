"""``guanai aggregator table``: the whole statistics table (附件1) of a region, ready to sign.

The terminal, Excel and PDF show the official form (non-negative integers that add up across
levels, aggregator/figures/official.py) with the sign-off block; CSV and JSON give the
analysis form (unbiased estimates, variances, intervals) for further work, read from the
estimates alone (no official table needed, as the web's analysis form). The official
tables are read as kept (aggregator/figures/kept.py): made here only if the serving
aggregator has not made them since the figures last changed.
"""

from __future__ import annotations

from pathlib import Path

import click

from aggregator.figures.holdings import Holdings
from aggregator.figures.kept import region_table
from aggregator.figures.printed import estimates_sheet, region_sheets
from aggregator.keys import own_identity
from aggregator.store.sqlite import Store
from common import tables
from common.clock import SYSTEM
from protos.catalogue import load
from protos.deadlines import local_date
from protos.periods import Period


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    return Period.parse(value)


@click.command("table")
@click.option("--period", required=True, callback=_period,
              help="期间 2025-H1 (上半年), 2025-H2 (下半年) or 2025 (年度).")
@click.option("--region", help="地区代码或学校标识码 region code or school id within this "
                               "aggregator's region; default: its own region.")
@click.option("--stage", type=click.Choice([s.id for s in load().stages.values]),
              help="只列此学段 only this stage's cells (学段).")
@click.option("--format", "fmt", type=click.Choice(tables.FORMATS), default="table",
              show_default=True, help="table/xlsx/pdf: 正式表 official form; csv/json: "
                                      "分析用估计值 analysis form.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="写入此文件 write to this file (needed for xlsx and pdf).")
@click.option("--unit-name", help="填报单位 reporting unit; default: the region's name.")
@click.option("--head", default="", help="单位负责人 head of unit.")
@click.option("--reviewer", default="", help="审核人 reviewer.")
@click.option("--filler", default="", help="填表人 the person who filled in the table.")
@click.option("--date", "filed", help="填报日期 date written on the table; default: today.")
@click.pass_obj
def table(db: Path, period: Period, region: str | None, stage: str | None, fmt: str,
          out: Path | None, unit_name: str | None, head: str, reviewer: str, filler: str,
          filed: str | None) -> None:
    """统计表 The whole statistics table of a region, official form with the sign-off block."""
    store = Store(db)
    try:
        settings = own_identity.load(store)
        holdings = Holdings(store, settings, period)
        if fmt in ("csv", "json"):  # the analysis form: the estimates alone, as the web's
            sheets = [estimates_sheet(holdings, region or settings.region, stage)]
        else:
            found = region_table(holdings, region or settings.region)
            sheets = region_sheets(store, settings, period, found, stage, fmt,
                                   local_date(SYSTEM.now()), unit_name, head, reviewer, filler,
                                   filed)
    finally:
        store.close()
    text = tables.write(sheets, fmt, out)
    click.echo(text if text is not None else f"已写入 written: {out}")


TABLE_COMMANDS = [table]
