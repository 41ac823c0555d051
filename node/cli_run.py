"""``guanai node run | status | summary | rotate-key``: the school's year-round calendar."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import click

from common.clock import SYSTEM, SystemClock
from member.client import ClientTls
from member.options import client_tls_options
from node import status as node_status
from node import upstream
from node.config import load_config
from node.daemon import Daemon
from node.screening import IdentifiableText
from node.store import open_store
from node.summary import file_summary
from protos.periods import Period

config_option = click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                             envvar="GUANAI_NODE_CONFIG",
                             help="配置文件 Node configuration (TOML): [budget] and [schedule].")


@click.command("run")
@config_option
@client_tls_options
@click.pass_obj
def run(db: Path, config: Path | None, client_tls: ClientTls | None) -> None:
    """日程 Keep the reporting calendar: check, release and submit each period on time.

    Runs until SIGTERM or Ctrl-C; what it finds is logged and shown by `guanai node status`.
    """
    settings = load_config(config)
    open_store(db).conn.close()  # a missing store is said now, not in the log
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Daemon(db, SystemClock(), settings.schedule, settings.budget,
           client_tls).run(stop)


@click.command("status")
@config_option
@click.pass_obj
def status(db: Path, config: Path | None) -> None:
    """状态 Each period's deadline, state, problems and returns for correction."""
    store = open_store(db)
    for line in node_status.lines(store, db, load_config(config).schedule, SYSTEM.now()):
        click.echo(line)


def _year(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    return Period.from_human(value)


@click.command("summary")
@click.option("--year", required=True, callback=_year, help="年份 The year it reports on, e.g. 2025.")
@click.argument("text_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--allow", multiple=True, metavar="PHRASE",
              help="A phrase in the text that contains a student's name or a number but does not "
                   "mean a student (e.g. 文明校园 when a student is named 文明, or a span of "
                   "years such as 2025.9–2026.7); repeatable.")
@click.pass_obj
def summary(db: Path, year: Period, text_file: Path, allow: tuple[str, ...]) -> None:
    """年度工作总结 Screen the annual summary (Markdown), attach the year's figures, queue it."""
    try:
        text = text_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{text_file} is not UTF-8 text; save it as UTF-8") from exc
    try:
        item = file_summary(open_store(db), db, year, text, allow)
    except IdentifiableText as refused:
        for finding in refused.findings:  # in context, on this screen only
            click.echo(finding.shown(), err=True)
        raise
    click.echo(f"工作总结已签名待报送 summary of {year} signed and queued as revision "
               f"{item.revision}; `guanai node run` sends it, or `guanai node submit` now")


@click.command("rotate-key")
@client_tls_options
@click.pass_obj
def rotate_key(db: Path, client_tls: ClientTls | None) -> None:
    """密钥轮换 Move to a new signing key; the parent enrols it first, nothing is lost."""
    old, new = upstream.rotate_own_key(open_store(db), db, SYSTEM.now(), client_tls)
    click.echo(f"已轮换 signing key {old} → {new}: the parent enrolled {new}; what {old} signed "
               "stays valid")


RUN_COMMANDS: list[click.Command] = [run, status, summary, rotate_key]
