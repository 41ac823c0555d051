"""``guanai aggregator check-figures``: is the figures store what the log says?

The figures store is kept current in the transaction that accepts each submission, so it should
never differ from a rebuild from the log; this command proves it on a live store (an inspector
or an operator after a crash can run it), and with ``--rebuild`` replaces it by the rebuild.
"""

from __future__ import annotations

from pathlib import Path

import click

from aggregator.figures import cube
from aggregator.store.sqlite import Store

SHOWN = 20  # differences listed before "… and N more"


@click.command("check-figures")
@click.option("--rebuild", is_flag=True,
              help="重建 Replace the figures store by the rebuild from the log (one transaction).")
@click.pass_obj
def check_figures(db: Path, rebuild: bool) -> None:
    """核对数据 Check the figures store against a rebuild from the log."""
    store = Store(db)
    try:
        problems = cube.check(store)
        periods = cube.periods(store)
        if not problems:
            click.echo(f"一致 the figures store matches the log ({len(periods)} periods)")
        else:
            for line in problems[:SHOWN]:
                click.echo(f"不一致 {line}")
            if len(problems) > SHOWN:
                click.echo(f"… and {len(problems) - SHOWN} more")
        if rebuild:
            rows = cube.rebuild(store)
            click.echo(f"已重建 rebuilt from the log: {rows} rows")
        elif problems:
            raise click.ClickException(f"{len(problems)} 处不一致 differences; run again with --rebuild")
    finally:
        store.close()


FIGURES_COMMANDS: list[click.Command] = [check_figures]
