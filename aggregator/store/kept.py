"""Kept official tables (正式表留存): every region's official table of a period, stored once per
generation of the period's figures (aggregator/figures/kept.py decides when; this module only
reads and writes the rows).

``kept_periods`` says which generation, catalogue and algorithm the period's rows were made
from; ``kept_tables`` holds one row per region, its cells packed in the catalogue's order. Only
the newest generation of a period is kept. Storing is check-then-insert inside the caller's
transaction (no upsert dialect): two processes on one file (the gRPC server and the web pages)
that make the same generation leave one set of rows; a database that lets the second insert
race the first refuses it by the primary key, which ``keep_tables`` reports as ``KeptRace``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection, StoreError


class KeptRace(StoreError):
    """Another process stored the same period's kept tables at the same moment."""


@dataclass(frozen=True)
class KeptSet:
    """What a period's kept tables were made from, and when (UTC, common.clock.stamp)."""

    period: str
    generation: int
    catalogue_version: str
    algorithm: str
    made_at: str


@dataclass(frozen=True)
class KeptRegion:
    """One region's kept table: (packed official values, packed projection), or None when
    the period's kept tables hold no table of that region."""

    kept: KeptSet
    packed: tuple[bytes, bytes] | None


class KeptStore(Protocol):
    def kept_region(self, period: str, region: str) -> KeptRegion | None: ...
    def kept_set(self, period: str) -> KeptSet | None: ...
    def keep_tables(self, kept: KeptSet, rows: Sequence[tuple[str, bytes, bytes]]) -> bool: ...
    def kept_size(self, period: str) -> tuple[int, int]: ...


_SET = "p.period, p.generation, p.catalogue_version, p.algorithm, p.made_at"


class SqliteKept(SqliteConnection):
    """KeptStore over ``kept_periods`` and ``kept_tables``."""

    def kept_region(self, period: str, region: str) -> KeptRegion | None:
        """The period's kept set with ``region``'s row, in one read of two primary keys;
        None when nothing is kept for the period."""
        row = self._one(f"SELECT {_SET}, t.official_values, t.projected FROM kept_periods p "
                        "LEFT JOIN kept_tables t ON t.period = p.period AND t.region = ? "
                        "WHERE p.period = ?", [region, period])
        if row is None:
            return None
        return KeptRegion(KeptSet(*row[:5]),
                          None if row[5] is None else (bytes(row[5]), bytes(row[6])))

    def kept_set(self, period: str) -> KeptSet | None:
        """What the period's kept tables were made from; None when nothing is kept."""
        row = self._one(f"SELECT {_SET} FROM kept_periods p WHERE p.period = ?", [period])
        return KeptSet(*row) if row else None

    def kept_size(self, period: str) -> tuple[int, int]:
        """(regions, bytes of their packed cells) kept for the period; (0, 0) if none."""
        row = self._one("SELECT COUNT(*), SUM(LENGTH(official_values) + LENGTH(projected)) "
                        "FROM kept_tables WHERE period = ?", [period])
        return row[0], row[1] or 0

    def keep_tables(self, kept: KeptSet, rows: Sequence[tuple[str, bytes, bytes]]) -> bool:
        """Keep ``rows`` (region, packed values, packed projection) as the period's tables,
        replacing an older generation's; whether they were stored. Nothing changes when the
        period's figures moved past ``kept.generation`` since (they are stale already) or when
        the same generation, catalogue and algorithm are kept (another process made them: the
        solve is deterministic). Call inside a transaction; raises KeptRace when the database
        refused a row another transaction inserted meanwhile (roll back: nothing is lost)."""
        if self.figure_generation(kept.period) != kept.generation:  # SqliteFigures'
            return False
        held = self.kept_set(kept.period)
        if held is not None and (held.generation, held.catalogue_version, held.algorithm) == \
                (kept.generation, kept.catalogue_version, kept.algorithm):
            return False
        self._run("DELETE FROM kept_tables WHERE period = ?", [kept.period])
        self._run("DELETE FROM kept_periods WHERE period = ?", [kept.period])
        try:
            self._run("INSERT INTO kept_periods (period, generation, catalogue_version, "
                      "algorithm, made_at) VALUES (?,?,?,?,?)",
                      [kept.period, kept.generation, kept.catalogue_version, kept.algorithm,
                       kept.made_at])
            self._many("INSERT INTO kept_tables (period, region, official_values, projected)"
                       " VALUES (?,?,?,?)", [(kept.period, *row) for row in rows])
        except sqlite3.IntegrityError as exc:
            raise KeptRace(f"正式表已由另一进程保存 kept tables of {kept.period} stored "
                           f"meanwhile by another process: {exc}") from None
        return True

