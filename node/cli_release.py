"""``guanai node release``: the period's DP release (its table: ``guanai node report``,
guanai/school_table.py, which shares the aggregators' table code)."""

from __future__ import annotations

from pathlib import Path

import click

from node.allowance import allowance_lines
from node.config import load_config
from node.release import latest_release, release_period, spent_in_year
from node.store import get_meta, open_store
from privacy.dp import epsilon_delta
from protos.catalogue import load
from protos.periods import Period


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    return Period.from_human(value)


period_option = click.option(
    "--period", required=True, callback=_period,
    help="2025-H1 (上半年, due 30 June), 2025-H2 (下半年, due 15 December) or 2025 (年度).",
)


@click.command("release")
@period_option
@click.option("--correction", is_flag=True,
              help="Make a new revision (更正) even if the period was released; spends budget again.")
@click.option("--recipient", help="收件方 Region code of the aggregator it is for (default: the parent, "
              "else the school's county).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              envvar="GUANAI_NODE_CONFIG", help="配置文件 Node configuration (TOML), for the budget.")
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
        click.echo(f"已发布 released {period} revision {stored.revision}")
    spent = spent_in_year(store, period.year)
    for line in allowance_lines(spent, policy.annual_cap, report.budget.rho,
                                epsilon_delta(spent, policy.delta), policy.delta):
        click.echo(line)


RELEASE_COMMANDS = [release]
