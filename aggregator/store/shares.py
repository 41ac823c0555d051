"""The schools' shares a party accepted (secure aggregation, docs/secure-aggregation.md), and at
the helper the leaders' signed enrolments.

A share is a leaf of the party's log like a submission: its ``log_index`` is taken from the
same sequence (aggregator/store/submissions.py reads the log as the union of both tables).
Publishing (aggregator/rollup/, B) reads the latest share of each school of a named set with
``shares_of`` and sums their ``values`` (privacy/shares.py ``add``). ``ShareStore`` is what a
backend offers; ``SqliteShares`` the SQLite implementation mixed into the Store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection
from privacy.envelope import parse_share, parse_signed_body
from protos.membership import within
from protos.regions import level
from protos.share_pb2 import Share


@dataclass(frozen=True)
class StoredShare:
    """One accepted share: where it is in the log, whose it is, the exact signed bytes."""

    log_index: int
    leaf_hash: bytes
    school_id: str
    region: str
    period: str
    revision: int
    catalogue_version: str
    signed: bytes
    share_sha256: bytes
    key_id: str
    received_at: str
    receipt: bytes

    @property
    def share(self) -> Share:
        """The Share inside the stored Signed bytes (checked canonical when accepted)."""
        return parse_share(parse_signed_body(self.signed).body)

    @property
    def values(self) -> list[int]:
        """The share vector: uint64 values modulo 2^64, in catalogue cell order."""
        return list(self.share.values)


@dataclass(frozen=True)
class LeaderEnrolment:
    sender_id: str
    created_unix_ms: int
    signed: bytes
    received_at: str


class ShareStore(Protocol):
    """Shares (one per log leaf, numbered with the submissions) and leaders' enrolments."""

    def add_share(self, share: StoredShare) -> None: ...
    def set_share_receipt(self, log_index: int, receipt: bytes) -> None: ...
    def share_revisions(self, school_id: str, period: str) -> list[StoredShare]: ...
    def period_shares(self, period: str) -> list[StoredShare]: ...
    def latest_shares(self, period: str, region: str | None = None) -> list[StoredShare]: ...
    def shares_of(self, period: str, school_ids: Iterable[str]) -> dict[str, StoredShare]: ...
    def leader_enrolment(self, sender_id: str) -> LeaderEnrolment | None: ...
    def leader_enrolments(self) -> list[LeaderEnrolment]: ...
    def set_leader_enrolment(self, enrolment: LeaderEnrolment) -> None: ...


_SHARE = ("log_index, leaf_hash, school_id, region, period, revision, catalogue_version, signed,"
          " share_sha256, key_id, received_at, receipt")
_LATEST = (f"SELECT {_SHARE} FROM shares s WHERE period = ? AND revision = (SELECT max(revision)"
           " FROM shares t WHERE t.school_id = s.school_id AND t.period = s.period)")


def _share(row: tuple) -> StoredShare:
    values = list(row)
    for i in (1, 7, 8, 11):
        values[i] = bytes(values[i])
    return StoredShare(*values)


class SqliteShares(SqliteConnection):
    """ShareStore over ``shares`` and ``leader_enrolments``."""

    def add_share(self, share: StoredShare) -> None:
        self._run(f"INSERT INTO shares ({_SHARE}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                  [share.log_index, share.leaf_hash, share.school_id, share.region, share.period,
                   share.revision, share.catalogue_version, share.signed, share.share_sha256,
                   share.key_id, share.received_at, share.receipt])

    def set_share_receipt(self, log_index: int, receipt: bytes) -> None:
        self._run("UPDATE shares SET receipt = ? WHERE log_index = ?", [receipt, log_index])

    def share_revisions(self, school_id: str, period: str) -> list[StoredShare]:
        """Every revision of a school's share of a period held here, oldest first."""
        rows = self._all(f"SELECT {_SHARE} FROM shares WHERE school_id = ? AND period = ?"
                         " ORDER BY revision", [school_id, period])
        return [_share(r) for r in rows]

    def period_shares(self, period: str) -> list[StoredShare]:
        """Every share of the period, every revision, in log order (for the bundle)."""
        rows = self._all(f"SELECT {_SHARE} FROM shares WHERE period = ? ORDER BY log_index",
                         [period])
        return [_share(r) for r in rows]

    def latest_shares(self, period: str, region: str | None = None) -> list[StoredShare]:
        """Each school's latest share of the period, by school id; with ``region`` (a county,
        city or province code) only the schools whose county lies within it."""
        if region is None:
            rows = self._all(_LATEST + " ORDER BY school_id", [period])
        else:  # a region's schools by their county's code prefix, in SQL: not every blob read
            prefix = region[:{"province": 2, "city": 4, "county": 6}[level(region)]]
            rows = self._all(_LATEST + " AND region LIKE ? ORDER BY school_id",
                             [period, prefix + "%"])
        return [s for s in map(_share, rows) if region is None or within(s.region, region)]

    def shares_of(self, period: str, school_ids: Iterable[str]) -> dict[str, StoredShare]:
        """The latest share of the period of each of ``school_ids`` held here, by school id
        (a school without one is absent)."""
        found = {}
        for school_id in school_ids:
            row = self._one(f"SELECT {_SHARE} FROM shares WHERE school_id = ? AND period = ?"
                            " ORDER BY revision DESC LIMIT 1", [school_id, period])
            if row is not None:
                found[school_id] = _share(row)
        return found

    def leader_enrolment(self, sender_id: str) -> LeaderEnrolment | None:
        row = self._one("SELECT * FROM leader_enrolments WHERE sender_id = ?", [sender_id])
        return LeaderEnrolment(row[0], row[1], bytes(row[2]), row[3]) if row else None

    def leader_enrolments(self) -> list[LeaderEnrolment]:
        rows = self._all("SELECT * FROM leader_enrolments ORDER BY sender_id")
        return [LeaderEnrolment(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def set_leader_enrolment(self, enrolment: LeaderEnrolment) -> None:
        self._run("INSERT OR REPLACE INTO leader_enrolments VALUES (?,?,?,?)",
                  [enrolment.sender_id, enrolment.created_unix_ms, enrolment.signed,
                   enrolment.received_at])
