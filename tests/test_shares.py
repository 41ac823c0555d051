"""Secret shares (privacy/shares.py), their signed envelope, and where each party keeps them.

DESIGN §8: x = a + b (mod 2^64) with a uniform from libsodium's random source; each share alone
is uniform; the signed share is canonical and bound to its context; both stores give back
exactly what was kept.
"""

from __future__ import annotations

from datetime import date

import pytest
from nacl.signing import SigningKey

from aggregator.store.sqlite import Store, StoredShare
from node.store import open_store, transaction
from node.store import shares as node_shares
from privacy.envelope import (
    ENROLMENT_CONTEXT,
    SHARE_CONTEXT,
    BadSignature,
    Malformed,
    sign_body,
    verify_enrolment,
    verify_share,
)
from privacy.merkle import leaf_hash
from privacy.receipt import report_sha256
from privacy.shares import MODULUS, ShareError, add, combine, signed, split
from protos.catalogue import load
from protos.refusals import Kind, Refused
from protos.share_pb2 import Party, Share, Signed
from protos.validation import check_share

SCHOOL = "2161010001"
TODAY = date(2025, 7, 1)


def make_share(**changes) -> Share:
    fields = dict(share_id=bytes(16), school_id=SCHOOL, region="610102", party=Party.LEADER,
                  recipient_key_id="00" * 8, period="2025-H1", catalogue_version=load().version,
                  revision=1, values=[0] * len(load().cells), created_unix_ms=1751328000000)
    fields.update(changes)
    return Share(**fields)


def test_split_then_combine_gives_back_every_value():
    values = [0, 1, -1, 2**63 - 1, -(2**63), 123_456_789, -40]
    first, second = split(values)
    assert all(0 <= v < MODULUS for v in first + second)
    assert combine(first, second) == values


def test_sums_of_shares_combine_to_the_sum_of_tables():
    tables = [[5, -3, 0], [7, 2, 11], [0, 0, -9]]
    halves = [split(t) for t in tables]
    leader = add((h[0] for h in halves), 3)
    helper = add((h[1] for h in halves), 3)
    assert combine(leader, helper) == [12, -1, 2]
    assert add([], 2) == [0, 0]


def test_one_share_alone_is_uniform():
    # Shares of an all-zero table: each top bit is a fair coin if the share is uniform. With
    # 20,000 bits the count lies within 6 standard deviations (±424) of 10,000 but for a
    # correct implementation with probability below 2e-9; a non-random first share (all
    # zeros, or x itself) gives 0 or 20,000.
    first, second = split([0] * 20_000)
    for share in (first, second):
        high = sum(v >= 2**63 for v in share)
        assert abs(high - 10_000) <= 424
    assert len(set(first)) == 20_000  # no repeats among 2^64 possibilities, but by 1e-11


def test_bad_vectors_are_refused():
    with pytest.raises(ShareError):
        split([2**63])
    with pytest.raises(ShareError):
        add([[1, 2], [3]], 2)
    with pytest.raises(ShareError):
        add([[MODULUS]], 1)
    with pytest.raises(ShareError):
        combine([1, 2], [3])
    assert signed(MODULUS - 1) == -1 and signed(2**63) == -(2**63)


def test_signed_share_round_trip_and_forgeries():
    key = SigningKey.generate()
    body = make_share().SerializeToString()
    signed_bytes = sign_body(SHARE_CONTEXT, body, key)
    share, signer = verify_share(signed_bytes)
    assert share == make_share() and signer == bytes(key.verify_key)
    # another byte of the share: the signature fails before anything is read
    envelope = Signed.FromString(signed_bytes)
    envelope.body = body[:-1] + bytes([body[-1] ^ 1])
    with pytest.raises(BadSignature):
        verify_share(envelope.SerializeToString())
    # a share signed under another context (an enrolment) does not pass for a share
    with pytest.raises(BadSignature):
        verify_share(sign_body(ENROLMENT_CONTEXT, body, key))
    with pytest.raises(BadSignature):
        verify_enrolment(signed_bytes)
    # non-canonical: an unknown field appended to the envelope, or to the signed share
    with pytest.raises(Malformed):
        verify_share(signed_bytes + b"\xa0\x06\x01")
    with pytest.raises(Malformed):
        verify_share(sign_body(SHARE_CONTEXT, body + b"\xa0\x06\x01", key))


def test_contract_check_of_a_share():
    mine = "ab" * 8
    check_share(make_share(recipient_key_id=mine), Party.LEADER, [mine], TODAY)
    cases = [
        (make_share(recipient_key_id=mine, party=Party.HELPER), Kind.NOT_PERMITTED),
        (make_share(), Kind.NOT_PERMITTED),  # bound to another key
        (make_share(recipient_key_id=mine, values=[1, 2]), Kind.MALFORMED),
        (make_share(recipient_key_id=mine, period="2025"), Kind.MALFORMED),
        (make_share(recipient_key_id=mine, period="2026-H1"), Kind.MALFORMED),  # not begun
        (make_share(recipient_key_id=mine, revision=0), Kind.MALFORMED),
        (make_share(recipient_key_id=mine, school_id="123"), Kind.MALFORMED),
        (make_share(recipient_key_id=mine, share_id=b"x"), Kind.MALFORMED),
    ]
    for share, kind in cases:
        with pytest.raises(Refused) as refused:
            check_share(share, Party.LEADER, [mine], TODAY)
        assert refused.value.kind == kind, share


def _stored(index: int, school: str, revision: int, values: list[int],
            region: str = "610102") -> StoredShare:
    body = make_share(school_id=school, region=region, revision=revision,
                      values=values).SerializeToString()
    signed_bytes = sign_body(SHARE_CONTEXT, body, SigningKey.generate())
    return StoredShare(index, leaf_hash(signed_bytes), school, region, "2025-H1", revision,
                       load().version, signed_bytes, report_sha256(body), "k", "t", b"")


def test_aggregator_store_keeps_shares_as_log_leaves(tmp_path):
    size = len(load().cells)
    store = Store(tmp_path / "county.db", create=True)
    shares = [_stored(0, SCHOOL, 1, [1] * size), _stored(1, "2161010002", 1, [2] * size),
              _stored(2, SCHOOL, 2, [3] * size),
              _stored(3, "2161030004", 1, [4] * size, region="610103")]
    with store.transaction():
        for share in shares:
            store.add_share(share)
    assert store.leaf_hashes() == [s.leaf_hash for s in shares]
    assert [e.kind for e in store.log_entries()] == ["share"] * 4
    assert store.index_of(shares[2].leaf_hash) == 2
    latest = store.shares_of("2025-H1", [SCHOOL, "2161010002", "2161010009"])
    assert sorted(latest) == [SCHOOL, "2161010002"]
    assert latest[SCHOOL].revision == 2 and latest[SCHOOL].values == [3] * size
    assert [s.school_id for s in store.latest_shares("2025-H1", "610102")] == [
        SCHOOL, "2161010002"]
    assert len(store.latest_shares("2025-H1", "610000")) == 3
    assert [s.revision for s in store.share_revisions(SCHOOL, "2025-H1")] == [1, 2]
    store.close()


def test_node_store_keeps_both_shares_of_a_release(tmp_path):
    db = open_store(tmp_path / "school.db", create=True)
    with transaction(db):
        node_shares.add(db, "2025-H1", 1, "helper", "610000", b"h", "t")
        node_shares.add(db, "2025-H1", 1, "leader", "610102", b"l", "t")
        node_shares.set_signed(db, "2025-H1", 1, "leader", b"signed")
        node_shares.set_signed(db, "2025-H1", 1, "leader", b"other")  # signed once only
    held = node_shares.of_release(db, "2025-H1", 1)
    assert [(s.party, s.share, s.signed, s.state) for s in held] == [
        ("leader", b"l", b"signed", "pending"), ("helper", b"h", None, "pending")]
    with transaction(db):
        node_shares.deliver(db, "2025-H1", 1, "leader", b"receipt", 7, "t2")
    assert node_shares.every(db)[0].log_index == 7 and node_shares.every(db)[0].state == "delivered"
