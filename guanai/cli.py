"""The ``guanai`` command: one entry point, a subcommand group per role."""

from __future__ import annotations

import logging
import sys

import click

from aggregator.cli import aggregator
from guanai.demo import demo
from guanai.plan import plan
from guanai.query import query
from inspector.cli import inspect
from node.cli import node
from protos.errors import GuanaiError
from synth.cli import synth


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """关爱 guanai — 困境学生教育助学关爱服务 federated reporting.

    Schools keep names local and send only signed, sealed, differentially private tables.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for group in (node, aggregator, inspect, synth, plan, query, demo):
    cli.add_command(group)


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
