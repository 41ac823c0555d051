"""The outbox (what is queued for the parent, signed once) and the receipts the parent gave.

Each queued item is one (period, revision) of a release or an annual summary, stored with the
exact bytes that were signed, so every resend is the same bytes (invariant 2,
docs/architecture.md). Callers hold the transaction (node.store.transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from protos.aggregator_pb2 import Receipt, ReceiptBody


@dataclass(frozen=True)
class OutboxItem:
    """One queued submission and how its delivery stands (times are UTC stamps)."""

    period: str
    revision: int
    recipient_id: str
    signed: bytes
    state: str  # pending | delivered | refused | superseded
    attempts: int
    last_error: str | None
    next_attempt_at: str | None


@dataclass(frozen=True)
class StoredReceipt:
    """A verified receipt as kept: which submission, where in the parent's log, the bytes."""

    period: str
    revision: int
    aggregator_id: str
    log_index: int
    tree_size: int
    receipt: bytes
    received_at: str

    @property
    def body(self) -> ReceiptBody:
        """The receipt's parsed body."""
        return ReceiptBody.FromString(Receipt.FromString(self.receipt).body)


_ITEM = ("period, revision, recipient_id, signed, state, attempts, last_error, next_attempt_at "
         "FROM outbox")


def _item(row: tuple | None) -> OutboxItem | None:
    if row is None:
        return None
    values = list(row)
    values[3] = bytes(values[3])
    return OutboxItem(*values)


def items(store: sqlite_utils.Database) -> list[OutboxItem]:
    """Every item, by period and revision."""
    return [_item(r) for r in store.execute(f"SELECT {_ITEM} ORDER BY period, revision")]


def item(store: sqlite_utils.Database, period: str, revision: int) -> OutboxItem | None:
    """The item of (period, revision), if queued."""
    return _item(store.execute(f"SELECT {_ITEM} WHERE period = ? AND revision = ?",
                               [period, revision]).fetchone())


def add(store: sqlite_utils.Database, period: str, revision: int, recipient: str,
        signed: bytes, at: str) -> None:
    """Queue ``signed`` for ``recipient`` as pending."""
    store.execute(
        "INSERT INTO outbox (period, revision, recipient_id, signed, state, created_at)"
        " VALUES (?,?,?,?,'pending',?)", [period, revision, recipient, signed, at])


def set_pending(store: sqlite_utils.Database, period: str, revision: int) -> None:
    """Make the item pending again, to be tried at once."""
    store.execute("UPDATE outbox SET state = 'pending', next_attempt_at = NULL"
                  " WHERE period = ? AND revision = ?", [period, revision])


def supersede_older(store: sqlite_utils.Database, period: str, revision: int) -> None:
    """Undelivered items of ``period`` older than ``revision`` will not be sent."""
    store.execute("UPDATE outbox SET state = 'superseded' WHERE period = ? AND revision < ?"
                  " AND state IN ('pending', 'refused')", [period, revision])


def note_attempt(store: sqlite_utils.Database, period: str, revision: int, error: str,
                 next_attempt_at: str | None, state: str) -> None:
    """One more failed attempt, its error, its new state and when to try next."""
    store.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
        " state = ? WHERE period = ? AND revision = ?",
        [error, next_attempt_at, state, period, revision])


def set_next_attempt(store: sqlite_utils.Database, period: str, revision: int, at: str) -> None:
    """When the daemon tries the item again."""
    store.execute("UPDATE outbox SET next_attempt_at = ? WHERE period = ? AND revision = ?",
                  [at, period, revision])


def deliver(store: sqlite_utils.Database, period: str, revision: int, body: ReceiptBody,
            receipt: bytes, at: str) -> None:
    """Keep the verified receipt and mark the item delivered."""
    store.execute("INSERT OR REPLACE INTO receipts VALUES (?,?,?,?,?,?,?)",
                  [period, revision, body.aggregator_id, body.log_index, body.tree_size,
                   receipt, at])
    store.execute(
        "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, last_error = NULL,"
        " next_attempt_at = NULL WHERE period = ? AND revision = ?", [period, revision])


def receipts(store: sqlite_utils.Database) -> list[StoredReceipt]:
    """Every receipt held, by period and revision."""
    rows = store.execute("SELECT * FROM receipts ORDER BY period, revision").fetchall()
    return [StoredReceipt(*r[:5], bytes(r[5]), r[6]) for r in rows]
