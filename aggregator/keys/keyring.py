"""Rotating an aggregator's own keys (密钥轮换) without losing a period.

``guanai aggregator rotate-keys`` makes a next signing and sealing key (kept beside the store
as ``<db>.signing.next.key`` and ``<db>.sealing.next.key`` until the switch, so that a run cut
short resumes with the same keys). An aggregator with a parent first has the parent enrol the
next signing key (RotateKey, vouched for by the current key), so that its next rollup is
accepted. Then it switches: the current key files are kept as ``<db>.signing.<key id>.key``
and ``<db>.sealing.<key id>.key`` (the old sealing key still opens what members sealed before
they learnt the new one), the next keys take their place, and the rotation is recorded,
endorsed by the old signing key. Members learn the new keys from their next status answer;
receipts, checkpoints and rollups signed before stay verifiable with the old public key. A
running server uses the new keys once restarted. ``follow_parent`` is the other direction:
before sending up, an aggregator asks its parent for its standing and takes the parent's
rotated keys from the answer.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

import member.standing
from aggregator.keys.own_identity import (
    ConfigError,
    Settings,
    key_paths,
    parent,
    retired_key_paths,
    set_parent,
)
from aggregator.store.sqlite import Store
from common.clock import stamp
from member.client import ClientTls
from member.standing import rotate_key
from privacy.identity import Identity
from privacy.keys import (
    generate_sealing_key,
    generate_signing_key,
    key_id,
    load_sealing_key,
    load_signing_key,
)
from privacy.memberauth import endorse_rotation
from protos.deadlines import to_ms
from protos.members_pb2 import KeyRotation


def next_key_paths(db: Path) -> tuple[Path, Path]:
    return Path(f"{db}.signing.next.key"), Path(f"{db}.sealing.next.key")


def next_keys(db: Path) -> tuple[SigningKey, PrivateKey]:
    """The keys this aggregator rotates to: made now, or those of a rotation not yet finished."""
    signing, sealing = next_key_paths(db)
    return (load_signing_key(signing) if signing.exists() else generate_signing_key(signing),
            load_sealing_key(sealing) if sealing.exists() else generate_sealing_key(sealing))


def announce(settings: Settings, parent: Identity, new_signing: SigningKey, now: datetime,
             client_tls: ClientTls | None = None) -> None:
    """Have the parent enrol the next signing key beside the current one."""
    rotate_key(parent, settings.region, settings.signing_key, new_signing, now,
               client_tls=client_tls)


def switch(store: Store, settings: Settings, now: datetime) -> KeyRotation:
    """Retire the current keys, put the next ones in place, record the endorsed rotation."""
    db = store.path
    new_signing, new_sealing = next_keys(db)
    old_id = key_id(settings.signing_key.verify_key)
    rotation = endorse_rotation(settings.signing_key, bytes(new_signing.verify_key),
                                bytes(new_sealing.public_key), to_ms(now))
    with store.transaction():
        store.add_key_rotation(old_id, rotation.SerializeToString(),
                               stamp(now))
        for current, retired, following in zip(key_paths(db), retired_key_paths(db, old_id),
                                                next_key_paths(db), strict=True):
            os.rename(current, retired)
            os.rename(following, current)
    return rotation


class StoredParent:
    """The aggregator's parent as its store keeps it (member/parent.py's ``ParentBook``)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def parent(self) -> Identity:
        found = parent(self._store)
        if found is None:
            raise ConfigError("未设置上级 no parent address: import its export with "
                              "`guanai aggregator parent FILE`")
        return found

    def retired_signing_keys(self) -> list[bytes]:
        return self._store.retired_parent_keys()

    def follow(self, learnt: Identity, at: datetime) -> None:
        # The old key is kept first: cut short between the two, the parent is followed again.
        with self._store.transaction():
            self._store.retire_parent_key(self.parent().keys.signing,
                                          stamp(at))
        set_parent(self._store, self._settings, learnt)


def follow_parent(store: Store, settings: Settings, now: datetime,
                  client_tls: ClientTls | None = None) -> Identity:
    """Ask the parent for this aggregator's standing and take the keys it rotated to since its
    export was imported, keeping the replaced signing key; the parent's export, as now kept."""
    book = StoredParent(store, settings)
    member.standing.follow_parent(book, settings.region, settings.signing_key, now,
                                  client_tls=client_tls)
    return book.parent()
