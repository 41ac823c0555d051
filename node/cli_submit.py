"""``guanai node export-key | parent | submit | receipts``: reporting to the parent aggregator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from member.options import Sending, send_options
from node.membership import import_helper, import_parent, own_identity, parent
from node.receipt_files import export_receipts
from node.store import open_store
from node.store import shares as share_rows
from node.submit import outbox, receipts, submit
from privacy.identity import Identity
from protos.periods import Period


@click.command("export-key")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="输出 Write to this file (default: print).")
@click.pass_obj
def export_key(db: Path, out: Path | None) -> None:
    """导出公钥 Export the school's id, county and public key for the county to enrol."""
    text = own_identity(open_store(db), db).to_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"已导出 exported the public key to {out}; give it to the county (县区教育局)")


@click.command("parent")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def parent_command(db: Path, export: Path) -> None:
    """设置上级 Import the export of the aggregator this school reports to."""
    identity = Identity.from_json(export.read_text(encoding="utf-8"))
    import_parent(open_store(db), identity)
    click.echo(f"上级已设置 parent set: {identity.id} ({identity.level}) at {identity.address}")


@click.command("helper")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def helper_command(db: Path, export: Path) -> None:
    """设置协助方 Import the export of the province's helper (协助方): from then on each release
    also makes two secret shares of the table, one for the parent, one for the helper."""
    identity = Identity.from_json(export.read_text(encoding="utf-8"))
    import_helper(open_store(db), identity)
    click.echo(f"协助方已设置 helper set: {identity.id} at {identity.address}; releases from now "
               "on are also sent as two secret shares (docs/secure-aggregation.md)")


def _period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Period | None:
    return Period.from_human(value) if value else None


@click.command("submit")
@click.option("--period", callback=_period,
              help="报送期 Queue this period's latest release (e.g. 2025-H1); without it, resume the "
                   "outbox.")
@send_options
@click.pass_obj
def submit_command(db: Path, period: Period | None, **options: object) -> None:
    """报送 Send the stored release, signed and sealed, until the parent's receipt is held."""
    sending = Sending.from_options(**options)
    store = open_store(db)
    bodies = submit(store, db, period, **sending.keywords())
    for body in bodies:
        click.echo(f"已报送 delivered {body.period} revision {body.revision} to {body.aggregator_id}:"
                   f" 回执 receipt verified, log index {body.log_index} of {body.tree_size}")
    for share in share_rows.every(store):
        if share.state == "delivered" and (period is None or share.period == period.code):
            click.echo(f"份额已送达 {share.party} share of {share.period} revision "
                       f"{share.revision} delivered to {share.recipient_id}: 回执 receipt "
                       f"verified, log index {share.log_index}")
    if not bodies:
        held = [r for r in receipts(store) if period is not None and r.period == period.code]
        click.echo(f"已报送过 already delivered: {period} revision {held[-1].revision}, log index "
                   f"{held[-1].log_index}" if held else "无待报送 nothing waiting in the outbox")


@click.command("receipts")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path),
              help="导出回执 Also write every receipt, with the bytes it vouches for, to this folder "
                   "(for `guanai inspect verify --receipts`).")
@click.pass_obj
def receipts_command(db: Path, export_dir: Path | None) -> None:
    """回执 Show the parent's receipts and what is still in the outbox."""
    store = open_store(db)
    if export_dir is not None:
        files = export_receipts(store, export_dir)
        click.echo(f"已导出回执 exported {len(files)} receipt(s) to {export_dir}, for inspectors "
                   "(督查): `guanai inspect verify BUNDLE --receipts DIR`")
    held = receipts(store)
    click.echo("期次 Period  版本 Rev  汇总节点 Aggregator  日志序号 Log index  "
               "日志大小 Tree size  接收时间 Accepted (UTC)")
    for r in held:
        accepted = datetime.fromtimestamp(r.body.accepted_unix_ms / 1000, UTC)
        click.echo(f"{r.period:<12}{r.revision:<9}{r.aggregator_id:<18}{r.log_index:<19}"
                   f"{r.tree_size:<19}{accepted:%Y-%m-%d %H:%M:%S}")
    waiting = [i for i in outbox(store) if i.state in ("pending", "refused")]
    for item in waiting:
        state = "待报送 pending" if item.state == "pending" else "被拒收 refused"
        click.echo(f"{state}: {item.period} revision {item.revision} → {item.recipient_id}, "
                   f"{item.attempts} attempts; last error: {item.last_error or '-'}")
    if not held and not waiting:
        click.echo("暂无回执 no receipts yet")
    if waiting:
        click.echo(f"上级 parent: {parent(store).address}")


SUBMIT_COMMANDS: list[click.Command] = [export_key, parent_command, helper_command,
                                        submit_command, receipts_command]
