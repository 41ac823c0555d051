"""``guanai node report``: a school's whole statistics table at its own node.

The same table, made by the same code, as ``guanai query --table`` gives a county, city or
province (aggregator/figures/statistics.py): the official form (non-negative integers that keep
the catalogue's rules, with the estimates' intervals) in the terminal, .xlsx and PDF, and the
analysis form in CSV and JSON. A school's table is the release it sent, projected on its own
(``own_table``), exactly as an aggregator shows a school it cannot place under a region. The
school's true values join the analysis form: they are its own and never leave the node.

It lives in ``guanai/`` because it joins the node's store with the aggregator's table code,
which the node's and the aggregator's packages may not import from each other (DESIGN §3).
"""

from __future__ import annotations

from pathlib import Path

import click

from common.tables import FORMATS
from node.cli_release import period_option
from protos.catalogue import load
from protos.periods import Period


@click.command("report")
@period_option
@click.option("--revision", type=int, help="版本 A given revision (default: the latest).")
@click.option("--stage", type=click.Choice([s.id for s in load().stages.values]),
              help="学段 Only this stage's cells.")
@click.option("--confidence", help="置信水平 Confidence level of the intervals.",
              type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--format", "fmt", help="输出格式 Output format: official form (table, xlsx, pdf) "
              "or analysis form with the true values (csv, json).",
              type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="输出 Write to a file.")
@click.pass_obj
def report(db: Path, period: Period, revision: int | None, stage: str | None, confidence: float,
           fmt: str, out: Path | None) -> None:
    """统计表 The school's whole table (附件1) for the period, as its county sees it; true values
    in the analysis form (csv, json, the xlsx's analysis sheet) only."""
    from aggregator.figures.statistics import own_table, table_sheets  # the solver loads here
    from aggregator.warnings.rules import Figures
    from common import tables
    from node.release import get_release, latest_release
    from node.store import get_meta, open_store

    store = open_store(db)
    stored = get_release(store, period, revision) if revision else latest_release(store, period)
    if stored is None:
        raise click.ClickException(f"本期尚未发布 no release of {period} yet (run `guanai node "
                                   "release`)")
    released = stored.report
    catalogue = load(released.catalogue_version)
    ids = catalogue.ids()
    figures = Figures(released.sender_id, "school", dict(zip(ids, map(float, released.values),
                                                             strict=True)),
                      dict(zip(ids, released.noise_variance, strict=True)), 1, 0, 1)
    school = get_meta(store, "school_name") or released.sender_id
    sheets = table_sheets(own_table(catalogue, figures), fmt,
                          f"{period.label_zh} 第{stored.revision}版",
                          f"{period.label_en}, revision {stored.revision}", stage, confidence,
                          tables.SignOff(unit=school), stored.true_values)
    text = tables.write(sheets, fmt, out)
    click.echo(text if text is not None else f"已写入 written: {out}")
