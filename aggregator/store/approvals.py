"""The approvals (审核签字) of this aggregator's rollups, kept until the rollup is signed off.

One row per (period, rollup revision, role): the signed ``Approval`` message. A rollup is
signed off when its three roles are here; the signed-off rollup then replaces the draft of the
same revision in ``rollups`` (aggregator/rollup/signoff.py), once, before anything is sent, so
that every send of that revision is the same bytes.
"""

from __future__ import annotations

from aggregator.store.sqlite import Store
from protos.report_pb2 import Approval

SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,            -- the rollup revision approved
    role TEXT NOT NULL,                   -- filler | reviewer | head (protos/signoff.py)
    approval BLOB NOT NULL,               -- guanai.v1.Approval, signed
    PRIMARY KEY (period, revision, role)
);
"""


def ensure(store: Store) -> None:
    """Create the table if this store predates it; call outside a transaction (a script
    commits)."""
    with store._lock:
        store.db.conn.executescript(SCHEMA)


def put(store: Store, period: str, revision: int, approval: Approval) -> None:
    """Record ``approval`` for the rollup (replacing an earlier one of the same role); the
    table must exist (``ensure``)."""
    store._run("INSERT OR REPLACE INTO approvals VALUES (?, ?, ?, ?)",
               (period, revision, approval.role, approval.SerializeToString()))


def of_rollup(store: Store, period: str, revision: int) -> list[Approval]:
    """The approvals recorded for the rollup of ``period`` and ``revision``."""
    ensure(store)
    rows = store._all("SELECT approval FROM approvals WHERE period = ? AND revision = ?",
                      (period, revision))
    return [Approval.FromString(bytes(r[0])) for r in rows]


def replace_draft(store: Store, period: str, revision: int, signed: bytes) -> None:
    """Put the signed-off rollup in place of its draft; only while nothing was sent."""
    changed = store._run("UPDATE rollups SET signed = ? WHERE period = ? AND revision = ? "
                         "AND receipt IS NULL", (signed, period, revision))
    if changed != 1:
        raise ValueError(f"rollup {period} r{revision} is not an unsent draft")
