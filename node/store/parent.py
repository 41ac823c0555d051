"""The parent aggregator as the school keeps it: the signing keys it retired and its last
word on each period (its standing), fetched by node/upstream.py.

The parent's current export is kept in the meta table (node/membership.py); its retired
signing keys here still verify the receipts it signed before a rotation (member/parent.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils


def retired_keys(store: sqlite_utils.Database) -> list[bytes]:
    """The parent's signing keys (32 bytes) before its rotations, newest first."""
    rows = store.execute("SELECT signing_key FROM parent_keys ORDER BY replaced_at DESC")
    return [bytes(r[0]) for r in rows]


def retire_key(store: sqlite_utils.Database, signing_key: bytes, at: str) -> None:
    """Keep a signing key the parent replaced at ``at`` (a UTC stamp)."""
    store.execute("INSERT OR IGNORE INTO parent_keys VALUES (?, ?)", [signing_key, at])


def replace_standing(store: sqlite_utils.Database, rows: Sequence[Sequence]) -> None:
    """The parent's word on each period, replacing what was kept: one row per period
    (period, due, lock, exception until, revision, timeliness, returned revision, return
    reason, returned at, updated at), times as UTC stamps or None."""
    store.execute("DELETE FROM parent_standing")
    for row in rows:
        store.execute("INSERT INTO parent_standing VALUES (?,?,?,?,?,?,?,?,?,?)", list(row))


def standing_rows(store: sqlite_utils.Database) -> list[tuple]:
    """The rows ``replace_standing`` kept."""
    return store.execute("SELECT * FROM parent_standing").fetchall()


def clear_meta(store: sqlite_utils.Database, key: str) -> None:
    """Forget a meta entry (the last contact error, once contact is made again)."""
    store.execute("DELETE FROM meta WHERE key = ?", [key])
