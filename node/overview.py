"""The period at a glance, for the school's front page: dates, state, problems, the next step.

``guanai node status`` prints lines for a terminal (node/status.py); a screen needs the same
facts as values: each half-year's deadline and lock date, whether it was released and
delivered, what stands in the way (a rule the records break, a missing parent, an exhausted
budget), whether the records changed since the release, and one next step in plain words.
Everything comes from the store; nothing is asked of the network and nothing is spent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from node import browse, upstream, validation
from node.membership import MembershipError, parent
from node.release import StoredRelease, latest_release, spent_in_year
from node.schedule import ScheduleSettings, Window
from node.store import get_meta
from node.submit import OutboxItem, outbox, receipts
from privacy.budget import BudgetExceeded, BudgetPolicy
from protos.catalogue import load
from protos.deadlines import Deadlines, local_date
from protos.periods import Period

LEVELS = {"county": "县区", "city": "市", "province": "省"}
TrueTable = Callable[[Period], dict[str, int]]


@dataclass(frozen=True)
class PeriodView:
    period: Period
    due: datetime
    lock: datetime
    state: str  # waiting | open | released | sending | refused | delivered | locked
    release: StoredRelease | None
    item: OutboxItem | None  # the latest outbox item of the period
    log_index: int | None  # the receipt's place in the parent's log, once delivered
    problem: str | None  # why it could not be released today
    changed: int | None  # cells whose true value changed since the release (None: not released)
    returned: str | None  # the parent's reason, if it returned the table for correction

    @property
    def locked(self) -> bool:
        return self.state == "locked"


@dataclass(frozen=True)
class Overview:
    school_id: str
    school_name: str
    region: str
    parent: str | None  # "id at address", or None when not set
    counts: browse.Counts
    current: PeriodView
    periods: list[PeriodView]
    summary_due: datetime
    summary_filed: bool
    next_step: str  # one sentence, Chinese
    next_link: str  # which page does it: status | parent | import | release | receipts | summary


def _view(store: sqlite_utils.Database, period: Period, settings: ScheduleSettings,
          policy: BudgetPolicy, now: datetime, items: list[OutboxItem],
          logged: dict[tuple[str, int], int], true_table: TrueTable) -> PeriodView:
    held = upstream.standing(store).get(period.code)
    limits = Window.of(period, settings, Deadlines(held.due, held.lock) if held else None).limits
    release = latest_release(store, period)
    mine = [i for i in items if i.period == period.code and i.state != "superseded"]
    item = max(mine, key=lambda i: i.revision) if mine else None
    log_index = logged.get((period.code, item.revision)) if item else None
    problem = changed = None
    exception = held is not None and held.exception_until is not None \
        and held.exception_until > now
    closed = limits.locked(now) and not exception and release is None
    if local_date(now) >= period.start and not closed:  # a closed period needs no table
        truth = true_table(period)
        if item is None or item.state != "delivered":
            problem = _problem(store, period, policy, truth)
        if release is not None:
            changed = sum(release.true_values.get(k) != v for k, v in truth.items())
    if item is not None and item.state == "delivered":
        state = "delivered"
    elif item is not None:
        state = item.state if item.state == "refused" else "sending"
    elif release is not None:
        state = "released"
    elif limits.locked(now) and not exception:
        state = "locked"
    elif local_date(now) < period.start:
        state = "waiting"
    else:
        state = "open"
    returned = held.return_reason if held and held.returned_revision else None
    return PeriodView(period, limits.due, limits.lock, state, release, item, log_index, problem,
                      changed, returned)


def _problem(store: sqlite_utils.Database, period: Period, policy: BudgetPolicy,
             truth: dict[str, int]) -> str | None:
    """What would stop a release today (the daemon's precheck, on an already computed table)."""
    broken = validation.violations(load(), truth)
    if broken:
        return "；".join(f"{v.rule.label.zh}（{v.left} 与 {v.right} 不符）" for v in broken)
    try:
        policy.check(period, spent_in_year(store, period.year), levels=True)
    except BudgetExceeded as exc:
        return str(exc)
    return None


def _next_step(view: PeriodView, has_parent: bool, counts: browse.Counts) -> tuple[str, str]:
    period = view.period.label_zh
    if counts.enrolled == 0:
        return "先导入学生名册（学生名册模板在“模板”页）。", "import"
    if not has_parent:
        return "导入县区教育局给的上级公钥文件，并把本校公钥文件交给县区教育局登记。", "parent"
    if view.returned:
        return f"{period}统计表被退回更正：{view.returned}。请修正记录后发布更正版。", "release"
    if view.state == "delivered":
        if view.changed:
            return (f"{period}已报送。此后记录有 {view.changed} 项变化；"
                    "如需更正，请预览后发布更正版（会多用隐私额度）。", "release")
        return f"{period}已报送并收到回执，本期工作已完成。", "receipts"
    if view.state == "refused":
        return f"{period}统计表被上级拒收，请查看原因后重新报送。", "receipts"
    if view.state == "sending":
        return f"{period}统计表已发布，正在报送，尚未收到回执。", "receipts"
    if view.problem:
        return f"{period}统计表暂不能发布：请先修正记录（见下方问题）。", "release"
    if view.state == "released":
        return f"{period}统计表已发布，请报送。", "release"
    if view.state == "locked":
        return f"{period}已过锁定日期，不能再报送；如需补报请联系县区教育局。", "status"
    return f"预览并发布{period}统计表，然后报送。", "release"


def overview(store: sqlite_utils.Database, settings: ScheduleSettings, policy: BudgetPolicy,
             now: datetime, true_table: TrueTable) -> Overview:
    """The front page's facts as of ``now``; ``true_table`` computes (or recalls) a period's."""
    items = outbox(store)
    logged = {(r.period, r.revision): r.log_index for r in receipts(store)}
    today = local_date(now)
    current = Period.containing(today)
    earlier = Period(current.year - 1, 2) if current.half == 1 else Period(current.year, 1)
    views = [_view(store, p, settings, policy, now, items, logged, true_table)
             for p in (earlier, current)]
    # The period to act on: the earlier half-year while it is still open and not delivered.
    focus = views[0] if views[0].state in ("open", "released", "sending", "refused") \
        else views[1]
    try:
        target = parent(store)
        level = LEVELS.get(target.level or "", target.level)
        parent_text: str | None = f"{target.id}（{level}教育部门） {target.address}"
    except MembershipError:
        parent_text = None
    counts = browse.counts(store)
    year = Period(today.year, None)
    summary_due = Window.of(year, settings).limits.due
    filed = any(i.period == year.code for i in items)
    step, link = _next_step(focus, parent_text is not None, counts)
    return Overview(get_meta(store, "school_id") or "", get_meta(store, "school_name") or "",
                    get_meta(store, "region_code") or "", parent_text, counts, focus, views,
                    summary_due, filed, step, link)

