"""``guanai node …``: the school aid office's commands."""

from __future__ import annotations

from pathlib import Path

import click

from node.config import config_option
from node.membership import init_school, key_path

DEFAULT_DB = "guanai-node.db"


@click.group()
@click.option(
    "--db",
    envvar="GUANAI_NODE_DB",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="本校数据库 The school's local store (SQLite); also $GUANAI_NODE_DB.",
)
@config_option()
@click.pass_context
def node(ctx: click.Context, db: Path) -> None:
    """学校节点 School node: records stay here; only DP tables leave."""
    ctx.obj = db


@node.command()
@click.option("--school-id", required=True, help="10-digit 学校标识码, e.g. 2161010001.")
@click.option("--region", required=True, help="县区代码 6-digit county region code (GB/T 2260), e.g. 610102.")
@click.option("--name", "school_name", required=True, help="School name (学校名称), kept locally.")
@click.pass_obj
def init(db: Path, school_id: str, region: str, school_name: str) -> None:
    """Create the school's store and signing key (建立学校节点)."""
    created = init_school(db, school_id, region, school_name)
    click.echo(f"学校节点已建立 node ready: {school_id} {school_name} ({region}) → {db}")
    if created:
        click.echo(f"签名密钥已生成 signing key created: {key_path(db)} (mode 0600; keep it secret)")


def _register() -> None:
    from node.cli_care import CARE_COMMANDS
    from node.cli_credential import credential_command
    from node.cli_release import RELEASE_COMMANDS
    from node.cli_run import RUN_COMMANDS
    from node.cli_submit import SUBMIT_COMMANDS
    from node.cli_web import WEB_COMMANDS

    for command in (*CARE_COMMANDS, *RELEASE_COMMANDS, *SUBMIT_COMMANDS, *RUN_COMMANDS,
                    *WEB_COMMANDS, credential_command):
        node.add_command(command)


_register()
