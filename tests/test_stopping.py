"""A stopping server answers what it committed and UNAVAILABLE otherwise — even with no grace.

Issue 16 item 9b: with ``--grace 0`` a call in flight at SIGTERM was committed but answered
``UNAVAILABLE: Cancelling all calls``, and a call right after it now and then ended CANCELLED.
Here a batch is in flight when ``stop(grace=0)`` begins, and calls keep coming while it stops:
every answer is a receipt for what is stored or UNAVAILABLE for what is not.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import grpc

from aggregator.store.sqlite import Store
from privacy.envelope import seal
from protos import aggregator_pb2 as pb
from protos.aggregator_pb2_grpc import AggregatorStub
from tests.test_aggregator_server import county, signed_reports  # noqa: F401 (a fixture)


def test_with_no_grace_a_committed_batch_is_answered_and_late_calls_are_unavailable(
        county):  # noqa: F811
    county.start()
    signed = signed_reports(county, 400)
    sealing = county.identity().keys.sealing
    batch = pb.SubmitBatchRequest(submissions=[pb.Submission(sealed=seal(s, sealing))
                                               for s in signed[:300]])
    singles = [pb.Submission(sealed=seal(s, sealing)) for s in signed[300:]]
    channel = grpc.insecure_channel(county.running.address)
    stub = AggregatorStub(channel)
    # Another writer holds the database, so the batch's commit waits (busy_timeout 10 s):
    # the batch is inside the commit when stopping begins, and commits after.
    writer = sqlite3.connect(county.db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    call = stub.SubmitBatch.future(batch, timeout=60)
    time.sleep(1.0)
    stopper = threading.Thread(target=county.running.stop, kwargs={"grace": 0})
    stopper.start()
    time.sleep(0.5)
    writer.execute("ROLLBACK")
    writer.close()
    late = []
    for single in singles:  # while it stops, and after
        try:
            late.append(stub.Submit(single, timeout=10))
        except grpc.RpcError as exc:
            late.append(exc.code())
    try:
        answered = call.result()
    except grpc.RpcError as exc:
        answered = exc.code()
    stopper.join()
    channel.close()
    store = Store(county.db)
    stored = set(store.leaf_hashes())
    store.close()
    codes = {a for a in late if isinstance(a, grpc.StatusCode)}
    assert codes <= {grpc.StatusCode.UNAVAILABLE}, codes
    receipts = [a for a in late if not isinstance(a, grpc.StatusCode)]
    if isinstance(answered, grpc.StatusCode):
        assert answered == grpc.StatusCode.UNAVAILABLE
        batch_stored = 0
    else:
        assert [o.WhichOneof("result") for o in answered.outcomes] == ["receipt"] * 300
        batch_stored = 300
    assert len(stored) == batch_stored + len(receipts)  # nothing stored went unanswered
