"""``guanai aggregator approve | signoff``: review sign-off of the period's rollup (审核签字).

The filler (填表人), the reviewer (审核人) and the unit head (单位负责人) each approve the rollup
with their own staff credential; ``guanai aggregator rollup`` sends it only then, or with a
role waived by ``--waive ROLE --reason TEXT`` (aggregator/rollup/signoff.py).
"""

from __future__ import annotations

from pathlib import Path

import click

from aggregator.cli.calendar import _open, credential_option, period_option
from aggregator.keys import staff
from aggregator.rollup import signoff
from aggregator.store.sqlite import Store
from common.clock import SYSTEM
from protos.periods import Period
from protos.signoff import ROLES

ROLE_HELP = "角色 Role: 填表人 (filler)、审核人 (reviewer) 或 单位负责人 (head)."


@click.command("approve")
@period_option
@click.option("--role", required=True, help=ROLE_HELP)
@credential_option
@click.pass_obj
def approve(db: Path, period: Period, role: str, credential: Path) -> None:
    """审核签字 Approve the period's current rollup in your role, with your own credential."""
    store, settings = _open(db)
    rollup, approval = signoff.approve(store, settings, staff.load(store, credential), period,
                                       role, SYSTEM.now())
    zh, en = ROLES[approval.role]
    click.echo(f"已签字 approved: {approval.name} as {zh} ({en}) of rollup {period} revision "
               f"{rollup.revision}")
    _show(store, period)


@click.command("signoff")
@period_option
@click.pass_obj
def show(db: Path, period: Period) -> None:
    """签字情况 Who has signed the period's rollup, and who has not yet."""
    store, _ = _open(db)
    _show(store, period)


def _show(store: Store, period: Period) -> None:
    done = {s.role: s for s in signoff.approvals_of(store, period)}
    for code, (zh, en) in ROLES.items():
        s = done.get(code)
        if s is None:
            click.echo(f"  {zh} {en}: 未签 not yet")
        elif s.waived:
            click.echo(f"  {zh} {en}: 免签 waived {s.date} — {s.waiver_reason}")
        else:
            click.echo(f"  {zh} {en}: {s.name} {s.date}")


SIGNOFF_COMMANDS = (approve, show)
