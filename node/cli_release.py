"""``guanai node release`` and ``guanai node report``: the period's DP release and its view."""

from __future__ import annotations

import math
from pathlib import Path

import click

from common import tables
from node.config import load_config
from node.release import get_release, latest_release, release_period, spent_in_year
from node.store import get_meta, open_store
from protos.catalogue import load
from protos.periods import Period
from protos.regions import school_stages


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    return Period.parse(value)


period_option = click.option(
    "--period", required=True, callback=_period,
    help="2025-H1 (上半年, due 30 June), 2025-H2 (下半年, due 15 December) or 2025 (年度).",
)


@click.command("release")
@period_option
@click.option("--correction", is_flag=True,
              help="Make a new revision (更正) even if the period was released; spends budget again.")
@click.option("--recipient", help="Region code of the aggregator it is for (default: the parent, "
              "else the school's county).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              envvar="GUANAI_NODE_CONFIG", help="Node configuration (TOML), for the budget.")
@click.option("--catalogue", "version", help="Catalogue version (目录版本) of the table "
              "(default: the configuration's catalogue.version, else the latest shipped).")
@click.pass_obj
def release(db: Path, period: Period, correction: bool, recipient: str | None,
            config: Path | None, version: str | None) -> None:
    """发布 Release the period's table with differential privacy (stored once)."""
    store = open_store(db)
    settings = load_config(config)
    policy = settings.budget
    recipient = recipient or get_meta(store, "parent_id") or get_meta(store, "region_code") or ""
    before = latest_release(store, period)
    stored = release_period(store, period, recipient, policy, correction=correction,
                            catalogue=load(version or settings.catalogue_version))
    report = stored.report
    if before and before.revision == stored.revision:
        click.echo(f"已发布 already released: {period} revision {stored.revision} "
                   "(the stored release is kept; use --correction for a new revision)")
    else:
        click.echo(f"已发布 released {period} revision {stored.revision}: "
                   f"ρ = {report.budget.rho:g}, year total ρ = {report.budget.rho_year_total:g} "
                   f"of {report.budget.rho_year_cap:g} "
                   f"(ε = {report.budget.epsilon:.2f}, δ = {report.budget.delta:g})")
    click.echo(f"本年度剩余预算 remaining this year: "
               f"ρ = {policy.annual_cap - spent_in_year(store, period.year):g}")


@click.command("report")
@period_option
@click.option("--revision", type=int, help="A given revision (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(tables.FORMATS), default="table",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@click.pass_obj
def report(db: Path, period: Period, revision: int | None, fmt: str, out: Path | None) -> None:
    """统计表 Show the period's table: true value, released value, noise SD (local only)."""
    store = open_store(db)
    stored = get_release(store, period, revision) if revision else latest_release(store, period)
    if stored is None:
        raise click.ClickException(f"no release of {period} yet (run `guanai node release`)")
    released = stored.report
    catalogue = load(released.catalogue_version)
    data = tables.frame(catalogue.labels(), {
        "真实值 True": [stored.true_values[c.id] for c in catalogue.cells],
        "发布值 Released": list(released.values),
        "噪声标准差 Noise SD": [round(math.sqrt(v), 1) for v in released.noise_variance],
    })
    taught = frozenset(school_stages(released.sender_id))
    data = data[[bool(c.stages & taught) for c in catalogue.cells]]
    school = f"{get_meta(store, 'school_name')} {released.sender_id}"
    sheet = tables.Sheet(
        name=f"{period} r{stored.revision}",
        title=catalogue.title.zh + " " + catalogue.title.en,
        subtitle=(f"{school} · {period.label_zh} {period.label_en} · 第{stored.revision}版 "
                  f"revision {stored.revision} · ρ = {released.budget.rho:g} · "
                  "真实值仅在本校可见 true values stay in this school"),
        data=data,
    )
    text = tables.write([sheet], fmt, out)
    click.echo(text if text is not None else f"已写入 written: {out}")


RELEASE_COMMANDS = [release, report]
