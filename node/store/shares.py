"""The school's two shares of each release (secure aggregation, docs/secure-aggregation.md):
made once with the release, signed once when queued, delivered until each party's receipt.

One row per (period, revision, party): the Share bytes, the Signed bytes every attempt sends
(invariant 2, docs/architecture.md: a resend is the same bytes), the delivery state and the
verified receipt. Callers hold the transaction (node.store.transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

PARTIES = ("leader", "helper")


@dataclass(frozen=True)
class StoredShare:
    """One party's share of one release and how its delivery stands (times: UTC stamps)."""

    period: str
    revision: int
    party: str  # leader | helper
    recipient_id: str
    share: bytes  # serialized guanai.v1.Share
    signed: bytes | None  # serialized guanai.v1.Signed, once queued
    state: str  # pending | delivered | refused | superseded
    attempts: int
    last_error: str | None
    receipt: bytes | None  # serialized guanai.v1.Receipt, verified
    log_index: int | None
    created_at: str
    received_at: str | None


_COLUMNS = ("period, revision, party, recipient_id, share, signed, state, attempts, last_error,"
            " receipt, log_index, created_at, received_at")


def _stored(row: tuple | None) -> StoredShare | None:
    if row is None:
        return None
    values = list(row)
    for i in (4, 5, 9):
        values[i] = None if values[i] is None else bytes(values[i])
    return StoredShare(*values)


def add(store: sqlite_utils.Database, period: str, revision: int, party: str, recipient: str,
        share: bytes, at: str) -> None:
    """Keep one party's new share of (period, revision); inside the release's transaction."""
    if party not in PARTIES:
        raise ValueError(f"party must be one of {PARTIES}")
    store.execute(f"INSERT INTO shares ({_COLUMNS}) VALUES (?,?,?,?,?,NULL,'pending',0,NULL,"
                  "NULL,NULL,?,NULL)", [period, revision, party, recipient, share, at])


def of_release(store: sqlite_utils.Database, period: str, revision: int) -> list[StoredShare]:
    """Both shares of (period, revision), leader first (none if made without a helper)."""
    rows = store.execute(f"SELECT {_COLUMNS} FROM shares WHERE period = ? AND revision = ?"
                         " ORDER BY party DESC", [period, revision]).fetchall()
    return [_stored(r) for r in rows]


def every(store: sqlite_utils.Database) -> list[StoredShare]:
    """Every share held, by period, revision and party (leader first)."""
    rows = store.execute(f"SELECT {_COLUMNS} FROM shares ORDER BY period, revision,"
                         " party DESC").fetchall()
    return [_stored(r) for r in rows]


def set_signed(store: sqlite_utils.Database, period: str, revision: int, party: str,
               signed: bytes) -> None:
    """Keep the Signed bytes of a share, once: a share already signed keeps its bytes."""
    store.execute("UPDATE shares SET signed = ? WHERE period = ? AND revision = ? AND party = ?"
                  " AND signed IS NULL", [signed, period, revision, party])


def supersede_older(store: sqlite_utils.Database, period: str, revision: int) -> None:
    """Undelivered shares of ``period`` older than ``revision`` will not be sent."""
    store.execute("UPDATE shares SET state = 'superseded' WHERE period = ? AND revision < ?"
                  " AND state IN ('pending', 'refused')", [period, revision])


def note_attempt(store: sqlite_utils.Database, period: str, revision: int, party: str,
                 error: str, state: str) -> None:
    """One more failed attempt, its error and the share's new state (pending or refused)."""
    store.execute("UPDATE shares SET attempts = attempts + 1, last_error = ?, state = ?"
                  " WHERE period = ? AND revision = ? AND party = ?",
                  [error, state, period, revision, party])


def set_pending(store: sqlite_utils.Database, period: str, revision: int, party: str) -> None:
    """A refused share is tried again (its refusal may have been dealt with)."""
    store.execute("UPDATE shares SET state = 'pending' WHERE period = ? AND revision = ?"
                  " AND party = ? AND state = 'refused'", [period, revision, party])


def deliver(store: sqlite_utils.Database, period: str, revision: int, party: str,
            receipt: bytes, log_index: int, at: str) -> None:
    """Keep the party's verified receipt and mark the share delivered."""
    store.execute("UPDATE shares SET state = 'delivered', attempts = attempts + 1,"
                  " last_error = NULL, receipt = ?, log_index = ?, received_at = ?"
                  " WHERE period = ? AND revision = ? AND party = ?",
                  [receipt, log_index, at, period, revision, party])
