"""``guanai aggregator credential | warnings …``: staff credentials and monitoring warnings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
import pandas as pd

from aggregator.cli.answers import answers
from aggregator.figures.holdings import region_within
from aggregator.keys import own_identity
from aggregator.store.sqlite import Store
from aggregator.warnings import board
from aggregator.warnings.board import shown
from aggregator.warnings.delivery import deliver_pending, respond, send_responses
from aggregator.warnings.monitoring import evaluate_period
from aggregator.warnings.notices import ACTIONS, RESPONSES, STATUSES, answer_of, read_warning
from aggregator.warnings.rules import SEVERITIES, load_rules
from aggregator.warnings.verdicts import ANSWERS
from common.tables import to_text
from member.client import ClientTls
from member.options import client_tls_options
from privacy import credential
from protos.periods import Period
from protos.regions import check_region, name


def _open(db: Path) -> tuple[Store, own_identity.Settings]:
    store = Store(db)
    return store, own_identity.load(store)


@click.command("credential")
@click.option("--region", required=True, help="地区 Region the holder may see (this one or below).")
@click.option("--subject", required=True,
              help="持有人岗位 The holder's post, e.g. county-staff-1 (a post, not a person's ID).")
@click.option("--days", help="有效天数 Days the credential is valid.", type=click.IntRange(1, 366), default=90, show_default=True)
@click.option("--out", help="凭据文件 Where to write the credential (keep it secret).", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def credential_command(db: Path, region: str, subject: str, days: int, out: Path) -> None:
    """查询凭据 Issue a staff credential for `guanai query` at this aggregator."""
    _, settings = _open(db)
    check_region(region)
    if not region_within(region, settings.region):
        raise click.ClickException(f"{region} is outside this aggregator's region "
                                   f"{settings.region}")
    token = credential.issue(settings.signing_key, settings.region, "staff", region, subject,
                             timedelta(days=days))
    out.write_text(credential.to_text(token) + "\n", encoding="ascii")
    out.chmod(0o600)
    click.echo(f"凭据已签发 credential issued to {subject}: may see {name(region)} {region} and "
               f"below, for {days} days → {out} (keep it secret)")


def _rows(store: Store, period: str | None, only_warnings: bool = False) -> pd.DataFrame:
    rows = []
    for entry in board.entries(store, period):
        if only_warnings and not entry.warns:
            continue
        w, stored, answer = entry.warning, entry.stored, entry.latest
        rows.append([
            w.warning_id[:12], w.period, f"{name(w.region)} {w.region}", w.rule_id,
            board.answer_text(w), SEVERITIES[w.severity].both(), w.title_zh, shown(w, w.value),
            f"[{shown(w, w.low)}, {shown(w, w.high)}]",
            ("> " if w.direction == "above" else "< ") + shown(w, w.threshold), w.since,
            STATUSES[w.status].both(), w.issuer,
            (stored.delivered_at or "—")[:10],
            f"{ACTIONS[answer.action].both()} {answer.planned_by}".strip() if answer else "—",
            w.settle_zh or "—",
        ])
    return pd.DataFrame(rows, columns=[
        "编号 ID", "期间 Period", "地区 Region", "规则 Rule", "结论 Answer", "等级 Severity",
        "警示 Warning",
        "数值 Value", "置信区间 Interval", "阈值 Threshold", "始于 Since", "状态 Status",
        "签发 Issuer", "送达 Delivered", "回复 Response", "如何判断 What would settle it"])


@click.group(invoke_without_command=True)
@click.option("--period", help="报送期 Only this period (default: every period).")
@click.option("--only-warnings", is_flag=True,
              help="只列警示 Only warnings (new, persisting, resolved), not the other answers "
                   "(未见异常, 数据不足以判断).")
@click.pass_context
def warnings(ctx: click.Context, period: str | None, only_warnings: bool) -> None:
    """监测预警 Every answer judged here or received from above (警示, 未见异常, 数据不足以判断),
    with their responses."""
    if ctx.invoked_subcommand is not None:
        return
    store, settings = _open(ctx.obj)
    rows = _rows(store, Period.from_human(period).code if period else None, only_warnings)
    click.echo(f"监测预警 Monitoring warnings: {settings.describe()}")
    click.echo(to_text(rows) if len(rows) else "无警示 no warnings")


@warnings.command("evaluate")
@click.option("--period", required=True, help="报送期 2025-H1, 2025-H2 or 2025.")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="预警规则文件 Another warning-rules file (default: the shipped aggregator/warnings/warnings.toml).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]),
              help="判定日 Judge as of this day (the deadline rule counts only after the deadline).")
@click.pass_obj
def evaluate(db: Path, period: str, rules_file: Path | None, today) -> None:  # noqa: ANN001
    """研判 Judge every rule on every region below for the period; keep the history."""
    store, settings = _open(db)
    rules = load_rules(rules_file)
    found = evaluate_period(store, settings, Period.from_human(period), rules,
                            today.date() if today else None)
    counts = {s: sum(w.status == s for w in found) for s in STATUSES}
    answers = [answer_of(read_warning(w.signed)) for w in found]
    click.echo(f"已研判 judged {period} with rules {rules.version}: "
               + ", ".join(f"{STATUSES[s].both()} {n}" for s, n in counts.items()))
    click.echo("结论 answers: " + ", ".join(f"{label.both()} {answers.count(a)}"
                                            for a, label in ANSWERS.items()))
    click.echo("送达下级 deliver them with `guanai aggregator warnings send`")


@warnings.command("send")
@click.option("--timeout", help="超时秒数 Seconds to wait for each attempt.", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
@client_tls_options
@click.pass_obj
def send(db: Path, timeout: float, client_tls: ClientTls | None) -> None:
    """发布警示 Deliver warnings to the regions concerned; send responses to the issuer."""
    store, settings = _open(db)
    down = deliver_pending(store, settings, client_tls=client_tls, timeout=timeout)
    up = send_responses(store, settings, client_tls=client_tls, timeout=timeout)
    click.echo(f"警示 warnings: 已送达 delivered {down.delivered}, 本级留存 kept here {down.kept}, "
               f"未送达 not delivered {down.failed}; 回复 responses sent {up.delivered}, "
               f"未送达 not sent {up.failed}")
    if down.failed or up.failed:
        raise click.ClickException("some could not be delivered; run `warnings send` again")


@warnings.command("respond")
@click.argument("warning_id")
@click.option("--action", required=True, type=click.Choice(list(ACTIONS)),
              help="处理情况 what the region does, by the answer it was given: " + "; ".join(
                  f"{ANSWERS[a].zh}: {', '.join(f'{k} {ACTIONS[k].zh}' for k in keys)}"
                  for a, keys in RESPONSES.items()))
@click.option("--planned-by", type=click.DateTime(["%Y-%m-%d"]),
              help="整改完成日 When rectification is planned to be done.")
@click.option("--timeout", help="超时秒数 Seconds to wait for each attempt.", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
@client_tls_options
@click.pass_obj
def respond_command(db: Path, warning_id: str, action: str, planned_by, timeout: float,  # noqa: ANN001
                    client_tls: ClientTls | None) -> None:
    """回复 Record this region's response to a warning and send it to the issuer."""
    store, settings = _open(db)
    matches = [w.warning_id for w in store.warnings() if w.warning_id.startswith(warning_id)]
    if len(matches) != 1:
        raise click.ClickException(f"{warning_id!r} matches {len(matches)} warnings; give more "
                                   "of its id (see `guanai aggregator warnings`)")
    respond(store, settings, matches[0], action, planned_by.date() if planned_by else None)
    sent = send_responses(store, settings, client_tls=client_tls, timeout=timeout)
    click.echo(f"已回复 recorded {ACTIONS[action].both()} for {matches[0]}; "
               + ("已送达上级 sent to the issuer" if sent.delivered else
                  "未送达 not sent yet: run `guanai aggregator warnings send`"))


warnings.add_command(answers)
STAFF_COMMANDS = (credential_command, warnings)
