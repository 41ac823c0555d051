"""The log's leaves: accepted submissions in log order (with the schools' shares of
aggregator/store/shares.py, numbered in the same sequence), the member reports a rollup forwarded
with it, and the signed checkpoints of the log.

The intake (aggregator/intake/) writes them in one transaction with the log; exports and the
inspector's bundle (aggregator/log/export.py) read them back. ``SubmissionStore`` is what a
backend offers; ``SqliteSubmissions`` the SQLite implementation mixed into the Store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection, StoreError
from protos.bundle import LogEntry


@dataclass(frozen=True)
class Submission:
    log_index: int
    leaf_hash: bytes
    sender_id: str
    kind: str
    period: str
    revision: int
    signed: bytes
    report_sha256: bytes
    key_id: str
    received_at: str
    receipt: bytes


@dataclass(frozen=True)
class Forwarded:
    report_sha256: bytes
    sender_id: str
    period: str
    revision: int
    signed: bytes


class SubmissionStore(Protocol):
    """Submissions (one per log leaf), forwarded member reports, checkpoints (C2SP notes)."""

    def submission(self, sender_id: str, period: str, revision: int) -> Submission | None: ...
    def submission_at(self, log_index: int) -> Submission | None: ...
    def index_of(self, leaf_hash: bytes) -> int | None: ...
    def revisions(self, sender_id: str, period: str) -> list[Submission]: ...
    def add_submission(self, s: Submission, forwarded: list[Forwarded]) -> None: ...
    def set_receipt(self, log_index: int, receipt: bytes) -> None: ...
    def leaf_hashes(self) -> list[bytes]: ...
    def log_entries(self) -> list[LogEntry]: ...
    def period_submissions(self, period: str) -> list[Submission]: ...
    def latest_submissions(self, period: str) -> list[Submission]: ...
    def latest_revisions(self, period: str) -> dict[str, int]: ...
    def periods(self) -> list[str]: ...
    def forwarded(self, log_index: int) -> list[Forwarded]: ...
    def forwarded_rollups(self, log_index: int) -> list[Forwarded]: ...
    def signed_reports_of(self, sender_id: str) -> list[bytes]: ...
    def checkpoint_at(self, tree_size: int) -> str | None: ...
    def add_checkpoint(self, tree_size: int, note: str) -> None: ...
    def checkpoints(self) -> list[tuple[int, str]]: ...


_SUBMISSION = ("log_index, leaf_hash, sender_id, kind, period, revision, signed, report_sha256,"
               " key_id, received_at, receipt")


def _submission(row: tuple | None) -> Submission | None:
    if row is None:
        return None
    values = list(row)
    for i in (1, 6, 7, 10):
        values[i] = bytes(values[i])
    return Submission(*values)


class SqliteSubmissions(SqliteConnection):
    """SubmissionStore over ``submissions``, ``forwarded`` and ``checkpoints``."""

    def submission(self, sender_id: str, period: str, revision: int) -> Submission | None:
        return _submission(self._one(
            f"SELECT {_SUBMISSION} FROM submissions WHERE sender_id = ? AND period = ?"
            " AND revision = ?", [sender_id, period, revision]))

    def submission_at(self, log_index: int) -> Submission | None:
        return _submission(self._one(
            f"SELECT {_SUBMISSION} FROM submissions WHERE log_index = ?", [log_index]))

    def index_of(self, leaf_hash: bytes) -> int | None:
        row = self._one("SELECT log_index FROM submissions WHERE leaf_hash = ? UNION ALL"
                        " SELECT log_index FROM shares WHERE leaf_hash = ?", [leaf_hash, leaf_hash])
        return row[0] if row else None

    def revisions(self, sender_id: str, period: str) -> list[Submission]:
        """Every revision a sender submitted for a period, oldest first."""
        rows = self._all(f"SELECT {_SUBMISSION} FROM submissions WHERE sender_id = ? AND period = ?"
                         " ORDER BY revision", [sender_id, period])
        return [_submission(row) for row in rows]

    def add_submission(self, s: Submission, forwarded: list[Forwarded]) -> None:
        self._run(f"INSERT INTO submissions ({_SUBMISSION}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                  [s.log_index, s.leaf_hash, s.sender_id, s.kind, s.period, s.revision,
                   s.signed, s.report_sha256, s.key_id, s.received_at, s.receipt])
        for f in forwarded:
            self._run("INSERT OR IGNORE INTO forwarded VALUES (?,?,?,?,?,?)",
                      [s.log_index, f.report_sha256, f.sender_id, f.period, f.revision, f.signed])

    def set_receipt(self, log_index: int, receipt: bytes) -> None:
        self._run("UPDATE submissions SET receipt = ? WHERE log_index = ?", [receipt, log_index])

    def leaf_hashes(self) -> list[bytes]:
        rows = self._all("SELECT log_index, leaf_hash FROM submissions UNION ALL"
                         " SELECT log_index, leaf_hash FROM shares ORDER BY log_index")
        if any(index != i for i, (index, _) in enumerate(rows)):
            raise StoreError(f"汇总库损坏 store {self.path} has a gap in its log")
        return [bytes(leaf) for _, leaf in rows]

    def log_entries(self) -> list[LogEntry]:
        rows = self._all("SELECT log_index, leaf_hash, sender_id, kind, period, revision,"
                         " received_at FROM submissions UNION ALL SELECT log_index, leaf_hash,"
                         " school_id, 'share', period, revision, received_at FROM shares"
                         " ORDER BY log_index")
        return [LogEntry(r[0], bytes(r[1]), *r[2:]) for r in rows]

    def period_submissions(self, period: str) -> list[Submission]:
        """Every submission of the period, every revision, in log order."""
        rows = self._all(f"SELECT {_SUBMISSION} FROM submissions WHERE period = ?"
                         " ORDER BY log_index", [period])
        return [_submission(row) for row in rows]

    def latest_submissions(self, period: str) -> list[Submission]:
        """Each sender's latest revision for the period, by sender."""
        rows = self._all(
            f"SELECT {_SUBMISSION} FROM submissions s WHERE period = ? AND revision = "
            "(SELECT max(revision) FROM submissions t WHERE t.sender_id = s.sender_id"
            " AND t.period = s.period) ORDER BY sender_id", [period])
        return [_submission(row) for row in rows]

    def latest_revisions(self, period: str) -> dict[str, int]:
        """Each sender's latest revision number for the period: ``latest_submissions`` without
        reading the signed reports (a province's rollups carry their schools' reports)."""
        return dict(self._all("SELECT sender_id, max(revision) FROM submissions WHERE period = ?"
                              " GROUP BY sender_id", [period]))

    def periods(self) -> list[str]:
        """Every period some member submitted for."""
        return [row[0] for row in self._all("SELECT DISTINCT period FROM submissions ORDER BY 1")]

    def forwarded(self, log_index: int) -> list[Forwarded]:
        rows = self._all("SELECT report_sha256, sender_id, period, revision, signed FROM forwarded"
                         " WHERE log_index = ? ORDER BY sender_id, revision", [log_index])
        return [Forwarded(bytes(r[0]), r[1], r[2], r[3], bytes(r[4])) for r in rows]

    def forwarded_rollups(self, log_index: int) -> list[Forwarded]:
        """The rollups (senders with a 6-digit region code) forwarded with a submission, without
        the school reports beside them: what completeness reads of the levels below."""
        rows = self._all("SELECT report_sha256, sender_id, period, revision, signed FROM forwarded"
                         " WHERE log_index = ? AND length(sender_id) = 6 ORDER BY sender_id, "
                         "revision", [log_index])
        return [Forwarded(bytes(r[0]), r[1], r[2], r[3], bytes(r[4])) for r in rows]

    def signed_reports_of(self, sender_id: str) -> list[bytes]:
        """Reports of one sender, submitted here or forwarded (to learn its signer keys)."""
        rows = self._all("SELECT signed FROM submissions WHERE sender_id = ? UNION "
                         "SELECT signed FROM forwarded WHERE sender_id = ?", [sender_id, sender_id])
        return [bytes(row[0]) for row in rows]

    # --- checkpoints (the log's signed heads)
    def checkpoint_at(self, tree_size: int) -> str | None:
        row = self._one("SELECT note FROM checkpoints WHERE tree_size = ?", [tree_size])
        return row[0] if row else None

    def add_checkpoint(self, tree_size: int, note: str) -> None:
        self._run("INSERT INTO checkpoints VALUES (?, ?)", [tree_size, note])

    def checkpoints(self) -> list[tuple[int, str]]:
        """Every stored checkpoint, by tree size."""
        return [(r[0], r[1]) for r in self._all("SELECT * FROM checkpoints ORDER BY tree_size")]
