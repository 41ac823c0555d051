"""The school's local store: one SQLite file per school, mode 0600, WAL.

Identifiable records (names, ID-card numbers, phones, addresses, free text) live only here.
Every table is created by ``open_store``; later code reaches them through sqlite-utils.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from common.errors import GuanaiError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS students (
    id INTEGER PRIMARY KEY,
    student_no TEXT NOT NULL UNIQUE,      -- 学号
    name TEXT NOT NULL,                   -- 姓名
    id_card TEXT UNIQUE,                  -- 身份证号 (18 digits, checked)
    gender TEXT,                          -- 性别
    stage TEXT NOT NULL,                  -- catalogue stage id
    grade TEXT,                           -- 年级
    class TEXT,                           -- 班级
    tier TEXT,                            -- 家庭经济困难等级: special | difficult | general | NULL
    graduating INTEGER NOT NULL DEFAULT 0,-- 应届毕业生
    phone TEXT,
    address TEXT,
    enrolled INTEGER NOT NULL DEFAULT 1,  -- 0 once the student has left the school
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS student_categories (
    student_id INTEGER NOT NULL REFERENCES students(id),
    category TEXT NOT NULL,               -- catalogue category id
    source TEXT NOT NULL,                 -- roster | auto (免申即享)
    since TEXT NOT NULL,
    PRIMARY KEY (student_id, category)
);
CREATE TABLE IF NOT EXISTS student_factors (
    student_id INTEGER NOT NULL REFERENCES students(id),
    factor TEXT NOT NULL,                 -- catalogue factor id
    PRIMARY KEY (student_id, factor)
);

-- R-PROC: one case per student's key-care procedure; its history in case_events.
CREATE TABLE IF NOT EXISTS cases (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students(id),
    route TEXT NOT NULL,                  -- application | auto (免申即享)
    requester TEXT,                       -- student | guardian | teacher (route = application)
    requested_care TEXT,
    facts TEXT,
    reasons TEXT,
    status TEXT NOT NULL                  -- applied | reviewed | rejected | confirmed | exited
);
CREATE TABLE IF NOT EXISTS case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,                   -- apply | review | confirm | file | exit
    on_date TEXT NOT NULL,
    participants TEXT,                    -- roles at a collective review (集体评议)
    decision TEXT,                        -- approve | reject (review, exit)
    note TEXT,
    recorded_at TEXT NOT NULL
);

-- Care activities of every group of the table (R-TUTOR … R-JOBS).
CREATE TABLE IF NOT EXISTS care_records (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students(id),
    kind TEXT NOT NULL,                   -- see node.vocabulary.RECORD_KINDS
    on_date TEXT NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 1,
    note TEXT
);
-- R-DROPOUT: each semester's registration (报到) of a student in difficulty.
CREATE TABLE IF NOT EXISTS registrations (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students(id),
    period TEXT NOT NULL,                 -- 2025-H1 (spring) | 2025-H2 (autumn)
    status TEXT NOT NULL,                 -- on_time | illness | suspension | other
    returned_on TEXT,                     -- 劝返复学 date
    dropped_out INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    UNIQUE (student_id, period)
);
-- R-AID
CREATE TABLE IF NOT EXISTS aid_records (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students(id),
    item TEXT NOT NULL,                   -- catalogue aid_item id
    on_date TEXT NOT NULL,
    amount INTEGER NOT NULL,              -- yuan
    highest_tier INTEGER NOT NULL DEFAULT 0
);
-- R-MENTOR
CREATE TABLE IF NOT EXISTS mentors (
    id INTEGER PRIMARY KEY,
    staff_no TEXT NOT NULL UNIQUE,        -- 工号
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mentor_assignments (
    mentor_id INTEGER NOT NULL REFERENCES mentors(id),
    student_id INTEGER NOT NULL REFERENCES students(id),
    period TEXT NOT NULL,
    PRIMARY KEY (mentor_id, student_id, period)
);
-- A mentor appointed for a semester (育人导师名单): the school's own record, not any student's,
-- so the public cell mentor.mentors counted from it does not change with any student's records.
CREATE TABLE IF NOT EXISTS mentor_terms (
    mentor_id INTEGER NOT NULL REFERENCES mentors(id),
    period TEXT NOT NULL,
    PRIMARY KEY (mentor_id, period)
);
INSERT OR IGNORE INTO mentor_terms SELECT DISTINCT mentor_id, period FROM mentor_assignments;
-- R-HOME: school-level activities (not about any one student).
CREATE TABLE IF NOT EXISTS activities (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    on_date TEXT NOT NULL,
    note TEXT
);
-- R-LEDGER: key growth events (关键成长事件) of each key student.
CREATE TABLE IF NOT EXISTS growth_events (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students(id),
    on_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- Releases: stored once per (period, revision) before anything is sent (invariant 2, docs/architecture.md).
CREATE TABLE IF NOT EXISTS releases (
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    true_values TEXT NOT NULL,            -- JSON, local only
    report BLOB NOT NULL,                 -- serialized guanai.v1.Report
    PRIMARY KEY (period, revision)
);
-- The privacy budget ledger: ρ charged per release, per year (invariant 3, docs/architecture.md).
CREATE TABLE IF NOT EXISTS budget_ledger (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    rho REAL NOT NULL,
    charged_at TEXT NOT NULL
);

-- Submissions to the parent aggregator, kept until a receipt is held (node/submit.py).
CREATE TABLE IF NOT EXISTS outbox (
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    recipient_id TEXT NOT NULL,
    signed BLOB NOT NULL,                 -- SignedReport: the same bytes on every attempt
    state TEXT NOT NULL,                  -- pending | delivered | refused | superseded
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (period, revision)
);
-- The parent's verified receipts (回执).
CREATE TABLE IF NOT EXISTS receipts (
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    aggregator_id TEXT NOT NULL,
    log_index INTEGER NOT NULL,
    tree_size INTEGER NOT NULL,
    receipt BLOB NOT NULL,                -- serialized guanai.v1.Receipt
    received_at TEXT NOT NULL,
    PRIMARY KEY (period, revision)
);
-- 秘密分享 The two shares of each release's true table (docs/secure-aggregation.md), made once
-- with the release and kept with their delivery state and the party's verified receipt.
CREATE TABLE IF NOT EXISTS shares (
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    party TEXT NOT NULL,                  -- leader | helper
    recipient_id TEXT NOT NULL,           -- the party's region code
    share BLOB NOT NULL,                  -- serialized guanai.v1.Share, made with the release
    signed BLOB,                          -- Signed share, signed once when queued: the same
                                          -- bytes on every attempt
    state TEXT NOT NULL,                  -- pending | delivered | refused | superseded
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    receipt BLOB,                         -- the party's verified guanai.v1.Receipt
    log_index INTEGER,                    -- the share's leaf in the party's log
    created_at TEXT NOT NULL,
    received_at TEXT,
    PRIMARY KEY (period, revision, party)
);

-- The schedule (node/daemon.py): each period's latest check, and the parent's word on it.
CREATE TABLE IF NOT EXISTS schedule_checks (
    period TEXT PRIMARY KEY,
    problem TEXT,                         -- why it cannot go now; NULL: nothing stands in the way
    logged_at TEXT NOT NULL               -- when it was found, or last logged again
);
CREATE TABLE IF NOT EXISTS parent_standing (  -- from the parent's latest signed status answer
    period TEXT PRIMARY KEY,
    due TEXT NOT NULL,                    -- UTC ISO 8601
    lock TEXT NOT NULL,
    exception_until TEXT,
    revision INTEGER NOT NULL,            -- latest revision the parent holds (0: none)
    timeliness TEXT,
    returned_revision INTEGER,            -- returned for correction, not yet revised
    return_reason TEXT,
    returned_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parent_keys (  -- the parent's signing keys before its rotations
    signing_key BLOB PRIMARY KEY,         -- still verify the receipts it signed with them
    replaced_at TEXT NOT NULL
);

-- Natural keys, so that importing the same file twice adds nothing; and lookups by student.
CREATE UNIQUE INDEX IF NOT EXISTS care_records_key
    ON care_records (student_id, kind, on_date, ifnull(note, ''));
CREATE UNIQUE INDEX IF NOT EXISTS aid_records_key ON aid_records (student_id, item, on_date);
CREATE UNIQUE INDEX IF NOT EXISTS activities_key ON activities (kind, on_date, ifnull(note, ''));
CREATE INDEX IF NOT EXISTS cases_student ON cases (student_id);
CREATE INDEX IF NOT EXISTS case_events_case ON case_events (case_id);
CREATE INDEX IF NOT EXISTS growth_events_student ON growth_events (student_id, on_date);
"""


class StoreError(GuanaiError):
    """The node's store cannot be opened or is not a guanai node store."""


def open_store(path: Path | str, create: bool = False) -> sqlite_utils.Database:
    """Open (or, with ``create``, make) a node store with every table in place."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise StoreError(f"no node store at {path} (run `guanai node init` first)")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.executescript(SCHEMA)
    return sqlite_utils.Database(conn)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All-or-nothing: commit on success, roll back on any exception."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])


def change_mark(db: sqlite_utils.Database) -> tuple[int, int]:
    """A mark that moves whenever the store changes, through this connection or another
    (SQLite's ``data_version`` and this connection's ``total_changes``): a cache of anything
    computed from the records is still good while the mark is the same."""
    return db.execute("PRAGMA data_version").fetchone()[0], db.conn.total_changes
