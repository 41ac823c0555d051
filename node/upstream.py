"""The school and its parent aggregator beyond submitting: its standing, and key rotations.

``refresh`` asks the parent for the school's standing (a signed request, a signed answer:
member/standing.py) and keeps it in ``parent_standing``: deadlines and lock dates as
the parent set them, what it holds, on time or late, a return for correction with its reason,
an exception after the lock, and the privacy policy it enforces (``parent_policy``: the node
releases within it, node/release.py). If the parent rotated its keys, the answer proves it (each new key
endorsed by the one before) and the school takes the new keys, keeping the old signing key to
verify the receipts signed with it.

``rotate_own_key`` moves the school to a new signing key without losing a period: the next key is
made (``<db>.signing.next.key``), the parent enrols it, vouched for by the current key, and
only then does it replace the current one, which is kept as ``<db>.signing.<key id>.key``.
Releases already queued keep their signatures: the old key stays enrolled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlite_utils

from common.clock import stamp
from member.client import ClientTls
from member.standing import follow_parent, rotate_key
from node.membership import StoredParent, key_path, own_identity, parent, signing_key
from node.store import get_meta, set_meta, transaction
from node.store import parent as parent_rows
from privacy.budget import BudgetPolicy
from privacy.keys import generate_signing_key, key_id, load_signing_key
from protos.deadlines import from_ms
from protos.members_pb2 import PeriodStanding, PrivacyPolicy


def refresh(store: sqlite_utils.Database, db: Path, now: datetime,
            client_tls: ClientTls | None = None, timeout: float = 30.0) -> bool:
    """Fetch and keep the school's standing; True if the parent's keys changed."""
    verified = follow_parent(StoredParent(store), own_identity(store, db).id, signing_key(db), now,
                             timeout=timeout, client_tls=client_tls)
    with transaction(store):
        parent_rows.replace_standing(store, [_row(e, now) for e in verified.status.periods])
        set_meta(store, "parent_contact_at", stamp(now))
        if verified.status.HasField("policy"):
            set_meta(store, PARENT_POLICY, verified.status.policy.SerializeToString().hex())
        parent_rows.clear_meta(store, "parent_contact_error")
    return bool(verified.followed)


PARENT_POLICY = "parent_policy"


def parent_policy(store: sqlite_utils.Database) -> BudgetPolicy | None:
    """The privacy policy the parent enforces, as it last said (None: not heard yet)."""
    held = get_meta(store, PARENT_POLICY)
    if not held:
        return None
    told = PrivacyPolicy.FromString(bytes.fromhex(held))
    return BudgetPolicy(told.rho_half_year, told.rho_annual, told.annual_cap,
                        rho_county=told.rho_county, rho_city=told.rho_city,
                        rho_province=told.rho_province)


def _row(entry: PeriodStanding, now: datetime) -> list:
    def when(ms: int) -> str | None:
        return stamp(from_ms(ms)) if ms else None

    return [entry.period, when(entry.due_unix_ms), when(entry.lock_unix_ms),
            when(entry.exception_until_unix_ms), entry.revision, entry.timeliness or None,
            entry.returned_revision or None, entry.return_reason or None,
            when(entry.returned_unix_ms), stamp(now)]


@dataclass(frozen=True)
class Standing:
    period: str
    due: datetime
    lock: datetime
    exception_until: datetime | None
    revision: int
    timeliness: str | None
    returned_revision: int | None
    return_reason: str | None
    returned_at: datetime | None
    updated_at: datetime


def standing(store: sqlite_utils.Database) -> dict[str, Standing]:
    """The parent's word on each period, as last fetched."""
    rows = parent_rows.standing_rows(store)

    def when(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    return {r[0]: Standing(r[0], when(r[1]), when(r[2]), when(r[3]), r[4], r[5], r[6], r[7],
                           when(r[8]), when(r[9])) for r in rows}


def next_key_path(db: Path) -> Path:
    return Path(f"{db}.signing.next.key")


def rotate_own_key(store: sqlite_utils.Database, db: Path, now: datetime,
                   client_tls: ClientTls | None = None) -> tuple[str, str]:
    """Have the parent enrol a new key, then sign with it; (old key id, new key id)."""
    pending = next_key_path(db)
    new = load_signing_key(pending) if pending.exists() else generate_signing_key(pending)
    old = signing_key(db)
    me = own_identity(store, db)
    rotate_key(parent(store), me.id, old, new, now, client_tls=client_tls)
    old_id, new_id = key_id(old.verify_key), key_id(new.verify_key)
    os.rename(key_path(db), Path(f"{db}.signing.{old_id}.key"))
    os.rename(pending, key_path(db))
    return old_id, new_id
