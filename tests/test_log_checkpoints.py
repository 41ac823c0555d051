"""Every checkpoint an aggregator signs is kept, one per tree size, and given out unchanged.

That is what lets an export hand inspectors every checkpoint the aggregator ever gave out: a
receipt, GetCheckpoint and the proofs' checkpoints of one size are the same signed note.
"""

from __future__ import annotations

import sqlite3

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.keys import own_identity
from aggregator.log.transparency import TransparencyLog
from aggregator.store.sqlite import Store, StoreError
from privacy.envelope import seal, sign_report
from privacy.merkle import leaf_hash
from protos import aggregator_pb2 as pb
from protos.aggregator_pb2_grpc import AggregatorStub
from tests.federation import Aggregator, make_report, school_identity

SCHOOL = "2161010001"


@pytest.fixture
def county(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    key = SigningKey.generate()
    county.enrol(school_identity(SCHOOL, "610102", key))
    county.start()
    signed = [sign_report(make_report(revision=r).SerializeToString(), key) for r in (1, 2, 3)]
    with grpc.insecure_channel(county.running.address) as channel:
        stub = AggregatorStub(channel)
        receipts = [pb.ReceiptBody.FromString(stub.Submit(
            pb.Submission(sealed=seal(s, county.identity().keys.sealing)), timeout=10).body)
            for s in signed]
    yield county, signed, receipts
    county.stop()


def test_one_size_is_one_signed_note_wherever_it_is_given_out(county):
    county, signed, receipts = county
    with grpc.insecure_channel(county.running.address) as channel:
        stub = AggregatorStub(channel)
        head = stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=10).note
        at_one = stub.GetInclusionProof(
            pb.GetInclusionProofRequest(leaf_hash=leaf_hash(signed[0]), tree_size=1), timeout=10)
        from_two = stub.GetConsistencyProof(
            pb.GetConsistencyProofRequest(old_size=1, new_size=2), timeout=10)
    assert head == receipts[2].checkpoint
    assert at_one.checkpoint == receipts[0].checkpoint
    assert from_two.checkpoint == receipts[1].checkpoint
    store = Store(county.db)
    try:
        assert store.checkpoints() == [(r.tree_size, r.checkpoint) for r in receipts]
    finally:
        store.close()


def test_a_store_whose_leaves_were_altered_is_refused_rather_than_signed_again(county):
    county, _, receipts = county
    county.stop()
    conn = sqlite3.connect(county.db)
    with conn:
        conn.execute("UPDATE submissions SET leaf_hash = ? WHERE log_index = 1", [bytes(32)])
    conn.close()
    store = Store(county.db)
    try:
        log = TransparencyLog("guanai/610102", own_identity.load(store).signing_key, store)
        assert log.checkpoint(1) == receipts[0].checkpoint
        with pytest.raises(StoreError, match="no longer matches checkpoint 2"):
            log.checkpoint(2)
    finally:
        store.close()
