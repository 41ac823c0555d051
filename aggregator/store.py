"""The aggregator's store: one SQLite file per aggregator, WAL, fsync on every commit.

It holds its members' public keys, the submissions it accepted (each one a leaf of its log, in
log order), the member reports that rollups forwarded, and its own rollups. Nothing that
arrives carries a name: it is a DP table. All SQL of the aggregator lives here, behind a few
methods, so that another database can take SQLite's place when one machine is outgrown.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from protos.errors import GuanaiError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS members (
    member_id TEXT PRIMARY KEY,           -- 学校标识码, or a member aggregator's region code
    kind TEXT NOT NULL,                   -- school | aggregator
    region TEXT NOT NULL,                 -- a school's county; an aggregator's own region
    enrolled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS member_keys (
    member_id TEXT NOT NULL REFERENCES members(member_id),
    key_id TEXT NOT NULL,
    signing_key BLOB NOT NULL,            -- raw Ed25519 public key
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,                      -- refused from this time on (UTC, ISO 8601)
    PRIMARY KEY (member_id, key_id)
);

-- Accepted submissions; each is the log leaf at log_index (docs/formats.md §4).
CREATE TABLE IF NOT EXISTS submissions (
    log_index INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL UNIQUE,
    sender_id TEXT NOT NULL,
    kind TEXT NOT NULL,                   -- school | rollup
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    signed BLOB NOT NULL,                 -- the SignedReport exactly as received
    report_sha256 BLOB NOT NULL,
    key_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    receipt BLOB NOT NULL,                -- the signed Receipt, answered again to a resend
    UNIQUE (sender_id, period, revision)
);
-- SignedReports of the members below a member rollup, forwarded with it.
CREATE TABLE IF NOT EXISTS forwarded (
    log_index INTEGER NOT NULL REFERENCES submissions(log_index),
    report_sha256 BLOB NOT NULL,
    sender_id TEXT NOT NULL,
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    signed BLOB NOT NULL,
    PRIMARY KEY (log_index, report_sha256)
);
-- This aggregator's own rollups, sent to its parent.
CREATE TABLE IF NOT EXISTS rollups (
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    signed BLOB NOT NULL,
    created_at TEXT NOT NULL,
    receipt BLOB,                         -- the parent's verified receipt, once held
    PRIMARY KEY (period, revision)
);
CREATE INDEX IF NOT EXISTS submissions_period ON submissions (period, sender_id, revision);
CREATE INDEX IF NOT EXISTS submissions_sha ON submissions (report_sha256);
"""


class StoreError(GuanaiError):
    """The aggregator's store cannot be opened or is not an aggregator store."""


@dataclass(frozen=True)
class Member:
    member_id: str
    kind: str
    region: str
    enrolled_at: str


@dataclass(frozen=True)
class MemberKey:
    member_id: str
    key_id: str
    signing_key: bytes
    enrolled_at: str
    revoked_at: str | None


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


@dataclass(frozen=True)
class Rollup:
    period: str
    revision: int
    signed: bytes
    created_at: str
    receipt: bytes | None


_SUBMISSION = ("log_index, leaf_hash, sender_id, kind, period, revision, signed, report_sha256,"
               " key_id, received_at, receipt")


def _submission(row: tuple | None) -> Submission | None:
    if row is None:
        return None
    values = list(row)
    for i in (1, 6, 7, 10):
        values[i] = bytes(values[i])
    return Submission(*values)


class Store:
    """One aggregator's SQLite file. A lock makes one connection safe to share by threads."""

    def __init__(self, path: Path | str, create: bool = False) -> None:
        path = Path(path)
        if not path.exists():
            if not create:
                raise StoreError(
                    f"找不到汇总库 no aggregator store at {path} (run `guanai aggregator init`)"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        self.path = path
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before a receipt leaves
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.executescript(SCHEMA)
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing; other threads wait until it ends."""
        with self._lock:
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.db.conn.execute("ROLLBACK")
                raise
            self.db.conn.execute("COMMIT")

    def _all(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        with self._lock:
            return self.db.conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        with self._lock:
            return self.db.conn.execute(sql, params).fetchone()

    def _run(self, sql: str, params: list | tuple = ()) -> int:
        with self._lock:
            return self.db.conn.execute(sql, params).rowcount

    # --- meta
    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", [key])
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    # --- members and keys
    def add_member(self, member: Member) -> None:
        self._run("INSERT INTO members VALUES (?,?,?,?)",
                  [member.member_id, member.kind, member.region, member.enrolled_at])

    def member(self, member_id: str) -> Member | None:
        row = self._one("SELECT * FROM members WHERE member_id = ?", [member_id])
        return Member(*row) if row else None

    def members(self) -> list[Member]:
        return [Member(*row) for row in self._all("SELECT * FROM members ORDER BY member_id")]

    def add_key(self, key: MemberKey) -> None:
        self._run("INSERT INTO member_keys VALUES (?,?,?,?,?)",
                  [key.member_id, key.key_id, key.signing_key, key.enrolled_at, key.revoked_at])

    def keys(self, member_id: str) -> list[MemberKey]:
        rows = self._all("SELECT * FROM member_keys WHERE member_id = ? ORDER BY enrolled_at",
                         [member_id])
        return [MemberKey(r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def revoke(self, member_id: str, key_id: str | None, at: str) -> int:
        """Revoke one key, or every key of the member; return how many were revoked."""
        sql = "UPDATE member_keys SET revoked_at = ? WHERE member_id = ? AND revoked_at IS NULL"
        params = [at, member_id]
        if key_id is not None:
            sql += " AND key_id = ?"
            params.append(key_id)
        return self._run(sql, params)

    # --- submissions (the log's leaves)
    def submission(self, sender_id: str, period: str, revision: int) -> Submission | None:
        return _submission(self._one(
            f"SELECT {_SUBMISSION} FROM submissions WHERE sender_id = ? AND period = ?"
            " AND revision = ?", [sender_id, period, revision]))

    def submission_at(self, log_index: int) -> Submission | None:
        return _submission(self._one(
            f"SELECT {_SUBMISSION} FROM submissions WHERE log_index = ?", [log_index]))

    def index_of(self, leaf_hash: bytes) -> int | None:
        row = self._one("SELECT log_index FROM submissions WHERE leaf_hash = ?", [leaf_hash])
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
        rows = self._all("SELECT log_index, leaf_hash FROM submissions ORDER BY log_index")
        if any(index != i for i, (index, _) in enumerate(rows)):
            raise StoreError(f"汇总库损坏 store {self.path} has a gap in its log")
        return [bytes(leaf) for _, leaf in rows]

    def latest_submissions(self, period: str) -> list[Submission]:
        """Each sender's latest revision for the period, by sender."""
        rows = self._all(
            f"SELECT {_SUBMISSION} FROM submissions s WHERE period = ? AND revision = "
            "(SELECT max(revision) FROM submissions t WHERE t.sender_id = s.sender_id"
            " AND t.period = s.period) ORDER BY sender_id", [period])
        return [_submission(row) for row in rows]

    def periods(self) -> list[str]:
        """Every period some member submitted for."""
        return [row[0] for row in self._all("SELECT DISTINCT period FROM submissions ORDER BY 1")]

    def forwarded(self, log_index: int) -> list[Forwarded]:
        rows = self._all("SELECT report_sha256, sender_id, period, revision, signed FROM forwarded"
                         " WHERE log_index = ? ORDER BY sender_id, revision", [log_index])
        return [Forwarded(bytes(r[0]), r[1], r[2], r[3], bytes(r[4])) for r in rows]

    # --- own rollups
    def latest_rollup(self, period: str) -> Rollup | None:
        row = self._one("SELECT * FROM rollups WHERE period = ? ORDER BY revision DESC LIMIT 1",
                        [period])
        if row is None:
            return None
        return Rollup(row[0], row[1], bytes(row[2]), row[3], None if row[4] is None else bytes(row[4]))

    def add_rollup(self, rollup: Rollup) -> None:
        self._run("INSERT INTO rollups VALUES (?,?,?,?,?)",
                  [rollup.period, rollup.revision, rollup.signed, rollup.created_at, rollup.receipt])

    def set_rollup_receipt(self, period: str, revision: int, receipt: bytes) -> None:
        self._run("UPDATE rollups SET receipt = ? WHERE period = ? AND revision = ?",
                  [receipt, period, revision])
