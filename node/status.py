"""What staff see with ``guanai node status``: each period's dates, state, problems and returns.

Everything comes from the store: the outbox and the receipts (node/submit.py), the shares of
secure aggregation and their receipts (node/store/shares.py), the releases,
what the daemon last found (``schedule_checks``) and the parent's last word on the school's
standing (``parent_standing``). Nothing is asked of the network.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlite_utils

from node import upstream
from node.membership import MembershipError, helper, key_path, parent
from node.release import latest_release
from node.schedule import ScheduleSettings, Window, periods_in_scope
from node.store import get_meta
from node.store import schedule as schedule_rows
from node.store import shares as share_rows
from node.store.shares import StoredShare
from node.submit import OutboxItem, outbox, receipts
from privacy.keys import key_id, load_signing_key
from protos.deadlines import TIMELINESS_LABELS, Deadlines, local_text
from protos.periods import Period


def _when(text: str | None) -> str:
    return local_text(datetime.fromisoformat(text)) if text else "-"


def _item_state(item: OutboxItem, timeliness: dict[tuple[str, int], str]) -> str:
    if item.state == "delivered":
        label = TIMELINESS_LABELS.get(timeliness.get((item.period, item.revision), ""), "")
        return f"已报送 delivered revision {item.revision}{' (' + label + ')' if label else ''}"
    if item.state == "refused":
        return f"被拒收 refused revision {item.revision}: {item.last_error}"
    tries = f", {item.attempts} attempts, last error: {item.last_error}" if item.attempts else ""
    return f"报送中 sending revision {item.revision}{tries}; next try {_when(item.next_attempt_at)}"


def lines(store: sqlite_utils.Database, db: Path, settings: ScheduleSettings,
          now: datetime) -> list[str]:
    school = f"{get_meta(store, 'school_id') or '?'} {get_meta(store, 'school_name') or ''}"
    key = key_id(load_signing_key(key_path(db)).verify_key) if key_path(db).exists() else "-"
    out = [f"学校节点状态 Node status · {school.strip()} · 签名密钥 signing key {key} · "
           f"{local_text(now)} (Beijing time)"]
    try:
        target = parent(store)
        contact = _when(get_meta(store, "parent_contact_at"))
        out.append(f"上级 Parent: {target.id} at {target.address} · 最近联系 last contact "
                   f"{contact}")
    except MembershipError as exc:
        out.append(f"上级 Parent: {exc}")
    assistant = helper(store)
    if assistant is not None:
        out.append(f"协助方 Helper (secure aggregation): {assistant.id} at {assistant.address}")
    federation = upstream.parent_policy(store)
    if federation is not None:
        out.append(f"  隐私预算政策 the parent's privacy policy: ρ ≤ {federation.rho_half_year:g} per "
                   f"half-year table, ≤ {federation.annual_cap:g} per year; releases stay within it; "
                   f"published figures ρ = {federation.rho_county:g} county, "
                   f"{federation.rho_city:g} city, {federation.rho_province:g} province")
    error = get_meta(store, "parent_contact_error")
    if error:
        out.append(f"  联系失败 last contact failed: {error}")
    checked = get_meta(store, "schedule_checked_at")
    out.append("日程 Schedule (`guanai node run`): "
               + (f"最近检查 last check {_when(checked)}" if checked else "未运行 not run yet"))
    since = get_meta(store, "schedule_since")
    standing = upstream.standing(store)
    problems = schedule_rows.problems(store)
    items = outbox(store)
    shares = share_rows.every(store)
    timeliness = {(r.period, r.revision): r.body.timeliness for r in receipts(store)}
    periods = periods_in_scope(now, datetime.fromisoformat(since) if since else now)
    periods += [p for p in (Period.parse(c) for c in sorted({i.period for i in items}))
                if p not in periods]
    out.append(f"{'期次 Period':<12}{'截止 Due':<19}{'锁定 Locked after':<19}状态 State")
    for period in sorted(periods, key=lambda p: (p.year, p.half or 3)):
        held = standing.get(period.code)
        window = Window.of(period, settings, Deadlines(held.due, held.lock) if held else None)
        mine = [i for i in items if i.period == period.code and i.state != "superseded"]
        if mine:
            state = _item_state(max(mine, key=lambda i: i.revision), timeliness)
        elif period.annual:
            state = "工作总结未报 summary not filed (`guanai node summary`)"
        elif (release := latest_release(store, period)) is not None:
            state = f"已发布未报送 released revision {release.revision}, not queued"
        elif now < window.opens:
            state = f"待发布 released from {local_text(window.opens)}"
        else:
            state = "待发布 to be released"
        out.append(f"{period.code:<12}{local_text(window.limits.due):<19}"
                   f"{local_text(window.limits.lock):<19}{state}")
        if held and held.exception_until and held.exception_until > now:
            out.append(f"    准予补报 exception granted until {local_text(held.exception_until)}")
        if problems.get(period.code):
            out.append(f"    问题 problem: {problems[period.code]}")
        out += [f"    {_share_state(s)}" for s in shares if s.period == period.code
                and s.state != "superseded"]
    return out


_PARTY_LABELS = {"leader": "份额·上级 leader share", "helper": "份额·协助方 helper share"}


def _share_state(share: StoredShare) -> str:
    """One line of a share of secure aggregation: where it went and the receipt held."""
    who = f"{_PARTY_LABELS[share.party]} revision {share.revision} → {share.recipient_id}"
    if share.state == "delivered":
        return f"{who}: 已送达 delivered, 回执 receipt log index {share.log_index}"
    if share.state == "refused":
        return f"{who}: 被拒收 refused: {share.last_error}"
    tries = f", {share.attempts} attempts, last error: {share.last_error}" if share.attempts else ""
    return f"{who}: 发送中 sending{tries}"
