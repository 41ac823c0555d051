"""The ``guanai`` command: one entry point, a subcommand group per role."""

from __future__ import annotations

import sys

import click

from aggregator.cli.commands import aggregator
from common import logs
from common.errors import GuanaiError
from guanai import backup
from guanai.demo import demo
from guanai.plan import plan
from guanai.query import query
from inspector.cli import inspect
from node.cli import node
from synth.cli import synth


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.option("--log-format", type=click.Choice(logs.FORMATS), default="text", show_default=True,
              envvar="GUANAI_LOG_FORMAT", help="Plain text, or one JSON object per line.")
@click.version_option(package_name="guanai", prog_name="guanai")
def cli(verbose: bool, log_format: str) -> None:
    """关爱 guanai — 困境学生教育助学关爱服务 federated reporting.

    Schools keep names local and send only signed, sealed, differentially private tables.
    """
    logs.configure(log_format, "debug" if verbose else "info")


for group in (node, aggregator, inspect, synth, plan, query, demo):
    cli.add_command(group)
for role, group in (("node", node), ("aggregator", aggregator)):
    for command in backup.commands(role):
        group.add_command(command)


def main() -> None:
    """Run the command; a user's mistake is one clear line on stderr and exit status 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GuanaiError as exc:
        click.echo(f"错误 error: {exc}", err=True)
        sys.exit(2)
