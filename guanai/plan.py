"""``guanai plan``: what a privacy budget buys, before anything is released (docs/budget.md)."""

from __future__ import annotations

from pathlib import Path

import click

from common import tables
from privacy import dp
from privacy.budget import BudgetPolicy
from protos.catalogue import LATEST_VERSION, load
from protos.regions import SCHOOL_TYPES

DEFAULT_MEMBERS = "1,100,20000"


def _members(_ctx: click.Context, _param: click.Parameter, value: str) -> list[int]:
    try:
        members = [int(v) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter("a comma-separated list of whole numbers, e.g. 1,100,20000") from None
    if not members or min(members) < 1:
        raise click.BadParameter("every number of schools must be at least 1")
    return members


@click.command()
@click.option("--rho", type=float, default=BudgetPolicy().rho_half_year, show_default=True,
              help="ρ (zCDP) of one release.")
@click.option("--school-type", type=click.Choice(sorted(SCHOOL_TYPES)),
              help="学校类别 code (21 小学, 41 普通高等学校, …); default: a school of every stage.")
@click.option("--members", default=DEFAULT_MEMBERS, show_default=True, callback=_members,
              help="Numbers of schools summed: one school, a county, the province.")
@click.option("--alpha", type=float, default=0.05, show_default=True,
              help="P[|error| ≥ bound]; 0.05 gives the 95% error.")
@click.option("--catalogue", "version", default=LATEST_VERSION, show_default=True)
@click.option("--format", "fmt", type=click.Choice(tables.FORMATS), default="table",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def plan(rho: float, school_type: str | None, members: list[int], alpha: float, version: str,
         fmt: str, out: Path | None) -> None:
    """隐私预算规划 Plan the budget: expected error of every cell for ρ.

    For each cell: the error a release of ρ will exceed with probability α, for one school
    and for sums of schools (county, province). Public cells have none.
    """
    if rho <= 0 or not 0 < alpha < 1:
        raise click.BadParameter("ρ must be positive and α between 0 and 1")
    catalogue = load(version)
    stages = frozenset(SCHOOL_TYPES[school_type][1]) if school_type else None
    noise = dp.noise_plan(catalogue, rho, stages)
    policy = BudgetPolicy()
    click.echo(f"ρ = {rho:g} per release ≈ (ε = {dp.epsilon_delta(rho, policy.delta):.2f}, "
               f"δ = {policy.delta:g}); annual cap ρ = {policy.annual_cap:g} ≈ "
               f"ε = {dp.epsilon_delta(policy.annual_cap, policy.delta):.2f}")
    for group in noise.values():
        label = catalogue.groups[group.group].label
        click.echo(f"  {label.zh} {label.en}: L2 sensitivity {group.sensitivity:.2f}, "
                   f"ρ share {group.rho:.4g}, σ = {group.scale:.2f}")
    columns = {}
    for count in members:
        where = "学校 school" if count == 1 else f"{count}所之和 sum of {count} schools"
        columns[f"±{1 - alpha:.0%} {where}"] = [
            round(dp.accuracy(noise[c.group].scale, alpha, count), 1)
            if c.group in noise and (stages is None or c.stages & stages) else 0.0
            for c in catalogue.cells
        ]
    data = tables.frame(catalogue.labels(), columns)
    if stages is not None:
        data = data[[bool(c.stages & stages) for c in catalogue.cells]]
    sheet = tables.Sheet("plan", f"预期误差 Expected error, ρ = {rho:g}",
                         f"catalogue {catalogue.version}, α = {alpha:g}", data)
    text = tables.write([sheet], fmt, out)
    click.echo(text if text is not None else f"已写入 written: {out}")
