"""The aggregator store's tables, in one place: the DDL every concern module reads and writes.

Kept apart from the code that queries it so that a second database (PostgreSQL at a national
aggregator, docs/aggregator.md) has one schema to translate. Types are the portable subset:
TEXT, INTEGER, BLOB (BYTEA in PostgreSQL); every statement is ``CREATE … IF NOT EXISTS``, so
opening an older store adds the tables it lacks.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS members (
    member_id TEXT PRIMARY KEY,           -- 学校标识码, or a member aggregator's region code
    kind TEXT NOT NULL,                   -- school | aggregator
    region TEXT NOT NULL,                 -- a school's county; an aggregator's own region
    enrolled_at TEXT NOT NULL
);
-- A school's name as its enrolled export says (学校名称), for people reading lists.
CREATE TABLE IF NOT EXISTS member_names (
    member_id TEXT PRIMARY KEY REFERENCES members(member_id),
    name TEXT NOT NULL
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

-- 数据立方 The figures store (docs/aggregator.md §figures): what each member's counted report
-- says, one row per (period, unit) held here, kept current in the transaction that accepts a
-- submission or a return, so that queries and warnings never parse signed reports.
CREATE TABLE IF NOT EXISTS figure_units (
    period TEXT NOT NULL,
    unit TEXT NOT NULL,                   -- 学校标识码 or region code
    level TEXT NOT NULL,                  -- school | county | city | province
    region TEXT NOT NULL,                 -- a school's county; a region's own code
    direct INTEGER NOT NULL,              -- 1: a member's counted submission; 0: forwarded with one
    source TEXT NOT NULL,                 -- the member whose submission carries it (itself if direct)
    kind TEXT NOT NULL,                   -- school | rollup | summary
    members INTEGER NOT NULL,             -- reports summed in it (a rollup's members)
    missing INTEGER NOT NULL,             -- members it names as missing
    schools INTEGER NOT NULL,             -- school reports behind it
    catalogue_version TEXT NOT NULL,
    log_index INTEGER NOT NULL,           -- the submission here that carries it
    report_sha256 BLOB NOT NULL,          -- SHA-256 of the Report bytes it was read from
    PRIMARY KEY (period, unit)
);
CREATE INDEX IF NOT EXISTS figure_units_source ON figure_units (period, source);
CREATE INDEX IF NOT EXISTS figure_units_level ON figure_units (period, level);
CREATE INDEX IF NOT EXISTS figure_units_unit ON figure_units (unit);
CREATE INDEX IF NOT EXISTS figure_units_direct ON figure_units (period, direct);
-- One row per cell of each unit: the released value (integer, cell units) and its noise
-- variance (squared cell units); cell is the position in the catalogue's cell order.
CREATE TABLE IF NOT EXISTS figure_cells (
    period TEXT NOT NULL,
    unit TEXT NOT NULL,
    cell INTEGER NOT NULL,
    value INTEGER NOT NULL,
    variance REAL NOT NULL,
    PRIMARY KEY (period, unit, cell)
);
-- How many times each period's figures changed: bumped once per changed period in the
-- transaction that changes them (aggregator/figures/cube.py), never otherwise.
CREATE TABLE IF NOT EXISTS figure_generations (
    period TEXT PRIMARY KEY,
    generation INTEGER NOT NULL           -- no row: 0 (figures not changed since this table came)
);

-- 正式表留存 Kept official tables (aggregator/figures/kept.py): every region's official table
-- of one period, made once from the figures of one generation; only the newest is kept.
CREATE TABLE IF NOT EXISTS kept_periods (
    period TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,          -- of figure_generations when the figures were read
    catalogue_version TEXT NOT NULL,
    algorithm TEXT NOT NULL,              -- the code that made them (kept.py ALGORITHM)
    made_at TEXT NOT NULL
);
-- One row per region: its official values and projection, the catalogue's cells in order,
-- packed (kept.py: little-endian int64 values, float64 projection).
CREATE TABLE IF NOT EXISTS kept_tables (
    period TEXT NOT NULL REFERENCES kept_periods(period),
    region TEXT NOT NULL,
    official_values BLOB NOT NULL,
    projected BLOB NOT NULL,
    PRIMARY KEY (period, region)
);

-- Who is enrolled below, as member aggregators' signed rollups say (aggregator/store/enrolments.py).
CREATE TABLE IF NOT EXISTS enrolled_below (
    member_id TEXT PRIMARY KEY,           -- a school, or an aggregator, enrolled below
    via TEXT NOT NULL,                    -- the aggregator whose signed enrolment names it
    region TEXT NOT NULL,                 -- its region, as that enrolment says
    log_index INTEGER NOT NULL REFERENCES submissions(log_index)  -- the rollup that said so
);
CREATE INDEX IF NOT EXISTS enrolled_below_via ON enrolled_below (via);

-- The register of schools, as imported (aggregator/store/register.py); empty: none imported.
CREATE TABLE IF NOT EXISTS school_register (
    school_id TEXT PRIMARY KEY,           -- 10-digit 学校标识码
    region TEXT NOT NULL,                 -- the county it lies in
    name TEXT NOT NULL                    -- as the register writes it; may be empty
);

-- Keys revoked below, as member aggregators' signed enrolments and notices say; never
-- forgotten, the earliest time kept (aggregator/store/enrolments.py).
CREATE TABLE IF NOT EXISTS revoked_below (
    member_id TEXT NOT NULL,              -- the member whose key it is
    signing_key BLOB NOT NULL,            -- raw Ed25519 key, 32 bytes
    revoked_unix_ms INTEGER NOT NULL,     -- refused from then on
    via TEXT NOT NULL,                    -- the aggregator whose signed word it is
    said_in TEXT NOT NULL,                -- where: "rollup at leaf N" or "notice, decision N"
    PRIMARY KEY (member_id, signing_key)
);

-- 秘密分享 Secure aggregation (docs/secure-aggregation.md): the schools' shares this party (the
-- leader county or the province's helper) accepted. Each is a leaf of this party's log at
-- log_index, numbered with the submissions: the log is the union of both tables.
CREATE TABLE IF NOT EXISTS shares (
    log_index INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL UNIQUE,       -- RFC 9162 leaf hash of the Signed share bytes
    school_id TEXT NOT NULL,
    region TEXT NOT NULL,                 -- the school's county
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    catalogue_version TEXT NOT NULL,
    signed BLOB NOT NULL,                 -- the Signed share exactly as received
    share_sha256 BLOB NOT NULL,           -- SHA-256 of the Share bytes
    key_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    receipt BLOB NOT NULL,                -- the signed Receipt, answered again to a resend
    UNIQUE (school_id, period, revision)
);
CREATE INDEX IF NOT EXISTS shares_period ON shares (period, school_id, revision);
-- The helper only: each leader's latest signed enrolment, the one source of school keys there.
CREATE TABLE IF NOT EXISTS leader_enrolments (
    sender_id TEXT PRIMARY KEY,           -- the leader aggregator's region code
    created_unix_ms INTEGER NOT NULL,
    signed BLOB NOT NULL,                 -- the Signed Enrolment exactly as received
    received_at TEXT NOT NULL
);

-- 网页账号 The bureau's web accounts (docs/bureau-web.md): argon2id hashes only; a staff
-- account's signing key sealed under a key derived from its password (never the password).
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,                -- the official's sign-in name, e.g. 张三
    role TEXT NOT NULL,                   -- operator | reviewer | head | viewer
    region TEXT NOT NULL,                 -- what the account sees: this region and below
    password_hash TEXT NOT NULL,          -- argon2id modular crypt string
    staff_key_id TEXT,                    -- the staff credential its decisions are signed with
    sealed_key BLOB,                      -- SecretBox(signing key seed) under argon2id(password, salt)
    salt BLOB,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
-- Every sign-in attempt, kept for the rate limit and for audit.
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_name ON login_attempts (name, at);
CREATE INDEX IF NOT EXISTS login_attempts_address ON login_attempts (address, at);
-- 发布 What this party published with the other from the shares (docs/secure-aggregation.md):
-- one figure per period, level and region, made once (asking again gives the same bytes, never
-- fresh noise); the leader keeps the helper's noisy partial beside its own.
CREATE TABLE IF NOT EXISTS publications (
    period TEXT NOT NULL,
    level TEXT NOT NULL,                  -- county, city or province
    region TEXT NOT NULL,
    set_sha256 BLOB NOT NULL,             -- SHA-256 of the NamedSet bytes
    named_set BLOB NOT NULL,              -- the leader's Signed NamedSet
    partial BLOB NOT NULL,                -- this party's Signed Partial (no noise)
    noisy BLOB NOT NULL,                  -- this party's Signed NoisyPartial
    other_noisy BLOB,                     -- the leader only: the helper's Signed NoisyPartial
    created_at TEXT NOT NULL,
    PRIMARY KEY (period, level, region)
);
"""
