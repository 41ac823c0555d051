"""Export for inspectors (督查): one period's bundle, checkable offline (docs/inspection.md).

A bundle is a folder of JSON and binary files: the aggregator's identity, its enrolled keys
and revocations, every leaf of its log (metadata and leaf hash), the signed submissions of the
period exactly as their senders signed them, with inclusion proofs to the log's head, every
checkpoint the aggregator has signed and consistency proofs between consecutive ones, the
member reports that rollups forwarded, and the aggregator's own rollups with its parent's
receipts; with secure aggregation, the schools' signed shares of the period (and at the helper
the leaders' signed enrolments), and the figures published with the other party (named sets,
this party's partials and noisy partials, at the leader the helper's noisy partials). The format is in docs/formats.md §9.

Everything is read in one transaction, so the bundle is one consistent snapshot of the log;
it is written to a temporary folder first and renamed into place, so a failed export leaves
nothing behind.
"""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from aggregator.keys.own_identity import Settings
from aggregator.log.transparency import TransparencyLog
from aggregator.store.sqlite import Store
from common.clock import SYSTEM
from common.errors import GuanaiError
from protos import bundle
from protos.bundle import BUNDLE_FORMAT, receipt_stem
from protos.deadlines import to_ms
from protos.periods import Period


class ExportError(GuanaiError):
    """A bundle that cannot be written where asked."""


@dataclass(frozen=True)
class Exported:
    path: Path
    period: str
    tree_size: int
    checkpoints: int
    submissions: int
    forwarded: int
    rollups: int
    receipts: int
    shares: int  # schools' shares of the period (secure aggregation)


def export_bundle(store: Store, settings: Settings, period: Period, out: Path,
                  now: datetime | None = None) -> Exported:
    """Write the period's bundle to the new folder ``out``, exported at ``now`` (default: the
    system clock's time)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"导出目录已存在 {out} exists and is not an empty folder; "
                          "choose a new folder for the bundle")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        exported = _write(store, settings, period.code, partial, now or SYSTEM.now())
        if out.exists():
            out.rmdir()
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Exported(out, *exported)


def _write(store: Store, settings: Settings, period: str, folder: Path, now: datetime) -> tuple:
    with store.transaction():
        log = TransparencyLog(settings.origin, settings.signing_key, store)
        log.checkpoint(now=now)  # the head: signed now only if no checkpoint of this size exists
        entries = store.log_entries()
        checkpoints = store.checkpoints()
        submissions = store.period_submissions(period)
        shares = store.period_shares(period)
        enrolments = store.leader_enrolments()
        publications = store.publications(period)
        forwarded = {f.report_sha256: f.signed for s in submissions
                     if s.kind in ("rollup", "summary")  # an aggregator's summary forwards too
                     for f in store.forwarded(s.log_index)}
        rollups = store.rollups(period)
        members = store.members()
        keys = store.all_keys()
        officials = store.staff()
    size = log.size
    proofs = {s.log_index: log.inclusion_proof(s.log_index, size) for s in (*submissions, *shares)}
    for sub in (*bundle.FOLDERS, *bundle.SHARE_FOLDERS):
        (folder / sub).mkdir(parents=True)

    _write_json(folder / bundle.MANIFEST, {
        "format": BUNDLE_FORMAT,
        "aggregator": json.loads(settings.identity().to_json()),
        "period": period,
        "tree_size": size,
        "exported_unix_ms": to_ms(now),
    })
    _write_json(folder / bundle.KEYS, [
        {"id": m.member_id, "kind": m.kind, "region": m.region, "enrolled_at": m.enrolled_at,
         "keys": [{"key_id": k.key_id, "signing": _b64(k.signing_key),
                   "enrolled_at": k.enrolled_at, "revoked_at": k.revoked_at}
                  for k in keys if k.member_id == m.member_id]}
        for m in members
    ])
    _write_json(folder / bundle.STAFF, [
        {"key_id": s.key_id, "name": s.name, "public_key": _b64(s.public_key),
         "added_at": s.added_at} for s in officials
    ])
    if publications:  # a bundle of a period published from no shares has no file
        _write_json(folder / bundle.PUBLICATIONS, [
            {"level": p.level, "region": p.region, "named_set": _b64(p.named_set),
             "partial": _b64(p.partial), "noisy": _b64(p.noisy),
             "other_noisy": _b64(p.other_noisy) if p.other_noisy is not None else None}
            for p in publications
        ])
    _write_json(folder / bundle.LOG, [
        replace(e, inclusion_proof=tuple(proofs[e.index]) if e.index in proofs else None)
        .to_json() for e in entries
    ])
    for tree_size, note in checkpoints:
        (folder / "checkpoints" / bundle.checkpoint_file(tree_size)).write_text(note, encoding="utf-8")
    sizes = [tree_size for tree_size, _ in checkpoints]
    _write_json(folder / bundle.CONSISTENCY, [
        {"old_size": old, "new_size": new,
         "proof": [p.hex() for p in log.consistency_proof(old, new)]}
        for old, new in pairwise(sizes)
    ])
    for s in submissions:
        (folder / "submissions" / bundle.submission_file(s.log_index)).write_bytes(s.signed)
    for share in shares:
        (folder / "shares" / bundle.submission_file(share.log_index)).write_bytes(share.signed)
    for enrolment in enrolments:
        (folder / "enrolments" / bundle.enrolment_file(enrolment.sender_id)).write_bytes(
            enrolment.signed)
    for digest, signed in forwarded.items():
        (folder / "forwarded" / bundle.forwarded_file(digest)).write_bytes(signed)
    receipts = 0
    for rollup in rollups:
        (folder / "rollups" / bundle.rollup_file(rollup.revision)).write_bytes(rollup.signed)
        if rollup.receipt is not None:
            stem = receipt_stem(settings.region, period, rollup.revision)
            (folder / "receipts" / f"{stem}.receipt").write_bytes(rollup.receipt)
            (folder / "receipts" / f"{stem}.signed").write_bytes(rollup.signed)
            receipts += 1
    return (period, size, len(checkpoints), len(submissions), len(forwarded), len(rollups),
            receipts, len(shares))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _write_json(path: Path, value: object) -> None:
    """JSON with one list item per line, so that a large log stays readable and diffable."""
    if value == []:
        text = "[]\n"
    elif isinstance(value, list):
        text = "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in value) + "\n]\n"
    else:
        text = json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
