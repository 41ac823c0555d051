"""Submitting releases to the parent aggregator: an outbox in the store, tried until a receipt.

With a helper imported (secure aggregation, docs/secure-aggregation.md) the release's two
shares are signed when it is queued and delivered after it, each to its party, each until its
own verified receipt (``deliver_shares``). A release enters the outbox signed, once: its SignedReport bytes are stored, and every attempt
seals and sends those same bytes (invariant 2, docs/architecture.md) — nothing is released again, and a resend is
idempotent at the aggregator. Each failure is recorded (attempts, error, time of the next try),
so a restart resumes where it stopped. A receipt is stored, and the item marked delivered,
only once it verifies: the parent's signature (its current key, or one it rotated away from),
its checkpoint, and the inclusion proof of these exact bytes in its log. The daemon
(node/daemon.py) delivers with one attempt per wake-up and schedules the next itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from common.clock import SYSTEM, stamp
from common.errors import GuanaiError
from member.client import (
    DEFAULT_BACKOFF,
    Backoff,
    ClientTls,
    SubmitRefused,
)
from member.send import send, send_share
from node.membership import MembershipError, helper, parent, previous_parent_keys, signing_key
from node.release import latest_release
from node.shares import sign_shares
from node.store import outbox as outbox_rows
from node.store import shares as share_rows
from node.store import transaction
from node.store.outbox import OutboxItem, StoredReceipt
from node.store.shares import StoredShare
from privacy.envelope import sign_report
from privacy.identity import Identity
from privacy.receipt import ReceiptError
from protos.aggregator_pb2 import ReceiptBody
from protos.periods import Period


class NothingToSubmit(GuanaiError):
    """No release of the period to submit."""


def _now() -> datetime:
    return SYSTEM.now()



def outbox(store: sqlite_utils.Database) -> list[OutboxItem]:
    """Every queued item, by period and revision."""
    return outbox_rows.items(store)


def pending(store: sqlite_utils.Database) -> list[OutboxItem]:
    return [item for item in outbox(store) if item.state == "pending"]


def enqueue(store: sqlite_utils.Database, db: Path, period: Period,
            now: Callable[[], datetime] = _now) -> OutboxItem:
    """Put the period's latest release into the outbox, signed (once); an older one is dropped.

    A release already refused is queued again: the refusal may have been fixed (an enrolment).
    """
    if period.annual:
        raise NothingToSubmit(
            f"年度报送工作总结 {period} takes the annual work summary: "
            f"`guanai node summary --year {period} FILE` queues it"
        )
    release = latest_release(store, period)
    if release is None:
        raise NothingToSubmit(
            f"无可报送 no release of {period} yet: run `guanai node release --period {period}`"
        )
    target = parent(store)
    recipient = release.report.recipient_id
    if recipient != target.id:
        raise MembershipError(
            f"收件方不符 the release of {period} was made for {recipient or 'no aggregator'}, "
            f"the parent is {target.id}: release a correction for it "
            f"(`guanai node release --period {period} --correction`)"
        )
    queued = queue_signed(store, period.code, release.revision, recipient,
                          lambda: sign_report(release.report_bytes, signing_key(db)), now)
    if share_rows.of_release(store, period.code, release.revision):
        with transaction(store):  # secure aggregation: both shares signed once, queued with it
            sign_shares(store, period.code, release.revision, signing_key(db))
    return queued


def queue_signed(store: sqlite_utils.Database, period: str, revision: int, recipient: str,
                 sign: Callable[[], bytes], now: Callable[[], datetime] = _now) -> OutboxItem:
    """Queue (period, revision), signed by ``sign`` only if not yet queued; supersede older ones."""
    with transaction(store):
        held = outbox_rows.item(store, period, revision)
        if held is None:
            outbox_rows.add(store, period, revision, recipient, sign(), stamp(now()))
        elif held.state == "refused":
            outbox_rows.set_pending(store, period, revision)
        outbox_rows.supersede_older(store, period, revision)
    return outbox_rows.item(store, period, revision)


def deliver(
    store: sqlite_utils.Database,
    item: OutboxItem,
    target: Identity,
    *,
    attempts: int | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    timeout: float = 60.0,
    client_tls: ClientTls | None = None,
    now: Callable[[], datetime] = _now,
) -> ReceiptBody:
    """Send one outbox item until its receipt, verified under the parent's current or retired
    signing keys (member/send.py), is stored."""
    if item.recipient_id != target.id:
        raise MembershipError(
            f"收件方不符 {item.period} revision {item.revision} is for {item.recipient_id}, "
            f"the parent is now {target.id}: release a correction for the new parent"
        )

    def record(error: str, delay: float | None = None, state: str = "pending") -> None:
        after = None if delay is None else stamp(now() + timedelta(seconds=delay))
        with transaction(store):
            outbox_rows.note_attempt(store, item.period, item.revision, error, after, state)

    try:
        delivered = send(
            target, item.signed, retired=previous_parent_keys(store), attempts=attempts,
            backoff=backoff, timeout=timeout, client_tls=client_tls,
            on_failure=lambda _n, code, details, delay: record(f"{code.name}: {details}", delay),
        )
    except SubmitRefused as exc:
        record(f"{exc.code.name}: {exc.details}", state="refused")
        raise
    except ReceiptError as exc:
        record(str(exc))
        raise
    body, receipt = delivered.body, delivered.receipt
    with transaction(store):
        outbox_rows.deliver(store, item.period, item.revision, body,
                            receipt.SerializeToString(), stamp(now()))
    return body


def requeue(store: sqlite_utils.Database, item: OutboxItem) -> None:
    """Make ``item`` pending again, to be tried at once (after its refusal was dealt with)."""
    with transaction(store):
        outbox_rows.set_pending(store, item.period, item.revision)


def schedule_retry(store: sqlite_utils.Database, item: OutboxItem, at: datetime) -> None:
    """Note when the daemon tries ``item`` again."""
    with transaction(store):
        outbox_rows.set_next_attempt(store, item.period, item.revision, stamp(at))


def submit(
    store: sqlite_utils.Database,
    db: Path,
    period: Period | None = None,
    **options: object,
) -> list[ReceiptBody]:
    """Queue the period's release (if given), then deliver everything pending, oldest first:
    the releases (their receipts are returned), then the shares (``deliver_shares``).

    ``options`` are those of ``deliver`` (attempts, backoff, timeout, client_tls).
    """
    if period is not None:
        enqueue(store, db, period)
    target = parent(store)
    bodies = [deliver(store, item, target, **options) for item in pending(store)]
    deliver_shares(store, **options)
    return bodies


def pending_shares(store: sqlite_utils.Database) -> list[StoredShare]:
    """Shares signed and waiting for their party's receipt, oldest first."""
    return [s for s in share_rows.every(store) if s.state == "pending" and s.signed is not None]


def deliver_shares(
    store: sqlite_utils.Database,
    *,
    attempts: int | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    timeout: float = 60.0,
    client_tls: ClientTls | None = None,
    now: Callable[[], datetime] = _now,
) -> list[ReceiptBody]:
    """Send each pending share to its party — the leader share to the parent, the helper share
    to the province's helper — until the party's receipt verifies, and keep it; return the
    receipts' bodies. A refusal marks the share refused and is raised (``SubmitRefused``), as
    are ``SubmitGaveUp`` and ``ReceiptError`` after the attempt is noted."""
    bodies = []
    for held in pending_shares(store):
        leader = held.party == "leader"
        target = parent(store) if leader else helper(store)
        if target is None or target.id != held.recipient_id:
            raise MembershipError(f"收件方不符 the {held.party} share of {held.period} revision "
                                  f"{held.revision} is for {held.recipient_id}: release a "
                                  "correction for the new parent or helper")

        def record(error: str, state: str = "pending", held: StoredShare = held) -> None:
            with transaction(store):
                share_rows.note_attempt(store, held.period, held.revision, held.party, error,
                                        state)

        try:
            delivered = send_share(
                target, held.signed, retired=previous_parent_keys(store) if leader else (),
                attempts=attempts, backoff=backoff, timeout=timeout, client_tls=client_tls,
                on_failure=lambda _n, code, details, _delay: record(f"{code.name}: {details}"))
        except SubmitRefused as exc:
            record(f"{exc.code.name}: {exc.details}", "refused")
            raise
        except ReceiptError as exc:
            record(str(exc))
            raise
        with transaction(store):
            share_rows.deliver(store, held.period, held.revision, held.party,
                               delivered.receipt.SerializeToString(), delivered.body.log_index,
                               stamp(now()))
        bodies.append(delivered.body)
    return bodies


def receipts(store: sqlite_utils.Database) -> list[StoredReceipt]:
    """Every receipt held, by period and revision."""
    return outbox_rows.receipts(store)
