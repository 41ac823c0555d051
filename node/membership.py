"""The school's place in the federation: its own signing key and its parent aggregator.

The signing key lives beside the store, ``<db>.signing.key`` (mode 0600, never logged). The
school exports its id, county and public key for its county to enrol (`guanai node
export-key`), and imports the export of the aggregator it reports to (`guanai node parent`):
its region, address and public keys, kept in the store's meta table.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlite_utils
from nacl.signing import SigningKey

from common.clock import stamp
from common.errors import GuanaiError
from node.store import get_meta, open_store, set_meta, transaction
from node.store import parent as parent_rows
from privacy.identity import Identity
from privacy.keys import PublicKeys, generate_signing_key, load_signing_key
from protos.regions import check_region, check_school, parents


class MembershipError(GuanaiError):
    """No key, no parent, or a parent that cannot be this school's."""


def key_path(db: Path) -> Path:
    return Path(f"{db}.signing.key")


def ensure_key(db: Path) -> bool:
    """Create the school's signing key if it has none; True if one was created."""
    if key_path(db).exists():
        return False
    generate_signing_key(key_path(db))
    return True


def init_school(db: Path, school_id: str, region: str, school_name: str) -> bool:
    """Create (or reopen) the school's store with its identity; make its key if it has none.

    Returns whether a key was made. A store that belongs to another school is refused.
    """
    check_school(school_id)
    check_region(region)
    store = open_store(db, create=True)
    existing = get_meta(store, "school_id")
    if existing and existing != school_id:
        raise MembershipError(f"{db} already belongs to school {existing}")
    with transaction(store):
        set_meta(store, "school_id", school_id)
        set_meta(store, "region_code", region)
        set_meta(store, "school_name", school_name)
    return ensure_key(db)


def signing_key(db: Path) -> SigningKey:
    if not key_path(db).exists():
        raise MembershipError(
            f"无签名密钥 no signing key at {key_path(db)}: run `guanai node init` again to make one"
        )
    return load_signing_key(key_path(db))


def own_identity(store: sqlite_utils.Database, db: Path) -> Identity:
    school_id, region = get_meta(store, "school_id"), get_meta(store, "region_code")
    if not school_id or not region:
        raise MembershipError("未初始化 this store has no school id (run `guanai node init` first)")
    verify_key = signing_key(db).verify_key
    return Identity(id=school_id, kind="school", region=region,
                    keys=PublicKeys(signing=bytes(verify_key)),
                    name=get_meta(store, "school_name") or None)


def import_parent(store: sqlite_utils.Database, identity: Identity) -> None:
    """Keep the parent's export, once it is an aggregator this school may report to."""
    region = get_meta(store, "region_code")
    if not region:
        raise MembershipError("未初始化 run `guanai node init` first")
    if identity.kind != "aggregator" or not identity.address:
        raise MembershipError(
            "上级文件错误 not an aggregator's export with an address; ask the county for the "
            "file `guanai aggregator export-keys` writes"
        )
    allowed = [region, *parents(region)]
    if identity.id not in allowed:
        raise MembershipError(
            f"上级不符 bad parent: {identity.id} is not this school's county or above "
            f"({', '.join(allowed)})"
        )
    with transaction(store):
        set_meta(store, "parent_id", identity.id)
        set_meta(store, "parent_identity", identity.to_json())


def parent(store: sqlite_utils.Database) -> Identity:
    text = get_meta(store, "parent_identity")
    if not text:
        raise MembershipError(
            "未设置上级 no parent aggregator: import its export with `guanai node parent FILE`"
        )
    return Identity.from_json(text)


def previous_parent_keys(store: sqlite_utils.Database) -> list[bytes]:
    """The parent's signing keys before its rotations, newest first (they verify old receipts)."""
    return parent_rows.retired_keys(store)


class StoredParent:
    """The school's parent as its store keeps it (member/parent.py's ``ParentBook``)."""

    def __init__(self, store: sqlite_utils.Database) -> None:
        self._store = store

    def parent(self) -> Identity:
        return parent(self._store)

    def retired_signing_keys(self) -> list[bytes]:
        return previous_parent_keys(self._store)

    def follow(self, learnt: Identity, at: datetime) -> None:
        old = parent(self._store)  # kept: it still verifies the receipts signed before
        with transaction(self._store):
            parent_rows.retire_key(self._store, old.keys.signing, stamp(at))
            set_meta(self._store, "parent_identity", learnt.to_json())
