"""The inspection bundle's format (核验包, docs/formats.md §9): version, file names, log entries.

Written by the aggregator (aggregator/log/export.py) and by the school for its receipts
(node/receipt_files.py), read by the inspector (inspector/bundle.py); defined here once so the
writer and the reader cannot drift apart. A bundle is a folder:

    manifest.json        {"format": BUNDLE_FORMAT, "aggregator": identity, "period",
                          "tree_size", "exported_unix_ms"}
    keys.json            enrolled members and their keys, revocations included
    staff.json           the aggregator's registered officials: key id, name, public key
                         (base64), registered at — the keys its rollups' approvals name
    log.json             one ``LogEntry`` per leaf, in log order (JSON, one per line)
    consistency.json     consistency proofs between consecutive checkpoints
    checkpoints/N.txt    the signed checkpoint of tree size N (C2SP signed note)
    submissions/I.signed the SignedReport at log index I, as its sender signed it
    forwarded/H.signed   a member report a rollup forwarded; H = hex SHA-256 of its Report
    rollups/rR.signed    this aggregator's own rollup, revision R
    receipts/S.receipt   a parent's receipt, S = ``receipt_stem``, with S.signed beside it
    shares/I.signed      a school's Signed share at log index I (secure aggregation; optional
                         in bundles written before it): kind "share" in log.json
    enrolments/R.signed  the helper only: leader R's latest Signed Enrolment, its source of
                         school keys
    publications.json    the figures published with the other party (optional): per level and
                         region, base64 of the leader's Signed NamedSet, this party's Signed
                         Partial and Signed NoisyPartial, and at the leader the helper's
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BUNDLE_FORMAT = "guanai-bundle/1"

MANIFEST = "manifest.json"
KEYS = "keys.json"
STAFF = "staff.json"  # optional: bundles written before sign-off have none
LOG = "log.json"
PUBLICATIONS = "publications.json"  # optional: bundles written before secure aggregation
CONSISTENCY = "consistency.json"
FOLDERS = ("checkpoints", "submissions", "forwarded", "rollups", "receipts")
SHARE_FOLDERS = ("shares", "enrolments")  # optional: bundles written before secure aggregation

CHECKPOINT_FILE = re.compile(r"^(0|[1-9]\d*)\.txt$")
SUBMISSION_FILE = re.compile(r"^(0|[1-9]\d*)\.signed$")
FORWARDED_FILE = re.compile(r"^([0-9a-f]{64})\.signed$")
ROLLUP_FILE = re.compile(r"^r([1-9]\d*)\.signed$")
ENROLMENT_FILE = re.compile(r"^(\d{6})\.signed$")


def checkpoint_file(tree_size: int) -> str:
    """``checkpoints/`` file of the checkpoint of ``tree_size`` leaves."""
    return f"{tree_size}.txt"


def submission_file(log_index: int) -> str:
    """``submissions/`` file of the SignedReport at ``log_index``."""
    return f"{log_index}.signed"


def enrolment_file(leader_id: str) -> str:
    """``enrolments/`` file of a leader's Signed Enrolment, named by its region code."""
    return f"{leader_id}.signed"


def forwarded_file(report_sha256: bytes) -> str:
    """``forwarded/`` file of a member report, named by the SHA-256 (32 bytes) of its Report."""
    return f"{report_sha256.hex()}.signed"


def rollup_file(revision: int) -> str:
    """``rollups/`` file of the aggregator's own rollup of ``revision``."""
    return f"r{revision}.signed"


def receipt_stem(sender_id: str, period: str, revision: int) -> str:
    """The file name, without suffix, of a held receipt: ``<sender>_<period>_r<revision>``."""
    return f"{sender_id}_{period}_r{revision}"


@dataclass(frozen=True)
class LogEntry:
    """One leaf of an aggregator's log, without the submission's bytes.

    ``leaf_hash`` is the RFC 9162 leaf hash (32 bytes); ``received_at`` ISO 8601 UTC;
    ``inclusion_proof`` (32-byte hashes, RFC 9162 §2.1.3) is given in a bundle for the entries
    of the bundle's period, up to its tree size.
    """

    index: int
    leaf_hash: bytes
    sender_id: str
    kind: str
    period: str
    revision: int
    received_at: str
    inclusion_proof: tuple[bytes, ...] | None = None

    def to_json(self) -> dict:
        """The entry as ``log.json`` holds it (hashes in lower-case hex)."""
        entry = {"index": self.index, "leaf_hash": self.leaf_hash.hex(),
                 "sender_id": self.sender_id, "kind": self.kind, "period": self.period,
                 "revision": self.revision, "received_at": self.received_at}
        if self.inclusion_proof is not None:
            entry["inclusion_proof"] = [p.hex() for p in self.inclusion_proof]
        return entry

    @classmethod
    def from_json(cls, entry: dict) -> LogEntry:
        """An entry of ``log.json``; raises ``KeyError``, ``TypeError`` or ``ValueError`` when
        it does not have the documented shape."""
        proof = entry.get("inclusion_proof")
        return cls(count_from_json(entry["index"]), hash_from_hex(entry["leaf_hash"]),
                   _text(entry["sender_id"]), _text(entry["kind"]), _text(entry["period"]),
                   count_from_json(entry["revision"]), _text(entry["received_at"]),
                   None if proof is None else tuple(hash_from_hex(p) for p in proof))


def hash_from_hex(text: str) -> bytes:
    """A 32-byte hash from its lower-case hex; ``ValueError`` for anything else."""
    if not isinstance(text, str):
        raise TypeError(f"{text!r} is not a string")
    value = bytes.fromhex(text)
    if len(value) != 32 or value.hex() != text:
        raise ValueError(f"{text!r} is not the lower-case hex of a 32-byte hash")
    return value


def count_from_json(value: object) -> int:
    """A count (index, size, revision) as a bundle's JSON holds it; ``ValueError`` unless it is
    a non-negative integer (``true`` is not 1)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a non-negative integer")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value
