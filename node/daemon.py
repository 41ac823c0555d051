"""``guanai node run``: the school's reporting calendar, kept without anyone typing a command.

Every ``check_every_minutes``, and when a period's date comes, the daemon takes a full look:
it asks the parent for the school's standing (node/upstream.py), then for each period in scope
(node/schedule.py) checks early that the table would pass validation and fit the budget,
releases it when the window opens and queues it. At every wake-up it delivers what is queued
and due — one attempt each time, the next after an exponentially growing pause with jitter, so
outages and restarts cost nothing but time (the outbox in the store remembers). A refusal is tried again a day later,
or at once when the parent grants an exception. What it finds is kept per period in
``schedule_checks`` for ``guanai node status`` and logged (once, then once a day while it
lasts); it never logs a name or anything else identifiable.

Time comes from an injected clock (common/clock.py), so a test drives a whole year in seconds.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from common.clock import Clock, stamp
from common.errors import GuanaiError
from member.client import Backoff, ClientTls, SubmitGaveUp, SubmitRefused
from node import upstream, validation
from node.membership import MembershipError, parent
from node.release import latest_release, release_period, spent_in_year, true_table
from node.schedule import ScheduleSettings, Window, periods_in_scope
from node.store import get_meta, open_store, set_meta, transaction
from node.store import schedule as schedule_rows
from node.submit import (
    NothingToSubmit,
    OutboxItem,
    deliver,
    deliver_shares,
    enqueue,
    outbox,
    pending,
    pending_shares,
    requeue,
    schedule_retry,
)
from node.table import PeriodNotStarted
from privacy.budget import BudgetExceeded, BudgetPolicy
from privacy.receipt import ReceiptError
from protos.catalogue import load
from protos.deadlines import Deadlines, local_date, local_text
from protos.periods import Period

logger = logging.getLogger(__name__)


class _School(logging.LoggerAdapter):
    """Log lines that say which school's schedule speaks (by its 学校标识码 only)."""

    def process(self, msg: str, kwargs: dict) -> tuple[str, dict]:
        return f"{self.extra['school']} {msg}", kwargs

RELOG_AFTER = timedelta(days=1)



def precheck(store: sqlite_utils.Database, period: Period, policy: BudgetPolicy,
             now: datetime) -> str | None:
    """Why the period could not be released today, or None if it could (nothing is spent)."""
    catalogue = load()
    try:
        validation.check(catalogue, true_table(store, period, catalogue, local_date(now)))
        policy.check(period, spent_in_year(store, period.year), levels=True)
    except PeriodNotStarted:
        return None
    except (validation.ValidationFailed, BudgetExceeded) as exc:
        return str(exc)
    return None


def note(store: sqlite_utils.Database, period: Period, problem: str | None,
         now: datetime) -> bool:
    """Keep what the latest check found; True if it is worth logging now."""
    row = schedule_rows.check(store, period.code)
    due = row is None or row[0] != problem or (
        problem is not None and datetime.fromisoformat(row[1]) + RELOG_AFTER <= now)
    if due:
        with transaction(store):
            schedule_rows.set_check(store, period.code, problem, stamp(now))
    return due


class Daemon:
    """The schedule of one school node; ``run`` until ``stop`` is set."""

    def __init__(self, db: Path, clock: Clock, settings: ScheduleSettings | None = None,
                 policy: BudgetPolicy | None = None, client_tls: ClientTls | None = None) -> None:
        self.db = Path(db)
        self.clock = clock
        self.settings = settings or ScheduleSettings()
        self.policy = policy or BudgetPolicy()
        self.client_tls = client_tls
        self.backoff = Backoff(initial=self.settings.retry_seconds,
                               maximum=self.settings.max_retry_minutes * 60)
        self.log: logging.LoggerAdapter = _School(logger, {"school": "?"})
        self._next_look: datetime | None = None

    def run(self, stop: threading.Event) -> None:
        store = open_store(self.db)
        self.log = _School(logger, {"school": get_meta(store, "school_id")})
        self.log.info("schedule running")
        try:
            while not stop.is_set():
                try:
                    wake = self.step(store)
                except Exception:  # a broken step must not end the schedule: log, look again
                    self.log.exception("schedule step failed; trying again later")
                    wake = self.clock.now() + self.settings.check_every
                self.clock.sleep((wake - self.clock.now()).total_seconds(), stop)
        finally:
            store.conn.close()
            self.log.info("schedule stopped")

    def step(self, store: sqlite_utils.Database) -> datetime:
        """Do what is due now; return when to look again.

        A full look (the standing, every period) happens every ``check_every`` or when a
        period's date comes; wake-ups in between only deliver what is due.
        """
        now = self.clock.now()
        if self._next_look is None or now >= self._next_look:
            self._next_look = max(self._look(store, now), now + timedelta(seconds=1))
        for item in pending(store):
            if item.next_attempt_at is None or datetime.fromisoformat(item.next_attempt_at) <= now:
                self._deliver(store, item, now)
        wake = self._next_look
        for item in pending(store):
            if item.next_attempt_at is not None:
                wake = min(wake, datetime.fromisoformat(item.next_attempt_at))
        if not self._deliver_shares(store):
            wake = min(wake, now + timedelta(seconds=self.settings.retry_seconds))
        return max(wake, now + timedelta(seconds=1))

    def _deliver_shares(self, store: sqlite_utils.Database) -> bool:
        """One attempt at each pending share (secure aggregation, node/submit.py); whether
        none is left waiting. A failure is logged; the share is tried at the next wake-up."""
        if not pending_shares(store):
            return True
        try:
            for body in deliver_shares(store, attempts=1, backoff=self.backoff,
                                       timeout=self.settings.timeout_seconds,
                                       client_tls=self.client_tls, now=self.clock.now):
                self.log.info("%s revision %d share delivered to %s: log index %d", body.period,
                              body.revision, body.aggregator_id, body.log_index)
        except GuanaiError as exc:
            self.log.warning("share not delivered: %s", exc)
        return not pending_shares(store)

    def _look(self, store: sqlite_utils.Database, now: datetime) -> datetime:
        """Ask for the standing and move every period along; when to look next."""
        since = get_meta(store, "schedule_since")
        with transaction(store):
            if since is None:
                since = stamp(now)
                set_meta(store, "schedule_since", since)
            set_meta(store, "schedule_checked_at", stamp(now))
        self._refresh(store, now)
        standing = upstream.standing(store)
        look = now + self.settings.check_every
        for period in periods_in_scope(now, datetime.fromisoformat(since)):
            held = standing.get(period.code)
            limits = Deadlines(held.due, held.lock) if held else None
            try:
                look = min(look, self._tend(store, Window.of(period, self.settings, limits),
                                            held, now))
            except GuanaiError as exc:  # e.g. no parent yet: say so, keep the schedule going
                if note(store, period, str(exc), now):
                    self.log.error("%s: %s", period, exc)
        return look

    def _refresh(self, store: sqlite_utils.Database, now: datetime) -> None:
        try:
            if upstream.refresh(store, self.db, now, self.client_tls,
                                self.settings.timeout_seconds):
                self.log.info("the parent rotated its keys; following them")
        except GuanaiError as exc:
            first = get_meta(store, "parent_contact_error") is None
            with transaction(store):
                set_meta(store, "parent_contact_error", f"{local_text(now)} {exc}")
            (self.log.warning if first else self.log.info)("no standing from the parent: %s",
                                                           exc)

    def _tend(self, store: sqlite_utils.Database, window: Window, held: upstream.Standing | None,
              now: datetime) -> datetime:
        """Move one period along; when it next needs looking at."""
        period = window.period
        if now < window.checks_from:
            return window.checks_from
        items = [i for i in outbox(store) if i.period == period.code]
        if period.annual:
            if not items:
                self._report(store, period, now, (
                    f"工作总结未报 the annual summary is not filed yet (due "
                    f"{local_text(window.limits.due)}): write it and run `guanai node summary "
                    f"--year {period} FILE`"))
                return now + self.settings.check_every
        elif latest_release(store, period) is None:
            if now < window.opens:
                self._report(store, period, now, precheck(store, period, self.policy, now))
                return window.opens
            if not self._release(store, period, now):
                return now + self.settings.check_every
        if not period.annual:
            revision = latest_release(store, period).revision
            items = [i for i in items if i.revision == revision] or [
                enqueue(store, self.db, period, self.clock.now)]
        latest = max(items, key=lambda i: i.revision)
        self._follow(store, period, latest, held, now)
        return now + self.settings.check_every

    def _release(self, store: sqlite_utils.Database, period: Period, now: datetime) -> bool:
        try:
            stored = release_period(store, period, parent(store).id, self.policy,
                                    today=local_date(now))
        except (validation.ValidationFailed, BudgetExceeded) as exc:
            self._report(store, period, now, str(exc))
            return False
        self._report(store, period, now, None)
        self.log.info("%s: released revision %d", period, stored.revision)
        return True

    def _follow(self, store: sqlite_utils.Database, period: Period, item: OutboxItem,
                held: upstream.Standing | None, now: datetime) -> None:
        """Retry a refusal when due; report a return for correction."""
        if item.state == "refused":
            granted = held is not None and held.exception_until is not None \
                and held.exception_until > now
            retry = item.next_attempt_at is None or \
                datetime.fromisoformat(item.next_attempt_at) <= now
            if granted or retry:
                self._requeue(store, period, item)
            return
        if item.state == "delivered" and held is not None and \
                held.returned_revision == item.revision:
            what = "a corrected summary (`guanai node summary` again)" if period.annual else \
                f"`guanai node release --period {period} --correction`"
            self._report(store, period, now, (
                f"已退回修改 revision {item.revision} was returned for correction by the parent "
                f"at {local_text(held.returned_at)}: {held.return_reason} — correct the records, "
                f"then {what}; it is sent on its own"))
            return
        self._report(store, period, now, None)

    def _requeue(self, store: sqlite_utils.Database, period: Period, item: OutboxItem) -> None:
        requeue(store, item)
        self.log.info("%s: trying revision %d again after its refusal", period, item.revision)

    def _report(self, store: sqlite_utils.Database, period: Period, now: datetime,
                problem: str | None) -> None:
        if note(store, period, problem, now):
            if problem is None:
                self.log.info("%s: ready", period)
            else:
                self.log.warning("%s: %s", period, problem)

    def _deliver(self, store: sqlite_utils.Database, item: OutboxItem, now: datetime) -> None:
        try:
            body = deliver(store, item, parent(store), attempts=1, backoff=self.backoff,
                           timeout=self.settings.timeout_seconds, client_tls=self.client_tls,
                           now=self.clock.now)
        except SubmitGaveUp as exc:
            delay = timedelta(seconds=self.backoff.delay(item.attempts + 1))
            schedule_retry(store, item, now + delay)
            (self.log.warning if item.attempts == 0 else self.log.info)(
                "%s revision %d not delivered (%s); next try at %s", item.period, item.revision,
                exc, stamp(now + delay))
        except SubmitRefused as exc:
            schedule_retry(store, item, now + self.settings.refused_retry)
            self.log.error("%s revision %d refused: %s", item.period, item.revision, exc)
        except ReceiptError as exc:
            self._refresh(store, now)
            schedule_retry(store, item, now + timedelta(seconds=self.settings.retry_seconds))
            self.log.warning("%s revision %d: %s", item.period, item.revision, exc)
        except (MembershipError, NothingToSubmit) as exc:
            self.log.error("%s revision %d: %s", item.period, item.revision, exc)
        else:
            self.log.info("%s revision %d delivered to %s: log index %d (%s)", body.period,
                        body.revision, body.aggregator_id, body.log_index,
                        body.timeliness or "-")
