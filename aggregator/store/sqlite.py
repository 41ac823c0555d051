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

from common.errors import GuanaiError
from protos.bundle import LogEntry

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
-- Every checkpoint this aggregator signed, one per tree size, for inspectors (docs/inspection.md).
CREATE TABLE IF NOT EXISTS checkpoints (
    tree_size INTEGER PRIMARY KEY,
    note TEXT NOT NULL                    -- C2SP signed note (docs/formats.md §5)
);

-- The reporting calendar (docs/calendar.md): deadlines, staff credentials and their decisions.
CREATE TABLE IF NOT EXISTS deadlines (
    period TEXT PRIMARY KEY,
    due TEXT NOT NULL,                    -- UTC ISO 8601: on time up to here
    lock TEXT NOT NULL                    -- after this, accepted only with an exception
);
CREATE TABLE IF NOT EXISTS staff (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,                   -- the official who holds the credential
    public_key BLOB NOT NULL,             -- raw Ed25519 public key of the credential
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                   -- deadline | unlock | return | revoke | rotate | staff
    member_id TEXT,
    period TEXT,
    made_at TEXT NOT NULL,
    credential TEXT NOT NULL,             -- staff:<key id> | member:<id>:<key id> | aggregator:<key id>
    record BLOB NOT NULL,                 -- the signed bytes (docs/calendar.md §6)
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS exceptions (
    member_id TEXT NOT NULL,
    period TEXT NOT NULL,
    until TEXT NOT NULL,                  -- may submit after the lock up to here
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    PRIMARY KEY (member_id, period)
);
CREATE TABLE IF NOT EXISTS returns (
    member_id TEXT NOT NULL,
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,            -- returned for correction; open until a later one arrives
    reason TEXT NOT NULL,
    returned_at TEXT NOT NULL,
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    PRIMARY KEY (member_id, period, revision)
);
CREATE TABLE IF NOT EXISTS marks (
    log_index INTEGER PRIMARY KEY REFERENCES submissions(log_index),
    timeliness TEXT NOT NULL,             -- on_time | late, by this aggregator's deadline
    exception INTEGER REFERENCES decisions(id)  -- the unlock it used, after the lock
);
CREATE TABLE IF NOT EXISTS parent_keys (  -- the parent's signing keys before its rotations
    signing_key BLOB PRIMARY KEY,         -- still verify the receipts it signed with them
    replaced_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS key_rotations (
    seq INTEGER PRIMARY KEY,
    old_key_id TEXT NOT NULL UNIQUE,      -- this aggregator's key it replaced
    rotation BLOB NOT NULL,               -- serialized guanai.v1.KeyRotation, endorsed
    rotated_at TEXT NOT NULL
);

-- 监测预警 Monitoring warnings (docs/warnings.md): judged here (issuer = this region) or
-- received from the aggregator above; one row per (issuer, rule, region, period).
CREATE TABLE IF NOT EXISTS warnings (
    warning_id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    period TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    region TEXT NOT NULL,
    status TEXT NOT NULL,                 -- new | persisting | resolved
    since TEXT NOT NULL,
    signed BLOB NOT NULL,                 -- the SignedWarning
    recorded_at TEXT NOT NULL,
    delivered_at TEXT                     -- issued here: when the region's aggregator took it
);
CREATE INDEX IF NOT EXISTS warnings_period ON warnings (issuer, period);
-- Periods judged here, with the version of the rules used.
CREATE TABLE IF NOT EXISTS warning_runs (
    period TEXT PRIMARY KEY,
    rules_version TEXT NOT NULL,
    evaluated_at TEXT NOT NULL
);
-- Responses to warnings: made here (sent_at: when the issuer took it) or received from below.
CREATE TABLE IF NOT EXISTS warning_responses (
    warning_id TEXT NOT NULL,
    responded_unix_ms INTEGER NOT NULL,
    responder TEXT NOT NULL,
    action TEXT NOT NULL,
    signed BLOB NOT NULL,                 -- the SignedWarningResponse
    sent_at TEXT,
    PRIMARY KEY (warning_id, responded_unix_ms)
);
CREATE INDEX IF NOT EXISTS forwarded_sender ON forwarded (sender_id);
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
class StoredWarning:
    warning_id: str
    issuer: str
    period: str
    rule_id: str
    region: str
    status: str
    since: str
    signed: bytes
    recorded_at: str
    delivered_at: str | None


@dataclass(frozen=True)
class StoredResponse:
    warning_id: str
    responded_unix_ms: int
    responder: str
    action: str
    signed: bytes
    sent_at: str | None


@dataclass(frozen=True)
class Rollup:
    period: str
    revision: int
    signed: bytes
    created_at: str
    receipt: bytes | None


@dataclass(frozen=True)
class Staff:
    key_id: str
    name: str
    public_key: bytes
    added_at: str


@dataclass(frozen=True)
class Decision:
    kind: str
    member_id: str | None
    period: str | None
    made_at: str
    credential: str
    record: bytes
    signature: bytes
    id: int | None = None


@dataclass(frozen=True)
class Return:
    member_id: str
    period: str
    revision: int
    reason: str
    returned_at: str
    decision_id: int


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

    def all_keys(self) -> list[MemberKey]:
        rows = self._all("SELECT * FROM member_keys ORDER BY member_id, enrolled_at")
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

    def log_entries(self) -> list[LogEntry]:
        rows = self._all("SELECT log_index, leaf_hash, sender_id, kind, period, revision,"
                         " received_at FROM submissions ORDER BY log_index")
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

    def rollups(self, period: str) -> list[Rollup]:
        rows = self._all("SELECT * FROM rollups WHERE period = ? ORDER BY revision", [period])
        return [Rollup(r[0], r[1], bytes(r[2]), r[3], None if r[4] is None else bytes(r[4]))
                for r in rows]

    def add_rollup(self, rollup: Rollup) -> None:
        self._run("INSERT INTO rollups VALUES (?,?,?,?,?)",
                  [rollup.period, rollup.revision, rollup.signed, rollup.created_at, rollup.receipt])

    def set_rollup_receipt(self, period: str, revision: int, receipt: bytes) -> None:
        self._run("UPDATE rollups SET receipt = ? WHERE period = ? AND revision = ?",
                  [receipt, period, revision])

    # --- checkpoints (the log's signed heads)
    def checkpoint_at(self, tree_size: int) -> str | None:
        row = self._one("SELECT note FROM checkpoints WHERE tree_size = ?", [tree_size])
        return row[0] if row else None

    def add_checkpoint(self, tree_size: int, note: str) -> None:
        self._run("INSERT INTO checkpoints VALUES (?, ?)", [tree_size, note])

    def checkpoints(self) -> list[tuple[int, str]]:
        """Every stored checkpoint, by tree size."""
        return [(r[0], r[1]) for r in self._all("SELECT * FROM checkpoints ORDER BY tree_size")]

    # --- the reporting calendar (aggregator/calendar.py, aggregator/calendar/decisions.py)
    def deadlines(self, period: str) -> tuple[str, str] | None:
        row = self._one("SELECT due, lock FROM deadlines WHERE period = ?", [period])
        return (row[0], row[1]) if row else None

    def set_deadlines(self, period: str, due: str, lock: str) -> None:
        self._run("INSERT OR REPLACE INTO deadlines VALUES (?,?,?)", [period, due, lock])

    def add_staff(self, staff: Staff) -> None:
        self._run("INSERT INTO staff VALUES (?,?,?,?)",
                  [staff.key_id, staff.name, staff.public_key, staff.added_at])

    def staff(self) -> list[Staff]:
        rows = self._all("SELECT * FROM staff ORDER BY added_at, key_id")
        return [Staff(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def add_decision(self, d: Decision) -> int:
        with self._lock:
            return self.db.conn.execute(
                "INSERT INTO decisions (kind, member_id, period, made_at, credential, record,"
                " signature) VALUES (?,?,?,?,?,?,?)",
                [d.kind, d.member_id, d.period, d.made_at, d.credential, d.record, d.signature],
            ).lastrowid

    def decisions(self, member_id: str | None = None, period: str | None = None) -> list[Decision]:
        rows = self._all(
            "SELECT * FROM decisions WHERE (?1 IS NULL OR member_id = ?1)"
            " AND (?2 IS NULL OR period = ?2) ORDER BY id", [member_id, period])
        return [Decision(*r[1:6], bytes(r[6]), bytes(r[7]), r[0]) for r in rows]

    def set_exception(self, member_id: str, period: str, until: str, decision_id: int) -> None:
        self._run("INSERT OR REPLACE INTO exceptions VALUES (?,?,?,?)",
                  [member_id, period, until, decision_id])

    def exception(self, member_id: str, period: str) -> tuple[str, int] | None:
        """(until, decision id) of the exception granted to the member for the period."""
        row = self._one("SELECT until, decision_id FROM exceptions WHERE member_id = ?"
                        " AND period = ?", [member_id, period])
        return (row[0], row[1]) if row else None

    def add_return(self, r: Return) -> None:
        self._run("INSERT INTO returns VALUES (?,?,?,?,?,?)",
                  [r.member_id, r.period, r.revision, r.reason, r.returned_at, r.decision_id])

    def returns(self, period: str, member_id: str | None = None) -> list[Return]:
        rows = self._all("SELECT * FROM returns WHERE period = ?1 AND (?2 IS NULL OR"
                         " member_id = ?2) ORDER BY returned_at", [period, member_id])
        return [Return(*r) for r in rows]

    def add_mark(self, log_index: int, timeliness: str, exception: int | None) -> None:
        self._run("INSERT INTO marks VALUES (?,?,?)", [log_index, timeliness, exception])

    def mark(self, log_index: int) -> tuple[str, int | None] | None:
        row = self._one("SELECT timeliness, exception FROM marks WHERE log_index = ?", [log_index])
        return (row[0], row[1]) if row else None

    def add_key_rotation(self, old_key_id: str, rotation: bytes, rotated_at: str) -> None:
        self._run("INSERT INTO key_rotations (old_key_id, rotation, rotated_at) VALUES (?,?,?)",
                  [old_key_id, rotation, rotated_at])

    def retire_parent_key(self, signing_key: bytes, replaced_at: str) -> None:
        """Keep the parent's replaced signing key (32 bytes), so old receipts still verify."""
        self._run("INSERT OR IGNORE INTO parent_keys VALUES (?, ?)", [signing_key, replaced_at])

    def retired_parent_keys(self) -> list[bytes]:
        """The parent's signing keys before its rotations, newest first."""
        rows = self._all("SELECT signing_key FROM parent_keys ORDER BY replaced_at DESC")
        return [bytes(r[0]) for r in rows]

    def key_rotations(self) -> list[tuple[str, bytes]]:
        """(old key id, serialized KeyRotation) of this aggregator's own rotations, oldest first."""
        rows = self._all("SELECT old_key_id, rotation FROM key_rotations ORDER BY seq")
        return [(r[0], bytes(r[1])) for r in rows]

    # --- reports of one sender, submitted here or forwarded (their signer keys)
    def signed_reports_of(self, sender_id: str) -> list[bytes]:
        rows = self._all("SELECT signed FROM submissions WHERE sender_id = ? UNION "
                         "SELECT signed FROM forwarded WHERE sender_id = ?", [sender_id, sender_id])
        return [bytes(row[0]) for row in rows]

    # --- monitoring warnings (监测预警)
    def put_warning(self, w: StoredWarning) -> None:
        self._run("INSERT OR REPLACE INTO warnings VALUES (?,?,?,?,?,?,?,?,?,?)",
                  [w.warning_id, w.issuer, w.period, w.rule_id, w.region, w.status, w.since,
                   w.signed, w.recorded_at, w.delivered_at])

    def warning(self, warning_id: str) -> StoredWarning | None:
        row = self._one("SELECT * FROM warnings WHERE warning_id = ?", [warning_id])
        return _warning(row) if row else None

    def warnings(self, issuer: str | None = None, period: str | None = None) -> list[StoredWarning]:
        sql, params = "SELECT * FROM warnings WHERE 1 = 1", []
        for column, value in (("issuer", issuer), ("period", period)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self._all(sql + " ORDER BY period, region, rule_id", params)
        return [_warning(row) for row in rows]

    def delete_warning(self, warning_id: str) -> None:
        self._run("DELETE FROM warnings WHERE warning_id = ?", [warning_id])

    def set_warning_delivered(self, warning_id: str, at: str) -> None:
        self._run("UPDATE warnings SET delivered_at = ? WHERE warning_id = ?", [at, warning_id])

    def add_warning_run(self, period: str, rules_version: str, at: str) -> None:
        self._run("INSERT OR REPLACE INTO warning_runs VALUES (?,?,?)", [period, rules_version, at])

    def warning_runs(self) -> list[str]:
        """The periods judged here."""
        return [row[0] for row in self._all("SELECT period FROM warning_runs")]

    def add_warning_response(self, r: StoredResponse) -> None:
        self._run("INSERT OR REPLACE INTO warning_responses VALUES (?,?,?,?,?,?)",
                  [r.warning_id, r.responded_unix_ms, r.responder, r.action, r.signed, r.sent_at])

    def warning_responses(self, warning_id: str | None = None) -> list[StoredResponse]:
        sql, params = "SELECT * FROM warning_responses", []
        if warning_id is not None:
            sql, params = sql + " WHERE warning_id = ?", [warning_id]
        rows = self._all(sql + " ORDER BY warning_id, responded_unix_ms", params)
        return [StoredResponse(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    def set_response_sent(self, warning_id: str, responded_unix_ms: int, at: str) -> None:
        self._run("UPDATE warning_responses SET sent_at = ? WHERE warning_id = ? AND "
                  "responded_unix_ms = ?", [at, warning_id, responded_unix_ms])


def _warning(row: tuple) -> StoredWarning:
    values = list(row)
    values[7] = bytes(values[7])
    return StoredWarning(*values)
