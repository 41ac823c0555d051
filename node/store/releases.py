"""Releases, stored once per (period, revision) before anything is sent (invariant 2,
docs/architecture.md), and the privacy budget ledger that charges each one (invariant 3).

A release and its charge are written in the caller's one transaction: a release is never kept
without its charge, nor a charge without its release.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from protos import report_pb2


@dataclass(frozen=True)
class StoredRelease:
    """A release as kept: its Report bytes (values in catalogue order, with their noise) and
    the true values it was made from (cell id → count or yuan), which never leave the node."""

    period: str
    revision: int
    created_at: str
    report_bytes: bytes
    true_values: dict[str, int]

    @property
    def report(self) -> report_pb2.Report:
        """The parsed Report."""
        return report_pb2.Report.FromString(self.report_bytes)


_SELECT = "SELECT period, revision, created_at, true_values, report FROM releases"


def _stored(row: tuple | None) -> StoredRelease | None:
    if row is None:
        return None
    period, revision, created_at, true_values, report = row
    return StoredRelease(period, revision, created_at, bytes(report), json.loads(true_values))


def latest(store: sqlite_utils.Database, period: str) -> StoredRelease | None:
    """The period's release of the highest revision, if any."""
    return _stored(store.execute(f"{_SELECT} WHERE period = ? ORDER BY revision DESC LIMIT 1",
                                 [period]).fetchone())


def get(store: sqlite_utils.Database, period: str, revision: int) -> StoredRelease | None:
    """The release of (period, revision), if made."""
    return _stored(store.execute(f"{_SELECT} WHERE period = ? AND revision = ?",
                                 [period, revision]).fetchone())


def spent_in_year(store: sqlite_utils.Database, year: int) -> float:
    """ρ (zCDP) charged in calendar ``year``, every release and revision counted."""
    return store.execute("SELECT coalesce(sum(rho), 0) FROM budget_ledger WHERE year = ?",
                         [year]).fetchone()[0]


def add(store: sqlite_utils.Database, year: int, period: str, revision: int, rho: float,
        true_values: dict[str, int], report: bytes, at: str) -> None:
    """Charge ``rho`` to ``year`` and keep the release; call inside one transaction."""
    store.execute("INSERT INTO budget_ledger (year, period, revision, rho, charged_at)"
                  " VALUES (?,?,?,?,?)", [year, period, revision, rho, at])
    store.execute("INSERT INTO releases (period, revision, created_at, true_values, report)"
                  " VALUES (?,?,?,?,?)", [period, revision, at, json.dumps(true_values), report])
