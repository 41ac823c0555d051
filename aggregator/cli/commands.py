"""``guanai aggregator …``: county, city and provincial aggregators."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import click

from aggregator.calendar import decisions
from aggregator.calendar.completeness import by_region, member_status
from aggregator.calendar.timeliness import deadlines
from aggregator.cli.calendar import CALENDAR_COMMANDS, credential_option
from aggregator.cli.configfile import config_option
from aggregator.cli.figures import FIGURES_COMMANDS
from aggregator.cli.signoff import SIGNOFF_COMMANDS
from aggregator.cli.staff import STAFF_COMMANDS
from aggregator.cli.tables import TABLE_COMMANDS
from aggregator.cli.web import WEB_COMMANDS
from aggregator.grpc import server
from aggregator.intake import enrolment
from aggregator.intake.catalogues import CataloguePolicy
from aggregator.keys import own_identity, staff
from aggregator.log.export import export_bundle
from aggregator.rollup import signoff
from aggregator.rollup.build import make_rollup, rollup_report, send_to_parent
from aggregator.store.sqlite import Store
from common.clock import SYSTEM
from member.options import Sending, send_options
from privacy.budget import (
    DEFAULT_ANNUAL_CAP,
    DEFAULT_RHO_ANNUAL,
    DEFAULT_RHO_HALF_YEAR,
    BudgetPolicy,
)
from privacy.identity import LEVELS, Identity
from protos.deadlines import TIMELINESS_LABELS, local_text
from protos.periods import Period
from protos.regions import name

DEFAULT_DB = "guanai-aggregator.db"


@click.group()
@click.option("--db", envvar="GUANAI_AGGREGATOR_DB", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="汇总库 The aggregator's store (SQLite); also $GUANAI_AGGREGATOR_DB.")
@config_option()
@click.pass_context
def aggregator(ctx: click.Context, db: Path) -> None:
    """汇总节点 Aggregator (county 县区, city 市, province 省)."""
    ctx.obj = db


def _open(db: Path) -> tuple[Store, own_identity.Settings]:
    store = Store(db)
    return store, own_identity.load(store)


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    return Period.from_human(value)


period_option = click.option("--period", required=True, callback=_period,
                             help="2025-H1 (上半年), 2025-H2 (下半年) or 2025 (年度).")


@aggregator.command()
@click.option("--level", "level_name", help="级别 Level: county 县区, city 市 or province 省.", type=click.Choice(LEVELS), required=True)
@click.option("--region", required=True, help="6-digit region code, e.g. 610102 (新城区).")
@click.option("--parent-region", help="上级地区 Region code of the aggregator this one reports to.")
@click.pass_obj
def init(db: Path, level_name: str, region: str, parent_region: str | None) -> None:
    """建立汇总节点 Create the aggregator's store, signing key and sealing key."""
    settings = own_identity.init(db, level_name, region, parent_region)
    signing, sealing = own_identity.key_paths(db)
    click.echo(f"汇总节点已建立 aggregator ready: {settings.describe()} → {db}")
    click.echo(f"密钥 keys (mode 0600, keep them secret): {signing}, {sealing}")


@aggregator.command("export-keys")
@click.option("--address", required=True, help="地址 host:port where members reach this aggregator.")
@click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS 根证书 PEM root certificate of the server's TLS chain, for members to trust.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="输出 Write to this file (default: print).")
@click.pass_obj
def export_keys(db: Path, address: str, tls_ca: Path | None, out: Path | None) -> None:
    """导出公钥 Write the file members import (region, level, address, public keys)."""
    _, settings = _open(db)
    text = settings.identity(address, tls_ca.read_text("ascii") if tls_ca else None).to_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"已导出 exported to {out}: members import it with `guanai node parent` "
                   "or `guanai aggregator parent`")


@aggregator.command()
@click.option("--key", "key_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="身份文件 The member's export (`guanai node export-key` or `… aggregator export-keys`).")
@click.option("--member-id", help="成员标识 Expected member id; refused if the file names another.")
@click.option("--kind", type=click.Choice(["school", "aggregator"]),
              help="类型 Expected kind; refused if the file says another.")
@click.pass_obj
def enroll(db: Path, key_file: Path, member_id: str | None, kind: str | None) -> None:
    """登记成员 Enrol a member's public key so that its submissions are accepted."""
    store, settings = _open(db)
    identity = Identity.from_json(key_file.read_text(encoding="utf-8"))
    if member_id not in (None, identity.id) or kind not in (None, identity.kind):
        raise click.ClickException(
            f"{key_file} is the export of {identity.kind} {identity.id}, not what was expected")
    key, new = enrolment.enrol(store, settings, identity)
    verb = "已登记 enrolled" if new else "已登记过 already enrolled"
    click.echo(f"{verb}: {identity.kind} {identity.id} ({name(identity.region)} "
               f"{identity.region}), key {key.key_id}")


@aggregator.command()
@click.option("--member-id", help="成员标识 The member whose keys are revoked.", required=True)
@click.option("--key-id", help="密钥标识 Revoke only this key (default: every key of the member).")
@click.option("--from", "from_", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S",
                                                       "%Y-%m-%d"]),
              help="生效时间 Refuse from this time (ISO 8601; local time if no offset; default now).")
@credential_option
@click.pass_obj
def revoke(db: Path, member_id: str, key_id: str | None, from_: datetime | None,
           credential: Path) -> None:
    """吊销密钥 Refuse a member's key from now (or a given time) on (a recorded decision)."""
    store, settings = _open(db)
    at = from_.astimezone() if from_ is not None else None
    count = decisions.revoke(store, settings, staff.load(store, credential), member_id, key_id,
                             SYSTEM.now(), at)
    click.echo(f"已吊销 revoked {count} key(s) of {member_id}; earlier submissions stay verifiable")
    if settings.parent_region is not None:
        click.echo("请告知上级 tell the parent now, so that it refuses the key too: "
                   "`guanai aggregator notify-revocations` (the next rollup carries it as well)")


@aggregator.command()
@click.argument("register", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def schools(db: Path, register: Path) -> None:
    """导入学校名录 Import the register of schools (学校标识码, 所在地区代码 [, 学校名称]; CSV):
    from then on a school it does not place in the member's region is neither enrolled here
    nor taken in a member's rollup. An import replaces the previous register."""
    store, _ = _open(db)
    count, contradicted = enrolment.import_register(store, register.read_bytes())
    click.echo(f"已导入学校名录 register imported: {count} schools")
    for problem in contradicted:
        click.echo(f"注意 note: already enrolled here: {problem}")


@aggregator.command()
@click.pass_obj
def members(db: Path) -> None:
    """成员 List enrolled members and their keys."""
    store, _ = _open(db)
    click.echo("成员 Member    类型 Kind     地区 Region            密钥 Key          吊销 Revoked")
    for member in store.members():
        for key in store.keys(member.member_id):
            click.echo(f"{member.member_id:<14}{member.kind:<12}"
                       f"{name(member.region) + ' ' + member.region:<20}{key.key_id:<18}"
                       f"{key.revoked_at or '-'}")


@aggregator.command("parent")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def parent_command(db: Path, export: Path) -> None:
    """设置上级 Import the export of the aggregator this one reports to."""
    store, settings = _open(db)
    identity = Identity.from_json(export.read_text(encoding="utf-8"))
    own_identity.set_parent(store, settings, identity)
    click.echo(f"上级已设置 parent set: {identity.id} ({identity.level}) at {identity.address}")


@aggregator.command()
@click.option("--listen", default="127.0.0.1:50051", show_default=True, help="监听地址 host:port")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="服务器证书 Server certificate chain (PEM); enables TLS.")
@click.option("--tls-key", help="服务器私钥 Private key (PEM) of the server certificate.", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tls-client-ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="客户端 CA CA (PEM) of members' client certificates; enables mutual TLS.")
@click.option("--max-message-mb", type=click.FloatRange(min=0.001), default=64.0,
              show_default=True, help="最大请求 Largest request accepted (RESOURCE_EXHAUSTED beyond).")
@click.option("--grace", type=click.FloatRange(min=0), default=server.DEFAULT_GRACE_SECONDS,
              show_default=True, help="停止宽限 Seconds to finish submissions in flight when stopping.")
@click.option("--metrics-listen", help="监控地址 host:port serving GET /metrics (Prometheus text format).")
@click.option("--accept-catalogue", "accept", multiple=True,
              help="接受的目录版本 A catalogue version accepted (repeatable; default: every version known).")
@click.option("--accept-until", "until", multiple=True, metavar="VERSION=YYYY-MM-DD",
              help="过渡截止日 Last day a version is accepted: the end of its transition (repeatable).")
@click.option("--rho-half-year", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_RHO_HALF_YEAR, show_default=True,
              help="半年表 ρ The federation's ρ per half-year school table (less noise is refused).")
@click.option("--rho-annual", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_RHO_ANNUAL, show_default=True, help="年度表 ρ per annual table.")
@click.option("--annual-cap", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_ANNUAL_CAP, show_default=True,
              help="年度上限 ρ per school and year, every revision held counted.")
@config_option("serve")
@click.pass_obj
def serve(db: Path, listen: str, tls_cert: Path | None, tls_key: Path | None,
          tls_client_ca: Path | None, max_message_mb: float, grace: float,
          metrics_listen: str | None, accept: tuple[str, ...], until: tuple[str, ...],
          rho_half_year: float, rho_annual: float, annual_cap: float) -> None:
    """服务 Serve gRPC until SIGTERM or Ctrl-C (then stop gracefully)."""
    if (tls_cert is None) != (tls_key is None) or (tls_client_ca and not tls_cert):
        raise click.UsageError("--tls-cert and --tls-key go together; --tls-client-ca needs them")
    tls = server.Tls.from_files(tls_cert, tls_key, tls_client_ca) if tls_cert else None
    catalogues = CataloguePolicy(accept or None, _last_days(until))
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    budget = BudgetPolicy(rho_half_year, rho_annual, annual_cap)
    server.serve(db, listen, tls, int(max_message_mb * 1024 * 1024), grace,
                 catalogues=catalogues, metrics_listen=metrics_listen, budget=budget)


def _last_days(until: tuple[str, ...]) -> dict[str, date]:
    days = {}
    for item in until:
        version, _, day = item.partition("=")
        try:
            days[version.strip()] = date.fromisoformat(day.strip())
        except ValueError:
            raise click.BadParameter(f"{item!r} is not VERSION=YYYY-MM-DD",
                                     param_hint="--accept-until") from None
    return days


@aggregator.command()
@period_option
@send_options
@click.option("--waive", "waived", multiple=True, metavar="ROLE",
              help="免签 Send without this role's approval (填表人/审核人/单位负责人); needs "
                   "--reason, recorded and signed into the rollup. May be repeated.")
@click.option("--reason", default="", help="免签理由 Why the waived roles did not sign.")
@click.pass_obj
def rollup(db: Path, period: Period, waived: tuple[str, ...], reason: str,
           **options: object) -> None:
    """汇总上报 Sum the members' latest reports; sign, seal and send the rollup to the parent.

    It is sent only after 填表人、审核人、单位负责人 have approved it (`guanai aggregator
    approve`) or were waived with --waive ROLE --reason TEXT.
    """
    sending = Sending.from_options(**options)
    store, settings = _open(db)
    for role in waived:
        signoff.waive(store, settings, period, role, reason, SYSTEM.now())
    made, new = make_rollup(store, settings, period)
    report = rollup_report(made)
    click.echo(f"{'汇总已生成 rollup made' if new else '汇总未变 rollup unchanged'}: {period} "
               f"revision {made.revision}, {len(report.members)} members included, "
               f"{len(report.missing)} missing{': ' + ', '.join(report.missing) if report.missing else ''}")
    if settings.parent_region is None:
        click.echo("本级为最高级 top level: the rollup is kept here, nothing is sent")
        return
    made = signoff.sign_off(store, settings, period)
    body = send_to_parent(store, settings, made, SYSTEM.now(), **sending.keywords())
    click.echo(f"已上报 delivered to {body.aggregator_id}: 回执 receipt verified, log index "
               f"{body.log_index} of {body.tree_size}")


@aggregator.command()
@period_option
@click.pass_obj
def status(db: Path, period: Period) -> None:
    """完整性 Who has submitted for the period and who is missing (一个都不少), by region."""
    store, settings = _open(db)
    statuses = member_status(store, period)
    limits = deadlines(store, period)
    click.echo(f"完整性（一个都不少）Completeness (not one left out): {settings.describe()} · "
               f"{period.label_zh} {period.label_en} · 截止 due {local_text(limits.due)}, "
               f"锁定 locked after {local_text(limits.lock)} (Beijing time)")
    click.echo(f"{'地区 Region':<22}{'应报 Enrolled':>14}{'已报 Submitted':>16}{'按时 On time':>13}"
               f"{'逾期 Late':>10}{'退回 Returned':>15}{'未报 Missing':>14}")
    regions = by_region(statuses)
    for r in regions:
        click.echo(f"{r.label:<22}{r.enrolled:>14}{r.submitted:>16}"
                   f"{r.submitted - len(r.late):>13}{len(r.late):>10}{len(r.returned):>15}"
                   f"{len(r.missing):>14}")
    total = {key: sum(len(getattr(r, key)) for r in regions)
             for key in ("late", "returned", "missing")}
    enrolled, submitted = sum(r.enrolled for r in regions), sum(r.submitted for r in regions)
    click.echo(f"{'合计 Total':<22}{enrolled:>14}{submitted:>16}{submitted - total['late']:>13}"
               f"{total['late']:>10}{total['returned']:>15}{total['missing']:>14}")
    for key, label in (("missing", "未报 Missing"), ("late", "逾期 Late")):
        listed = [m for r in regions for m in getattr(r, key)]
        click.echo(f"{label}: {', '.join(listed) if listed else '无 none'}")
    for s in statuses:
        if s.returned is not None:
            click.echo(f"退回修改 returned: {s.member.member_id} revision {s.returned.revision} "
                       f"at {local_text(datetime.fromisoformat(s.returned.returned_at))}: "
                       f"{s.returned.reason}")
    for s in statuses:
        if s.submission is not None and s.member.kind == "aggregator":
            lacking = ", ".join(s.missing_below) if s.missing_below else "无 none"
            late_below = ", ".join(s.late_below) if s.late_below else "无 none"
            click.echo(f"下级汇总 rollup of {name(s.member.region)} {s.member.member_id} "
                       f"(revision {s.submission.revision}, "
                       f"{TIMELINESS_LABELS.get(s.timeliness or '', '-')}): "
                       f"已含 {s.included} members included, 逾期 late below: {late_below}, "
                       f"未报 missing below: {lacking}")


@aggregator.command("export")
@period_option
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出 A new folder for the bundle.")
@click.pass_obj
def export_command(db: Path, period: Period, out: Path) -> None:
    """导出核验包 Export the period's bundle for inspectors (督查): log, checkpoints, signed reports."""
    store, settings = _open(db)
    done = export_bundle(store, settings, period, out)
    click.echo(f"已导出核验包 bundle written to {done.path}: {period}, log of {done.tree_size} leaves, "
               f"{done.checkpoints} checkpoints, {done.submissions} submissions, "
               f"{done.forwarded} forwarded reports, {done.rollups} rollups, "
               f"{done.receipts} receipts; check it with `guanai inspect verify {done.path}`")


for _command in (*CALENDAR_COMMANDS, *STAFF_COMMANDS, *FIGURES_COMMANDS, *SIGNOFF_COMMANDS,
                 *TABLE_COMMANDS, *WEB_COMMANDS):
    aggregator.add_command(_command)
