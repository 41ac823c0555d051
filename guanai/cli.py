"""The ``guanai`` command: one entry point, a subcommand group per role.

Each role's commands are imported only when that role is asked for: ``guanai query`` loads the
query client and not pandas, matplotlib, OpenDP or the stores, so it starts in a fraction of a
second. ``guanai --help`` lists the groups from ``COMMANDS`` without importing any of them.
"""

from __future__ import annotations

import importlib
import sys

import click

from common import cli as click_messages
from common import logs
from common.errors import GuanaiError

click_messages.install()  # click's own words (usage, errors) Chinese first

# name: (module, attribute, the line shown by `guanai --help`)
COMMANDS = {
    "aggregator": ("aggregator.cli.commands", "aggregator",
                   "汇总节点 Aggregator (county 县区, city 市, province 省)."),
    "demo": ("guanai.demo", "demo",
             "演示 Run a whole reporting round of a synthetic province on localhost."),
    "inspect": ("inspector.cli", "inspect", "督查核验 Inspector: verify exported bundles offline."),
    "node": ("node.cli", "node", "学校节点 School node: records stay here; only DP tables leave."),
    "plan": ("guanai.plan", "plan", "隐私预算规划 Plan the budget: expected error of every cell for ρ."),
    "query": ("guanai.query", "query",
              "统计查询 Figures with confidence intervals, from an aggregator."),
    "synth": ("synth.cli", "synth", "合成数据 Synthetic data (never real students)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are run or asked for by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        if cmd_name in ("node", "aggregator"):
            from guanai import backup

            extras = backup.commands(cmd_name)
            if cmd_name == "node":  # the school's table shares the aggregators' table code
                from guanai.school_table import report

                extras.append(report)
            for extra in extras:
                if extra.name not in command.commands:
                    command.add_command(extra)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("命令 Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="详细日志 Log debug messages.")
@click.option("--log-format", type=click.Choice(logs.FORMATS), default="text", show_default=True,
              envvar="GUANAI_LOG_FORMAT",
              help="日志格式：文本，或每行一个 JSON 对象 Plain text, or one JSON object per line.")
@click.version_option(package_name="guanai", prog_name="guanai")
def cli(verbose: bool, log_format: str) -> None:
    """关爱 guanai — 困境学生教育助学关爱服务 federated reporting.

    Schools keep names local and send only signed, sealed, differentially private tables.
    """
    logs.configure(log_format, "debug" if verbose else "info")


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
