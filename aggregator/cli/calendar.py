"""``guanai aggregator …`` for the reporting calendar: deadlines, unlock, return, decisions,
staff credentials, key rotation and annual summaries (docs/calendar.md)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import click

from aggregator.calendar import decisions
from aggregator.calendar.timeliness import deadlines
from aggregator.keys import keyring, own_identity, staff
from aggregator.rollup import summaries
from aggregator.rollup.build import notify_parent, send_to_parent
from aggregator.store.sqlite import Store
from common import tables
from common.clock import SYSTEM
from member.client import ClientTls
from member.options import Sending, client_tls_options, send_options
from privacy.envelope import parse_signed
from protos.catalogue import load
from protos.deadlines import (
    DEFAULT_LOCK_DAYS,
    TIMELINESS_LABELS,
    Deadlines,
    end_of_day,
    local_date,
    local_text,
)
from protos.periods import Period
from protos.regions import name


def _open(db: Path) -> tuple[Store, own_identity.Settings]:
    store = Store(db)
    return store, own_identity.load(store)


def _now() -> datetime:
    return SYSTEM.now()


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> Period:
    return Period.from_human(value)


period_option = click.option("--period", required=True, callback=_period,
                             help="报送期 Period: 2025-H1 或 2025上半年、2025年春季学期; 2025-H2 或 "
                                  "2025下半年; 2025 或 2025年度 (annual).")
year_option = click.option("--year", "year", required=True, callback=_period,
                           help="年份 The year of the annual summary, e.g. 2025.")
credential_option = click.option(
    "--credential", required=True, envvar="GUANAI_STAFF_CREDENTIAL",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your staff credential (工作人员凭据) key file; also $GUANAI_STAFF_CREDENTIAL.")
day_type = click.DateTime(["%Y-%m-%d"])


@click.command("deadline")
@period_option
@click.option("--due", type=day_type, help="截止日 Last day on time (24:00 Beijing time); default "
              "the plan's due day.")
@click.option("--lock", type=day_type, help="锁定日 Last day accepted without an exception; default "
              "15 days after the due day.")
@credential_option
@click.pass_obj
def deadline(db: Path, period: Period, due: datetime | None, lock: datetime | None,
             credential: Path) -> None:
    """截止与锁定 Set the period's deadline and lock date at this aggregator."""
    store, settings = _open(db)
    current = deadlines(store, period)
    new_due = end_of_day(due.date()) if due else current.due
    if lock:
        new_lock = end_of_day(lock.date())
    else:
        new_lock = new_due + timedelta(days=DEFAULT_LOCK_DAYS) if due else current.lock
    limits = Deadlines(new_due, new_lock)
    decisions.set_deadlines(store, settings, staff.load(store, credential), period, limits, _now())
    click.echo(f"已设置 set for {period}: 截止 due {local_text(limits.due)}, 锁定 locked after "
               f"{local_text(limits.lock)} (Beijing time)")


@click.command("deadlines")
@click.option("--year", help="年份 The year.", type=int, default=lambda: local_date(SYSTEM.now()).year,
              show_default="this year")
@click.pass_obj
def deadlines_command(db: Path, year: int) -> None:
    """截止日期 The deadlines and lock dates of a year's periods here."""
    store, _ = _open(db)
    click.echo("期次 Period   截止 Due (Beijing)     锁定 Locked after")
    for period in Period.of_year(year):
        limits = deadlines(store, period)
        click.echo(f"{period.code:<11}{local_text(limits.due):<22}{local_text(limits.lock)}")


@click.command("unlock")
@click.option("--member", "member_id", help="成员 The member: a school id or a region code.", required=True)
@period_option
@click.option("--until", type=day_type, help="例外截止日 Last day of the exception (default: 14 days).")
@click.option("--reason", default="", help="理由 Why the exception is granted (kept in the record).")
@credential_option
@click.pass_obj
def unlock(db: Path, member_id: str, period: Period, until: datetime | None, reason: str,
           credential: Path) -> None:
    """准予补报 Let a member submit for a locked period (an exception, recorded)."""
    store, settings = _open(db)
    ends = end_of_day(until.date()) if until else None
    decision = decisions.unlock(store, settings, staff.load(store, credential), member_id,
                                period, _now(), ends, reason)
    click.echo(f"已准予补报 exception granted (decision {decision}): {member_id} may submit "
               f"{period} after the lock")


@click.command("return")
@click.option("--member", "member_id", help="成员 The member: a school id or a region code.", required=True)
@period_option
@click.option("--reason", required=True,
              help="理由 What to correct; sent to the member (never a student's name or number).")
@credential_option
@click.pass_obj
def return_command(db: Path, member_id: str, period: Period, reason: str,
                   credential: Path) -> None:
    """退回修改 Return a member's submission for correction, with the reason."""
    store, settings = _open(db)
    returned = decisions.return_submission(store, settings, staff.load(store, credential),
                                           member_id, period, reason, _now())
    click.echo(f"已退回 returned {member_id} {period} revision {returned.revision} (decision "
               f"{returned.decision_id}); it leaves the rollup until a new revision arrives")


@click.command("decisions")
@click.option("--member", "member_id", help="成员 Only this member's.")
@click.option("--period", help="报送期 Only this period's.")
@click.pass_obj
def decisions_command(db: Path, member_id: str | None, period: str | None) -> None:
    """决定记录 Every decision with its time and the credential that made it."""
    store, _ = _open(db)
    held = store.decisions(member_id, period)
    click.echo("序号 No  时间 Time (UTC)              类型 Kind   成员 Member    期次 Period  "
               "凭据 Credential")
    for d in held:
        click.echo(f"{d.id:<8}{d.made_at:<27}{d.kind:<10}{d.member_id or '-':<14}"
                   f"{d.period or '-':<12}{d.credential}")
        click.echo(f"        {_record_text(d.record)}")
    if not held:
        click.echo("暂无 none")


def _record_text(record: bytes) -> str:
    """A decision's record as a person reads it: the JSON of a decision made here, or for a
    member's own signed request (a rotation, a revocation notice) its size and SHA-256."""
    try:
        return record.decode("utf-8")
    except UnicodeDecodeError:
        return (f"成员签名请求 the member's signed request: {len(record)} bytes, SHA-256 "
                f"{hashlib.sha256(record).hexdigest()}")


@click.group("staff")
def staff_group() -> None:
    """工作人员凭据 Staff credentials that sign decisions."""


@staff_group.command("add")
@click.option("--name", "official", required=True, help="姓名 The official's name.")
@click.option("--key-out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="凭据文件 Where to write the new credential (mode 0600); give it to that official.")
@click.pass_obj
def staff_add(db: Path, official: str, key_out: Path) -> None:
    """登记工作人员 Make and register a credential for an official."""
    store, settings = _open(db)
    kid = decisions.register_staff(store, settings, official, key_out, _now())
    click.echo(f"已登记 registered {official}: credential {key_out} (key {kid}); keep it secret")


@staff_group.command("list")
@click.pass_obj
def staff_list(db: Path) -> None:
    """工作人员 Registered officials and their credentials' key ids."""
    store, _ = _open(db)
    for official in store.staff():
        click.echo(f"{official.key_id}  {official.added_at}  {official.name}")


@click.command("rotate-keys")
@client_tls_options
@click.pass_obj
def rotate_keys(db: Path, client_tls: ClientTls | None) -> None:
    """密钥轮换 Move to new signing and sealing keys; the parent enrols the new one first."""
    store, settings = _open(db)
    new_signing, _ = keyring.next_keys(db)
    if settings.parent_region is not None:
        parent = own_identity.parent(store)
        if parent is None:
            raise click.ClickException("未设置上级 no parent address: import its export with "
                                       "`guanai aggregator parent FILE` first")
        keyring.announce(settings, parent, new_signing, _now(), client_tls)
        click.echo(f"上级已登记新密钥 {parent.id} enrolled the new signing key")
    keyring.switch(store, settings, _now())
    click.echo("已轮换 keys rotated; old ones kept beside the store. Restart the service "
               "(`guanai aggregator serve`) to use them; members learn them from their next "
               "status request. Export the new keys for new members: `… export-keys`")


@click.command("notify-revocations")
@client_tls_options
@click.pass_obj
def notify_revocations(db: Path, client_tls: ClientTls | None) -> None:
    """上报吊销 Tell the parent now of every member key revoked here, so that it refuses them
    too (the next rollup also carries them)."""
    store, settings = _open(db)
    count = notify_parent(store, settings, _now(), client_tls)
    click.echo(f"已告知上级 the parent took the revoked keys of {count} member(s); from each "
               "revocation's time it answers them nothing")


@click.group("summary")
def summary_group() -> None:
    """年度工作总结 Annual work summaries (attachment 2)."""


@summary_group.command("file")
@year_option
@click.argument("text_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@send_options
@click.pass_obj
def summary_file(db: Path, year: Period, text_file: Path, **options: object) -> None:
    """报送本级总结 File this aggregator's summary (Markdown) with its members' and send it up."""
    sending = Sending.from_options(**options)
    store, settings = _open(db)
    text = _read_text(text_file)
    made = summaries.file_summary(store, settings, year, text, _now())
    report = parse_signed(made.signed)[1]
    click.echo(f"工作总结已生成 summary made: {year} revision {made.revision}, "
               f"{len(report.members)} members' summaries named, {len(report.missing)} not filed")
    if settings.parent_region is None:
        click.echo("本级为最高级 top level: kept here, nothing is sent")
        return
    body = send_to_parent(store, settings, made, _now(), **sending.keywords())
    click.echo(f"已报送 delivered to {body.aggregator_id}: 回执 receipt verified "
               f"({TIMELINESS_LABELS.get(body.timeliness, '-')}), log index {body.log_index}")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text; save it as UTF-8 (Markdown)") from exc


@summary_group.command("list")
@year_option
@click.pass_obj
def summary_list(db: Path, year: Period) -> None:
    """已报总结 Which members (and schools below them) have filed the year's summary."""
    store, settings = _open(db)
    held = summaries.filed(store, year)
    click.echo(f"年度工作总结 Annual work summaries · {settings.describe()} · {year.label_zh} "
               f"{year.label_en}")
    for f in held:
        r = f.report
        via = f"via {f.via}" if f.via else (f.received_at or "")
        click.echo(f"{r.sender_id:<12}{name(r.region_code)} {r.region_code:<8} revision "
                   f"{r.revision:<3}{TIMELINESS_LABELS.get(f.timeliness or '', ''):<12}{via}")
        if r.missing:
            click.echo(f"    未报 not filed below: {', '.join(r.missing)}")
    senders = {f.report.sender_id for f in held}
    missing = [m.member_id for m in store.members() if m.member_id not in senders]
    click.echo(f"未报成员 Members without a summary: {', '.join(missing) if missing else '无 none'}")


@summary_group.command("show")
@click.option("--member", "member_id", required=True, help="成员 The school or region it is from.")
@year_option
@click.option("--figures", is_flag=True, help="附表 Also print the attached figures as a table.")
@click.pass_obj
def summary_show(db: Path, member_id: str, year: Period, figures: bool) -> None:
    """查看总结 Show a summary's text and what it attaches."""
    store, settings = _open(db)
    found = summaries.find(store, settings, member_id, year)
    report = found.report
    attached = [parse_signed(f)[1] for f in report.summary.figures]
    click.echo(f"年度工作总结 Annual work summary · {report.sender_id} ({name(report.region_code)} "
               f"{report.region_code}) · {year.label_zh} {year.label_en} · 第{report.revision}版 "
               f"revision {report.revision}")
    click.echo("─" * 60)
    click.echo(report.summary.text.rstrip())
    click.echo("─" * 60)
    listed = ", ".join(f"{a.period} revision {a.revision}" for a in attached) or "无 none"
    click.echo(f"附：本年度已发布数据 attached figures: {listed}")
    if figures and attached:
        catalogue = load(attached[0].catalogue_version)
        click.echo(tables.to_text(tables.frame(catalogue.labels(), {
            f"{a.period} 发布值 Released": list(a.values) for a in attached})))


CALENDAR_COMMANDS: list[click.Command] = [deadline, deadlines_command, unlock, return_command,
                                          decisions_command, staff_group, rotate_keys,
                                          notify_revocations, summary_group]
