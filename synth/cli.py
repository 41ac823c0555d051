"""``guanai synth …``: synthetic schools and provinces for demos, tests and benchmarks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from protos.periods import Period
from protos.regions import COUNTIES
from synth import province as province_module
from synth import truth
from synth.files import write_school
from synth.geography import county
from synth.idcard import IdCardIssuer
from synth.problems import PROBLEMS
from synth.school import generate, make_spec


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    return Period.from_human(value)


out_option = click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
                          help="输出 Folder to write (created if missing).")
seed_option = click.option("--seed", default=1, show_default=True, type=int,
                           help="随机种子 Same seed, same files, byte for byte.")
period_option = click.option("--period", default="2025-H1", show_default=True,
                             callback=_period, help="报送期 Half-year reported: 2025-H1 or 2025-H2.")
problem_help = "; ".join(f"{p.id} {p.zh}" for p in PROBLEMS.values())


@click.group()
def synth() -> None:
    """合成数据 Synthetic data (never real students)."""


@synth.command()
@out_option
@click.option("--school-id", required=True, help="10-digit 学校标识码, e.g. 2161010001.")
@click.option("--region", required=True, help="County code (县区代码), e.g. 610102.")
@click.option("--students", type=int, help="在校生数 Students enrolled (default: drawn for the type).")
@seed_option
@period_option
@click.option("--name", help="校名 School name (default: invented from the county and type).")
@click.option("--problem", "problems", multiple=True, type=click.Choice(list(PROBLEMS)),
              help=f"Plant a problem (repeatable): {problem_help}.")
def school(out: Path, school_id: str, region: str, students: int | None, seed: int,
           period: Period, name: str | None, problems: tuple[str, ...]) -> None:
    """合成学校 One school's import files and ground_truth.json."""
    started = time.perf_counter()
    birthplaces = tuple(county(code) for code in sorted(COUNTIES))
    spec = make_spec(school_id, county(region), period, seed, students=students, name=name,
                     problems=tuple(dict.fromkeys(problems)), birthplaces=birthplaces)
    generated = generate(spec, IdCardIssuer())
    write_school(generated, out)
    ground_truth = {"meta": truth.meta(seed, period),
                    "schools": {school_id: truth.entry(generated)}}
    (out / "ground_truth.json").write_text(
        json.dumps(ground_truth, ensure_ascii=False, sort_keys=True, indent=1) + "\n",
        encoding="utf-8")
    in_difficulty = sum(s.in_difficulty for s in generated.students)
    click.echo(f"合成学校 synthetic school {school_id} {spec.name}: {spec.students} students, "
               f"{in_difficulty} in difficulty 困境学生 → {out} "
               f"({time.perf_counter() - started:.1f} s)")


@synth.command()
@out_option
@click.option("--counties", default=10, show_default=True, type=int, help="Counties (县区).")
@click.option("--schools-per-county", help="每县学校数 Schools per county.", default=3, show_default=True, type=int)
@seed_option
@period_option
@click.option("--problem-counties", default=0, show_default=True, type=int,
              help="问题县区 Counties whose schools all have a planted problem.")
@click.option("--problem-schools", default=0, show_default=True, type=int,
              help="问题学校 Single schools (outside those counties) with a planted problem.")
@click.option("--problem", "problems", multiple=True, type=click.Choice(list(PROBLEMS)),
              help="问题类型 Kinds to plant, in turn (repeatable; default: all).")
@click.option("--university/--no-university", default=True, show_default=True,
              help="Include universities (普通高等学校, reporting to the province).")
def province(out: Path, counties: int, schools_per_county: int, seed: int, period: Period,
             problem_counties: int, problem_schools: int, problems: tuple[str, ...],
             university: bool) -> None:
    """合成全省 A province: one folder per school, province.toml and ground_truth.json."""
    started = time.perf_counter()
    planned = province_module.plan(
        counties, schools_per_county, seed, period, problem_counties=problem_counties,
        problem_schools=problem_schools, kinds=tuple(dict.fromkeys(problems)) or tuple(PROBLEMS),
        university=university)
    totals = province_module.write(planned, out)
    click.echo(f"合成全省 synthetic province: {totals['counties']} counties, "
               f"{totals['schools']} schools, {totals['students']} students → {out} "
               f"({time.perf_counter() - started:.1f} s)")
