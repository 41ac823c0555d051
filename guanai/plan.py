"""``guanai plan``: what a privacy budget buys, before anything is released (docs/budget.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from common import tables
from privacy import dp
from privacy.budget import LEVELS, BudgetPolicy
from protos.catalogue import LATEST_VERSION, Catalogue, load
from protos.regions import LEVEL_NAMES, SCHOOL_TYPES

DEFAULT_MEMBERS = "1,100,20000"
PARTIES = 2  # a published figure carries the leader's and the helper's noise (DESIGN §8)
RELEASES_PER_YEAR = 2  # the half-year tables; the annual period releases none (docs/calendar.md)
YEARS = (3, 6, 9)  # 初中 or 高中; 小学; 义务教育 at one school after another


@dataclass(frozen=True)
class Accumulated:
    """What one student accumulates: ρ (zCDP adds up over releases) at the plan's ρ and at
    the annual cap (every correction spent), each with its (ε, δ) equivalent."""

    zh: str
    en: str
    rho: float
    rho_cap: float
    epsilon: float
    epsilon_cap: float


def accumulation(rho: float, policy: BudgetPolicy) -> list[Accumulated]:
    """ρ one student accumulates over 3, 6 and 9 years and across a transfer, for releases of
    ``rho`` (two a year) and at the annual cap. A year is charged by each school that counts the
    student in a table: a transfer charges both schools in the year it happens when both count
    the student (the old school has not marked them as left), so that year can cost twice."""
    year, cap = RELEASES_PER_YEAR * rho, policy.annual_cap
    rows = [(f"{n}年", f"{n} years", n * year, n * cap) for n in YEARS]
    rows += [("转学当年（两校都统计该生）", "the year of a transfer (both schools count them)",
              2 * year, 2 * cap),
             ("9年，其间转学一次", "9 years with one transfer", 10 * year, 10 * cap)]
    return [Accumulated(zh, en, r, c, dp.epsilon_delta(r, policy.delta),
                        dp.epsilon_delta(c, policy.delta)) for zh, en, r, c in rows]


def _members(_ctx: click.Context, _param: click.Parameter, value: str) -> list[int]:
    try:
        members = [int(v) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter("a comma-separated list of whole numbers, e.g. 1,100,20000") from None
    if not members or min(members) < 1:
        raise click.BadParameter("every number of schools must be at least 1")
    return members


def _level_option(level: str) -> Callable:
    return click.option(f"--rho-{level}", level, type=float,
                        default=BudgetPolicy().rho_level(level), show_default=True,
                        help=f"{LEVEL_NAMES[level]}发布 ρ of the {level}'s figure published "
                             "from the shares (0: none).")


@click.command()
@click.option("--rho", type=float, default=BudgetPolicy().rho_half_year, show_default=True,
              help="学校自己的统计表 ρ (zCDP) of the school's own half-year table.")
@_level_option("county")
@_level_option("city")
@_level_option("province")
@click.option("--school-type", type=click.Choice(sorted(SCHOOL_TYPES)),
              help="学校类别 code (21 小学, 41 普通高等学校, …); default: a school of every stage.")
@click.option("--members", default=DEFAULT_MEMBERS, show_default=True, callback=_members,
              help="汇总学校数 Numbers of schools whose own tables are summed: one school, a county, "
                   "the province.")
@click.option("--alpha", type=float, default=0.05, show_default=True,
              help="误差概率 P[|error| ≥ bound]; 0.05 gives the 95% error.")
@click.option("--catalogue", "version", help="目录版本 Catalogue version.", default=LATEST_VERSION, show_default=True)
@click.option("--format", "fmt", help="输出格式 Output format.", type=click.Choice(tables.FORMATS), default="table",
              show_default=True)
@click.option("--out", help="输出文件 Write to this file (default: print).", type=click.Path(dir_okay=False, path_type=Path))
def plan(rho: float, county: float, city: float, province: float, school_type: str | None,
         members: list[int], alpha: float, version: str, fmt: str, out: Path | None) -> None:
    """隐私预算规划 Plan the budget: expected error of every cell for ρ and its split by level.

    For each cell: the error a school's own table of ρ will exceed with probability α, for one
    school and for sums of schools' tables; and the error of the figure each level (county,
    city, province) publishes from the schools' shares with its own ρ, noised once by each of
    the two parties whatever the number of schools. Public cells have none.
    """
    if rho <= 0 or min(county, city, province) < 0 or not 0 < alpha < 1:
        raise click.BadParameter("ρ must be positive, each level's ρ 0 or positive, and α "
                                 "between 0 and 1")
    catalogue = load(version)
    stages = frozenset(SCHOOL_TYPES[school_type][1]) if school_type else None
    noise = dp.noise_plan(catalogue, rho, stages)
    policy = BudgetPolicy(rho_half_year=rho, rho_county=county, rho_city=city,
                          rho_province=province)
    half_year = rho + county + city + province
    click.echo(f"半年合计 a half-year costs each student ρ = {half_year:g} ≈ "
               f"(ε = {dp.epsilon_delta(half_year, policy.delta):.2f}, δ = {policy.delta:g}): "
               f"the school's own table {rho:g}, published figures county {county:g}, "
               f"city {city:g}, province {province:g} (docs/secure-aggregation.md); "
               f"annual cap ρ = {policy.annual_cap:g} ≈ "
               f"ε = {dp.epsilon_delta(policy.annual_cap, policy.delta):.2f}")
    click.echo("一名学生的累计 what one student accumulates (ρ adds up; docs/budget.md):")
    for row in accumulation(half_year, policy):
        click.echo(f"  {row.zh} {row.en}: ρ = {row.rho:g} ≈ ε = {row.epsilon:.1f}; "
                   f"at the cap ρ = {row.rho_cap:g} ≈ ε = {row.epsilon_cap:.1f}")
    click.echo("学校自己的统计表 the school's own table:")
    for group in noise.values():
        label = catalogue.groups[group.group].label
        click.echo(f"  {label.zh} {label.en}: L2 sensitivity {group.sensitivity:.2f}, "
                   f"ρ share {group.rho:.4g}, σ = {group.scale:.2f}")
    levels = {level: dp.noise_plan(catalogue, policy.rho_level(level), stages)
              for level in LEVELS if policy.rho_level(level) > 0}
    for level, plan_ in levels.items():
        click.echo(f"{LEVEL_NAMES[level]}发布 the {level}'s published figure, ρ = "
                   f"{policy.rho_level(level):g}, each party's σ:")
        for group in plan_.values():
            label = catalogue.groups[group.group].label
            click.echo(f"  {label.zh} {label.en}: σ = {group.scale:.2f} per party, "
                       f"±{dp.accuracy(group.scale, alpha, PARTIES):.1f} published "
                       f"({1 - alpha:.0%})")
    columns = {}
    for count in members:
        where = "学校 school" if count == 1 else f"{count}所之和 sum of {count} schools' tables"
        columns[f"±{1 - alpha:.0%} {where}"] = _errors(catalogue, noise, stages, alpha, count)
    for level, plan_ in levels.items():
        columns[f"±{1 - alpha:.0%} {LEVEL_NAMES[level]}发布 {level} published"] = _errors(
            catalogue, plan_, stages, alpha, PARTIES)
    data = tables.frame(catalogue.labels(), columns)
    if stages is not None:
        data = data[[bool(c.stages & stages) for c in catalogue.cells]]
    sheet = tables.Sheet("plan", f"预期误差 Expected error, ρ = {rho:g} + levels",
                         f"catalogue {catalogue.version}, α = {alpha:g}", data)
    text = tables.write([sheet], fmt, out)
    click.echo(text if text is not None else f"已写入 written: {out}")


def _errors(catalogue: Catalogue, noise: dict[str, dp.GroupNoise], stages: frozenset[str] | None,
            alpha: float, count: int) -> list[float]:
    """Per cell, the error a sum of ``count`` independent draws of ``noise`` exceeds with
    probability ``alpha`` (0 for public cells and cells closed to ``stages``)."""
    return [round(dp.accuracy(noise[c.group].scale, alpha, count), 1)
            if c.group in noise and (stages is None or c.stages & stages) else 0.0
            for c in catalogue.cells]
