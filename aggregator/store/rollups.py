"""This aggregator's own rollups (signed, sent to its parent) and the parent's receipts for them.

aggregator/rollup/ builds and sends them through ``RollupStore``; ``SqliteRollups`` is the
SQLite implementation mixed into the Store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection


@dataclass(frozen=True)
class Rollup:
    period: str
    revision: int
    signed: bytes
    created_at: str
    receipt: bytes | None


class RollupStore(Protocol):
    """Own rollups by (period, revision), each with the parent's receipt once held."""

    def latest_rollup(self, period: str) -> Rollup | None: ...
    def rollups(self, period: str) -> list[Rollup]: ...
    def add_rollup(self, rollup: Rollup) -> None: ...
    def set_rollup_receipt(self, period: str, revision: int, receipt: bytes) -> None: ...


def _rollup(r: tuple) -> Rollup:
    return Rollup(r[0], r[1], bytes(r[2]), r[3], None if r[4] is None else bytes(r[4]))


class SqliteRollups(SqliteConnection):
    """RollupStore over the ``rollups`` table."""

    def latest_rollup(self, period: str) -> Rollup | None:
        row = self._one("SELECT * FROM rollups WHERE period = ? ORDER BY revision DESC LIMIT 1",
                        [period])
        return None if row is None else _rollup(row)

    def rollups(self, period: str) -> list[Rollup]:
        rows = self._all("SELECT * FROM rollups WHERE period = ? ORDER BY revision", [period])
        return [_rollup(r) for r in rows]

    def add_rollup(self, rollup: Rollup) -> None:
        self._run("INSERT INTO rollups VALUES (?,?,?,?,?)",
                  [rollup.period, rollup.revision, rollup.signed, rollup.created_at, rollup.receipt])

    def set_rollup_receipt(self, period: str, revision: int, receipt: bytes) -> None:
        self._run("UPDATE rollups SET receipt = ? WHERE period = ? AND revision = ?",
                  [receipt, period, revision])
