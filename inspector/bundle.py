"""Reading an exported bundle (核验包) and a folder of held receipts (docs/formats.md §9).

Reading checks only that the files are what the format says (JSON of the documented shape,
hex and base64 where expected); whether their content is true is ``inspector.verify``'s job.
Signed reports are read from disk when they are checked, not all at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.message import DecodeError

from common.errors import GuanaiError
from privacy.identity import Identity
from privacy.keys import KeyFileError
from privacy.receipt import log_origin
from protos import bundle
from protos.aggregator_pb2 import Receipt, ReceiptBody
from protos.bundle import BUNDLE_FORMAT, LogEntry, count_from_json, hash_from_hex


class BundleError(GuanaiError):
    """A path that is not a readable bundle or receipt as guanai writes them."""


@dataclass(frozen=True)
class EnrolledKey:
    member_id: str
    kind: str
    region: str
    key: bytes
    key_id: str
    enrolled_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class Official:
    """A registered official of the bundle's aggregator (staff.json): whose key may approve."""

    key_id: str
    name: str
    key: bytes


@dataclass(frozen=True)
class Consistency:
    old_size: int
    new_size: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class HeldReceipt:
    source: str  # the file, to name it in the verdict
    receipt: Receipt
    body: ReceiptBody  # parsed, not yet verified
    signed: bytes | None  # the SignedReport it vouches for, when held beside it


@dataclass(frozen=True)
class Published:
    """One figure this bundle's party published with the other (publications.json): the
    leader's Signed NamedSet, the party's Signed Partial and NoisyPartial, and at the leader
    the helper's Signed NoisyPartial (None at the helper)."""

    named_set: bytes
    partial: bytes
    noisy: bytes
    other_noisy: bytes | None


@dataclass
class Bundle:
    path: Path
    aggregator: Identity
    period: str
    tree_size: int
    keys: list[EnrolledKey]
    log: list[LogEntry]
    checkpoints: dict[int, str]  # tree size → signed note
    consistency: list[Consistency]
    submissions: dict[int, Path]  # log index → file of the SignedReport
    forwarded: dict[str, Path]  # hex SHA-256 of the Report bytes → file of the SignedReport
    rollups: dict[int, Path]  # revision → file of the aggregator's own rollup
    receipts: list[HeldReceipt]
    staff: list[Official] = field(default_factory=list)
    shares: dict[int, Path] = field(default_factory=dict)  # log index → file of a Signed share
    enrolments: dict[str, Path] = field(default_factory=dict)  # leader → its Signed Enrolment
    publications: list[Published] = field(default_factory=list)  # secure aggregation

    @property
    def id(self) -> str:
        return self.aggregator.id

    @property
    def origin(self) -> str:
        return log_origin(self.aggregator.id, self.aggregator.role)


def find_bundles(paths: Iterable[Path]) -> list[Path]:
    """Each path is a bundle, or a folder whose sub-folders are bundles."""
    found = []
    for path in map(Path, paths):
        if (path / bundle.MANIFEST).is_file():
            found.append(path)
            continue
        inner = sorted(p for p in path.iterdir() if (p / bundle.MANIFEST).is_file()) \
            if path.is_dir() else []
        if not inner:
            raise BundleError(f"不是核验包 {path} is not a bundle: no manifest.json in it or in "
                              "its sub-folders; export one with `guanai aggregator export`")
        found.extend(inner)
    return found


def read_bundle(path: Path) -> Bundle:
    path = Path(path)
    manifest = _json(path / bundle.MANIFEST, dict)
    if manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"格式不符 {path}: format {manifest.get('format')!r}, this inspector "
                          f"reads {BUNDLE_FORMAT}")
    try:
        aggregator = Identity.from_json(json.dumps(manifest.get("aggregator")))
        period, tree_size = str(manifest["period"]), count_from_json(manifest["tree_size"])
        keys = [
            EnrolledKey(m["id"], m["kind"], m["region"], _b64(k["signing"]), k["key_id"],
                        k["enrolled_at"], k["revoked_at"])
            for m in _json(path / bundle.KEYS, list) for k in m["keys"]
        ]
        staff = [Official(o["key_id"], o["name"], _b64(o["public_key"]))
                 for o in (_json(path / bundle.STAFF, list)
                           if (path / bundle.STAFF).is_file() else [])]
        log = [LogEntry.from_json(e) for e in _json(path / bundle.LOG, list)]
        consistency = [
            Consistency(count_from_json(c["old_size"]), count_from_json(c["new_size"]),
                        tuple(hash_from_hex(p) for p in c["proof"]))
            for c in _json(path / bundle.CONSISTENCY, list)
        ]
    except (KeyError, TypeError, ValueError, KeyFileError) as exc:
        raise BundleError(f"核验包损坏 {path}: a file does not have the documented shape ({exc})") \
            from exc
    checkpoints = {int(m[1]): p.read_text(encoding="utf-8")
                   for p, m in _files(path / "checkpoints", bundle.CHECKPOINT_FILE)}
    return Bundle(
        path=path, aggregator=aggregator, period=period, tree_size=tree_size, keys=keys, log=log,
        checkpoints=checkpoints, consistency=consistency,
        submissions={int(m[1]): p for p, m in _files(path / "submissions", bundle.SUBMISSION_FILE)},
        forwarded={m[1]: p for p, m in _files(path / "forwarded", bundle.FORWARDED_FILE)},
        rollups={int(m[1]): p for p, m in _files(path / "rollups", bundle.ROLLUP_FILE)},
        receipts=read_receipts(path / "receipts") if (path / "receipts").is_dir() else [],
        staff=staff,
        shares={int(m[1]): p for p, m in _optional(path / "shares", bundle.SUBMISSION_FILE)},
        enrolments={m[1]: p for p, m in _optional(path / "enrolments", bundle.ENROLMENT_FILE)},
        publications=_publications(path / bundle.PUBLICATIONS),
    )


def _publications(path: Path) -> list[Published]:
    """publications.json, if the bundle has one (bundles before secure aggregation do not)."""
    if not path.is_file():
        return []
    try:
        return [Published(_b64(p["named_set"]), _b64(p["partial"]), _b64(p["noisy"]),
                          _b64(p["other_noisy"]) if p["other_noisy"] is not None else None)
                for p in _json(path, list)]
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"核验包损坏 {path}: not the documented shape ({exc})") from exc


def read_receipts(folder: Path) -> list[HeldReceipt]:
    """Every ``*.receipt`` under ``folder``, with the ``.signed`` file of the same name if any."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(f"找不到回执目录 no receipts folder at {folder}; export one with "
                          "`guanai node receipts --export DIR`")
    held = []
    for path in sorted(folder.rglob("*.receipt")):
        try:
            receipt = Receipt.FromString(path.read_bytes())
            body = ReceiptBody.FromString(receipt.body)
        except DecodeError as exc:
            raise BundleError(f"不是回执 {path} is not a guanai.v1.Receipt") from exc
        signed = path.with_suffix(".signed")
        held.append(HeldReceipt(str(path), receipt, body,
                                signed.read_bytes() if signed.is_file() else None))
    return held


def _files(folder: Path, pattern: re.Pattern) -> list[tuple[Path, re.Match]]:
    if not folder.is_dir():
        raise BundleError(f"核验包不完整 {folder} is missing from the bundle")
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        match = pattern.match(path.name)
        if match is None or not path.is_file():
            raise BundleError(f"核验包含未知文件 unexpected file {path} in the bundle")
        found.append((path, match))
    return found


def _optional(folder: Path, pattern: re.Pattern) -> list[tuple[Path, re.Match]]:
    """``_files`` of a folder that bundles written before secure aggregation do not have."""
    return _files(folder, pattern) if folder.exists() else []


def _json(path: Path, kind: type) -> dict | list:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BundleError(f"核验包不完整 {path} is missing from the bundle") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"核验包损坏 {path} is not JSON") from exc
    if not isinstance(value, kind):
        raise BundleError(f"核验包损坏 {path} is not a JSON {kind.__name__}")
    return value


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{text!r} is not base64") from exc
