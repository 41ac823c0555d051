"""``guanai node credential``: the school's own credential, to query its own figures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from node.membership import MembershipError, signing_key
from node.store import get_meta, open_store
from privacy import credential


@click.command("credential")
@click.option("--days", help="有效天数 Days the credential is valid.", type=click.IntRange(1, 366), default=30, show_default=True)
@click.option("--out", help="凭据文件 Where to write the credential (keep it secret).", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def credential_command(db: Path, days: int, out: Path) -> None:
    """查询凭据 Sign a credential with the school's key to query its own figures."""
    school_id = get_meta(open_store(db), "school_id")
    if not school_id:
        raise MembershipError("未初始化 this store has no school id (run `guanai node init` first)")
    token = credential.issue(signing_key(db), school_id, "school", school_id, "aid-office",
                            timedelta(days=days))
    out.write_text(credential.to_text(token) + "\n", encoding="ascii")
    out.chmod(0o600)
    click.echo(f"凭据已签发 credential for school {school_id}, {days} days → {out}; use it with "
               "`guanai query --credential` at the county or the province")
