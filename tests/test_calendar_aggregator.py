"""Deadlines, locks, exceptions, returns and decisions at an aggregator, over real gRPC.

The county's clock is simulated: the test moves it across the deadline and the lock.
"""

from __future__ import annotations

import json
from datetime import datetime

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.calendar import decisions
from aggregator.calendar.completeness import by_region, member_status
from aggregator.calendar.decisions import DecisionError
from aggregator.keys import staff
from aggregator.keys.staff import StaffError
from aggregator.rollup.build import make_rollup, rollup_report
from aggregator.store.sqlite import Store
from common.clock import SimulatedClock
from privacy.envelope import verify_with_context
from privacy.keys import generate_signing_key
from privacy.memberauth import DECISION_CONTEXT
from protos.aggregator_pb2 import ReceiptBody
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.deadlines import CHINA, Deadlines, end_of_day
from protos.periods import Period
from tests.federation import Aggregator, dump, make_report, school_identity, sealed

H1 = Period.parse("2025-H1")
ON_TIME, LATE, LOCKED_OUT, RETURNED = "2161010001", "2161010002", "2161010003", "2161010004"
SCHOOLS = (ON_TIME, LATE, LOCKED_OUT, RETURNED)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CHINA)


@pytest.fixture
def county(tmp_path):
    clock = SimulatedClock(at("2025-06-01"))
    county = Aggregator(tmp_path, "610102", "county", "610000", open_2025=False)
    county.clock = clock
    county.keys = {s: SigningKey.generate() for s in SCHOOLS}
    for school_id, key in county.keys.items():
        county.enrol(school_identity(school_id, "610102", key))
    store = Store(county.db)
    county.staff_key = tmp_path / "wang.key"
    decisions.register_staff(store, county.settings, "王科长", county.staff_key, clock.now())
    store.close()
    county.start(clock=clock)
    channel = grpc.insecure_channel(county.running.address)
    county.stub = AggregatorStub(channel)
    yield county
    channel.close()
    county.stop()


def send(county: Aggregator, school_id: str, revision: int = 1, base: int = 5) -> ReceiptBody:
    report = make_report(school_id, revision=revision, base=base)
    receipt = county.stub.Submit(sealed(report, county.keys[school_id], county), timeout=10)
    return ReceiptBody.FromString(receipt.body)


def decide(county: Aggregator):  # noqa: ANN201
    store = Store(county.db)
    return store, staff.load(store, county.staff_key)


def test_on_time_late_locked_out_then_unlocked_and_a_return_that_reopens(county):
    clock = county.clock
    assert send(county, ON_TIME).timeliness == "on_time"
    assert send(county, RETURNED).timeliness == "on_time"
    clock.sleep_until(at("2025-07-01", 9))  # after 30 June 24:00
    assert send(county, LATE).timeliness == "late"

    clock.sleep_until(at("2025-07-16", 0).replace(minute=1))  # the lock was 15 July 24:00
    before = dump(county.db)
    with pytest.raises(grpc.RpcError) as refused:
        send(county, LOCKED_OUT)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "已锁定" in refused.value.details() and "guanai aggregator unlock" in \
        refused.value.details()
    assert dump(county.db) == before

    store, credential = decide(county)
    decision = decisions.unlock(store, county.settings, credential, LOCKED_OUT, H1, clock.now(),
                                reason="停电 power cut")
    assert send(county, LOCKED_OUT).timeliness == "late"
    returned = decisions.return_submission(store, county.settings, credential, RETURNED, H1,
                                           "学籍人数与上学期不符 enrolment does not match", clock.now())
    with pytest.raises(DecisionError, match="already returned"):
        decisions.return_submission(store, county.settings, credential, RETURNED, H1, "again",
                                    clock.now())

    statuses = {s.member.member_id: s for s in member_status(store, H1)}
    assert statuses[RETURNED].returned == returned and not statuses[RETURNED].submitted
    [region] = by_region(list(statuses.values()))
    assert (region.submitted, region.late, region.returned, region.missing) == (
        3, (LATE, LOCKED_OUT), (RETURNED,), ())
    made, _ = make_rollup(store, county.settings, H1)
    rollup = rollup_report(made)
    assert [m.sender_id for m in rollup.members] == [ON_TIME, LATE, LOCKED_OUT]
    assert [m.timeliness for m in rollup.members] == ["on_time", "late", "late"]
    assert list(rollup.missing) == [RETURNED]

    # The return lets the next revision in after the lock; it keeps its first timeliness.
    assert send(county, RETURNED, revision=2, base=9).timeliness == "late"
    statuses = {s.member.member_id: s for s in member_status(store, H1)}
    assert statuses[RETURNED].timeliness == "on_time" and statuses[RETURNED].submitted
    again = rollup_report(make_rollup(store, county.settings, H1)[0])
    assert (again.revision, [(m.sender_id, m.revision) for m in again.members][-1]) == (
        2, (RETURNED, 2))
    assert list(again.missing) == []
    # …but a correction without a return or an exception is locked out.
    with pytest.raises(grpc.RpcError) as refused:
        send(county, ON_TIME, revision=2)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    records = store.decisions()
    assert [d.kind for d in records] == ["staff", "unlock", "return"]
    assert records[1].id == decision and records[2].id == returned.decision_id
    official = store.staff()[0]
    for record in records[1:]:
        assert record.credential == f"staff:{official.key_id}"
        verify_with_context(DECISION_CONTEXT, record.record, record.signature, official.public_key)
    body = json.loads(records[2].record)
    assert (body["kind"], body["member"], body["period"], body["revision"]) == (
        "return", RETURNED, "2025-H1", 1)
    assert body["at"] == "2025-07-15T16:01:00+00:00"
    store.close()


def test_deadlines_are_configurable_and_every_decision_needs_a_registered_credential(county,
                                                                                      tmp_path):
    store, credential = decide(county)
    limits = Deadlines(end_of_day(datetime(2025, 6, 20).date()),
                       end_of_day(datetime(2025, 6, 25).date()))
    decisions.set_deadlines(store, county.settings, credential, H1, limits, county.clock.now())
    county.stop()
    county.start(clock=county.clock)  # a fresh server reads the same store
    channel = grpc.insecure_channel(county.running.address)
    county.stub = AggregatorStub(channel)
    county.clock.sleep_until(at("2025-06-22"))
    assert send(county, ON_TIME).timeliness == "late"
    county.clock.sleep_until(at("2025-06-26"))
    with pytest.raises(grpc.RpcError) as refused:
        send(county, LATE)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    with pytest.raises(DecisionError, match="lock date"):
        decisions.set_deadlines(store, county.settings, credential, H1,
                                Deadlines(limits.lock, limits.due), county.clock.now())
    stranger = tmp_path / "stranger.key"
    generate_signing_key(stranger)
    before = dump(county.db)
    with pytest.raises(StaffError, match="not registered"):
        staff.load(store, stranger)
    with pytest.raises(DecisionError, match="not a member"):
        decisions.unlock(store, county.settings, credential, "2161010099", H1, county.clock.now())
    assert dump(county.db) == before
    store.close()
    channel.close()
