"""Monitoring warnings (监测预警, R-WARN): judge every region below for a period, keep history.

For each rule and each region of the rule's levels held here, the rule gives one of three
answers (aggregator/warnings/verdicts.py): 警示 (the whole interval beyond the threshold and
the one-sided test agreeing), 未见异常, or 数据不足以判断 with what would settle it — judged
on the half-year, the year pooled or the city, whichever first can tell. Every answer is
signed, kept and delivered to the region, which may answer it (no privacy budget is spent:
the figures are the released ones). Members missing by the deadline are counted only once
the period's deadline has passed.

History: a warning is *new*, or *persisting* if the same rule warned the same region in the
previous period judged here (half-years follow half-years, annual summaries follow annual
summaries), and then keeps the period it first held in (``since``). A warning of the previous
period, or a delivered one, that no longer holds is *resolved*; any other answer is *judged*.
Judging a period again (after late or corrected reports) replaces that period's answers; a
changed answer is delivered again.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from aggregator.calendar.timeliness import deadlines
from aggregator.figures.holdings import Holdings, level_of
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Store, StoredWarning
from aggregator.warnings.notices import WARNED, read_warning, sign_warning
from aggregator.warnings.rules import RuleSet, load_rules
from aggregator.warnings.verdicts import Verdict, judged_where_possible
from common.clock import SYSTEM, stamp
from protos.deadlines import local_date, to_ms
from protos.periods import Period
from protos.query_pb2 import Warning


def warning_id(issuer: str, rule_id: str, region: str, period: str) -> str:
    return hashlib.sha256(f"{issuer}|{rule_id}|{region}|{period}".encode()).hexdigest()[:24]


def _order(period: Period) -> tuple[int, int]:
    return period.year, period.half or 0


def previous_period(store: Store, period: Period) -> str | None:
    """The latest period judged here before ``period``, of the same kind (half-year or annual)."""
    earlier = [p for p in map(Period.parse, store.warning_runs())
               if p.annual == period.annual and _order(p) < _order(period)]
    return max(earlier, key=_order).code if earlier else None


def _message(verdict: Verdict, settings: Settings, rules: RuleSet, period: Period,
             status: str, since: str, members: int, missing: int) -> Warning:
    rule, interval = verdict.rule, verdict.interval
    return Warning(
        warning_id=warning_id(settings.region, rule.id, verdict.region, period.code),
        issuer=settings.region, rules_version=rules.version, rule_id=rule.id,
        region=verdict.region, level=level_of(verdict.region), period=period.code,
        since=since, status=status, value=interval.value, low=interval.low, high=interval.high,
        threshold=rule.threshold, direction=rule.direction, severity=rule.severity,
        confidence=rule.confidence, title_zh=rule.label.zh, title_en=rule.label.en,
        advice_zh=rule.advice.zh, advice_en=rule.advice.en, members=members, missing=missing,
        kind=rule.shown_kind, unbounded_below=rule.bounds.low < 0, answer=verdict.answer, basis_zh=verdict.basis.zh,
        basis_en=verdict.basis.en, settle_zh=verdict.settle.zh, settle_en=verdict.settle.en,
    )


def _same(a: Warning, b: Warning) -> bool:
    """Equal but for the time of issue."""
    a, b = Warning.FromString(a.SerializeToString()), Warning.FromString(b.SerializeToString())
    a.issued_unix_ms = b.issued_unix_ms = 0
    return a == b


def evaluate_period(store: Store, settings: Settings, period: Period,
                    rules: RuleSet | None = None, today: date | None = None
                    ) -> list[StoredWarning]:
    """Give every rule's answer for every region below for ``period``; store and return the
    period's notices (warnings new and persisting, resolved ones, and the other answers)."""
    rules = rules or load_rules()
    today = today or local_date(SYSTEM.now())
    holdings = Holdings(store, settings, period)
    other_half = Holdings(store, settings, Period(period.year, 3 - period.half)) \
        if period.half is not None else None
    # this aggregator's deadline, which staff may move: 24:00 ends its last day
    due = local_date(deadlines(store, period).due - timedelta(seconds=1))
    previous = previous_period(store, period)
    before = {(w.rule_id, w.region): w for w in store.warnings(settings.region, previous)
              if w.status in WARNED} if previous else {}
    existing = {w.warning_id: w for w in store.warnings(settings.region, period.code)}
    now = stamp(SYSTEM.now())
    fresh: dict[str, tuple[Warning, str]] = {}
    for rule in rules.rules:
        if rule.kind == "missing" and today <= due:
            continue
        units = sorted({u for lv in rule.levels for u in holdings.units(lv, settings.region)})
        cells = [*rule.numerator, *rule.denominator]
        found = holdings.figures_of(units, cells)
        halves, cities = {}, {}
        if rule.kind != "missing":  # a count of members is not pooled nor taken from above
            if other_half is not None:
                halves = other_half.figures_of(units, cells)
            counties = [u for u in units if found[u] is not None and found[u].level == "county"]
            cities = holdings.figures_of(sorted({u[:4] + "00" for u in counties}), cells)
        for unit in units:
            figures = found[unit]
            verdict = None if figures is None else judged_where_possible(
                rule, figures, other_half=halves.get(unit), city=cities.get(unit[:4] + "00"))
            if verdict is None:
                continue
            wid = warning_id(settings.region, rule.id, unit, period.code)
            earlier, held = before.get((rule.id, unit)), existing.get(wid)
            if verdict.answer == "warning":
                status, since = ("persisting", earlier.since) if earlier else ("new", period.code)
            elif earlier is not None or (held and held.delivered_at
                                         and held.status in (*WARNED, "resolved")):
                status, since = "resolved", earlier.since if earlier else held.since
            else:
                status, since = "judged", period.code
            fresh[wid] = (_message(verdict, settings, rules, period, status, since,
                                   figures.members, figures.missing), status)
    with store.transaction():
        for wid, held in existing.items():
            if wid not in fresh and not held.delivered_at:
                store.delete_warning(wid)
        for wid, (message, status) in fresh.items():
            held = existing.get(wid)
            if held is not None and _same(read_warning(held.signed), message):
                continue
            message.issued_unix_ms = to_ms(SYSTEM.now())
            store.put_warning(StoredWarning(
                wid, settings.region, period.code, message.rule_id, message.region, status,
                message.since, sign_warning(message, settings.signing_key), now, None))
        store.add_warning_run(period.code, rules.version, now)
    return store.warnings(settings.region, period.code)
