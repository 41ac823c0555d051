"""The school's side of secure aggregation (DESIGN §8, docs/secure-aggregation.md): the two
shares of a release's true table, made once with the release, signed once when queued,
delivered to each party until its verified receipt.

The vector shared is the one the release noises: the clipped true table in catalogue cell
order, before noise. One share is sealed to the parent (the leader), the other to the
province's helper; each alone is uniformly random (privacy/shares.py), so neither party learns
anything of the table from its share.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlite_utils
from nacl.signing import SigningKey
from nacl.utils import random as random_bytes

from common.clock import stamp
from node.store import shares as share_rows
from node.store.shares import StoredShare
from privacy.envelope import SHARE_CONTEXT, sign_body
from privacy.identity import Identity
from privacy.keys import key_id
from privacy.shares import split
from protos.deadlines import to_ms
from protos.share_pb2 import Party, Share

PARTY_NAMES = {Party.LEADER: "leader", Party.HELPER: "helper"}


def make_shares(store: sqlite_utils.Database, *, school_id: str, region: str, period: str,
                catalogue_version: str, revision: int, vector: Sequence[int],
                leader: Identity, helper: Identity, at: datetime) -> None:
    """Split ``vector`` (the release's clipped true values, catalogue order) and keep the
    leader's share (bound to ``leader``'s sealing key) and the helper's (to ``helper``'s).

    Call inside the release's transaction: the shares are made once, with it, and never again
    for the same (period, revision). Raises ``privacy.shares.ShareError`` for a value beyond
    a signed 64-bit integer.
    """
    first, second = split(vector)
    for party, target, values in ((Party.LEADER, leader, first), (Party.HELPER, helper, second)):
        share = Share(share_id=random_bytes(16), school_id=school_id, region=region, party=party,
                      recipient_key_id=key_id(target.keys.sealing), period=period,
                      catalogue_version=catalogue_version, revision=revision, values=values,
                      created_unix_ms=to_ms(at))
        share_rows.add(store, period, revision, PARTY_NAMES[party], target.id,
                       share.SerializeToString(), stamp(at))


def sign_shares(store: sqlite_utils.Database, period: str, revision: int,
                key: SigningKey) -> list[StoredShare]:
    """Both shares of (period, revision), signed (``SHARE_CONTEXT``) once and kept; older
    undelivered shares of the period are superseded. Call inside a transaction."""
    for held in share_rows.of_release(store, period, revision):
        if held.signed is None:
            share_rows.set_signed(store, period, revision, held.party,
                                  sign_body(SHARE_CONTEXT, held.share, key))
        elif held.state == "refused":
            share_rows.set_pending(store, period, revision, held.party)
    share_rows.supersede_older(store, period, revision)
    return share_rows.of_release(store, period, revision)
