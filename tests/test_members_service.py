"""The Members service: a member's signed request for its standing, key rotations of members
and of aggregators, and revocation from a given time — over real gRPC, with a simulated clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.calendar import decisions
from aggregator.keys import keyring, own_identity, staff
from aggregator.rollup.build import make_rollup, send_rollup, send_to_parent
from aggregator.store.sqlite import Store
from common.clock import SimulatedClock
from member.parent import verify_parent_receipt
from member.standing import (
    MemberRequestFailed,
    get_status,
    rotate_key,
    updated_identity,
)
from privacy.envelope import sign_report
from privacy.keys import key_id
from privacy.memberauth import sign_request
from privacy.receipt import ReceiptError, sign_receipt, verify_receipt
from protos.aggregator_pb2 import Receipt, ReceiptBody
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.deadlines import CHINA, from_ms, to_ms
from protos.members_pb2 import MemberRequest
from protos.members_pb2_grpc import MembersStub
from protos.periods import Period
from tests.federation import Aggregator, dump, make_report, school_identity, sealed

H1, H2 = Period.parse("2025-H1"), Period.parse("2025-H2")
SCHOOL = "2161010001"
FAST = dict(attempts=3, timeout=10)


@pytest.fixture
def federation(tmp_path):
    clock = SimulatedClock(datetime(2025, 6, 10, 10, tzinfo=CHINA))
    province = Aggregator(tmp_path, "610000", "province")
    county = Aggregator(tmp_path, "610102", "county", "610000")
    for aggregator in (province, county):
        aggregator.start(clock=clock)
    county.set_parent(province)
    province.enrol(county.identity())
    key = SigningKey.generate()
    county.enrol(school_identity(SCHOOL, "610102", key))
    store = Store(county.db)
    credential = tmp_path / "wang.key"
    decisions.register_staff(store, county.settings, "王科长", credential, clock.now())
    county.credential = staff.load(store, credential)
    store.close()
    yield clock, province, county, key
    for aggregator in (county, province):
        aggregator.stop()


def submit(county: Aggregator, key: SigningKey, period: str = "2025-H1",
           identity=None) -> tuple[Receipt, bytes]:  # noqa: ANN001
    report = make_report(SCHOOL, period=period)
    with grpc.insecure_channel(county.running.address) as channel:
        receipt = AggregatorStub(channel).Submit(sealed(report, key, identity or county),
                                                 timeout=10)
    return receipt, sign_report(report.SerializeToString(), key)


def test_the_standing_shows_deadlines_what_is_held_a_return_with_its_reason_and_an_exception(
        federation):
    clock, _, county, key = federation
    first = get_status(county.identity(), SCHOOL, key, clock.now()).status
    h1 = next(p for p in first.periods if p.period == "2025-H1")
    assert from_ms(h1.due_unix_ms) == datetime(2025, 7, 1, tzinfo=CHINA)
    assert (h1.revision, h1.returned_revision, h1.exception_until_unix_ms) == (0, 0, 0)
    assert [p.period for p in first.periods] == ["2024-H1", "2024-H2", "2024", "2025-H1",
                                                 "2025-H2", "2025"]
    submit(county, key)
    store = Store(county.db)
    decisions.return_submission(store, county.settings, county.credential, SCHOOL, H1,
                                "资助金额与名单不符 aid totals do not match", clock.now())
    decisions.unlock(store, county.settings, county.credential, SCHOOL, H2, clock.now())
    store.close()
    status = get_status(county.identity(), SCHOOL, key, clock.now()).status
    h1, h2 = (next(p for p in status.periods if p.period == c) for c in ("2025-H1", "2025-H2"))
    assert (h1.revision, h1.timeliness, h1.returned_revision) == (1, "on_time", 1)
    assert h1.return_reason == "资助金额与名单不符 aid totals do not match"
    assert from_ms(h2.exception_until_unix_ms) > clock.now()


def test_requests_that_are_not_the_members_own_and_fresh_are_refused(federation):
    clock, province, county, key = federation
    before = dump(county.db)

    def code(signed) -> grpc.StatusCode:  # noqa: ANN001
        with grpc.insecure_channel(county.running.address) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                MembersStub(channel).GetStatus(signed, timeout=10)
        return refused.value.code()

    def request(**changes) -> MemberRequest:  # noqa: ANN003
        fields = dict(member_id=SCHOOL, aggregator_id="610102", unix_ms=to_ms(clock.now()))
        return MemberRequest(**{**fields, **changes})

    assert code(sign_request(request(aggregator_id="610103"), key)) == \
        grpc.StatusCode.PERMISSION_DENIED
    stale = to_ms(clock.now() - timedelta(minutes=11))
    assert code(sign_request(request(unix_ms=stale), key)) == grpc.StatusCode.UNAUTHENTICATED
    assert code(sign_request(request(), SigningKey.generate())) == \
        grpc.StatusCode.UNAUTHENTICATED
    forged = sign_request(request(), key)
    forged.request = request(member_id="2161010002").SerializeToString()
    assert code(forged) == grpc.StatusCode.UNAUTHENTICATED
    impostor = replace(county.identity(), keys=province.identity().keys)
    with pytest.raises(MemberRequestFailed, match="does not verify"):
        get_status(impostor, SCHOOL, key, clock.now())
    assert dump(county.db) == before


def test_a_school_rotates_mid_year_and_a_compromised_key_is_revoked_from_a_given_time(federation):
    clock, _, county, old = federation
    h1_receipt, h1_signed = submit(county, old)
    new = SigningKey.generate()
    rotate_key(county.identity(), SCHOOL, old, new, clock.now())
    rotate_key(county.identity(), SCHOOL, old, new, clock.now())  # a retry changes nothing
    store = Store(county.db)
    assert {k.key_id for k in store.keys(SCHOOL)} == {key_id(old.verify_key),
                                                       key_id(new.verify_key)}
    [rotation] = [d for d in store.decisions() if d.kind == "rotate"]
    assert rotation.credential == f"member:{SCHOOL}:{key_id(old.verify_key)}"

    clock.sleep_until(datetime(2025, 8, 1, tzinfo=CHINA))
    compromised_from = datetime(2025, 8, 2, tzinfo=CHINA)
    decisions.revoke(store, county.settings, county.credential, SCHOOL, key_id(old.verify_key),
                     clock.now(), compromised_from)
    store.close()
    clock.sleep_until(datetime(2025, 9, 1, tzinfo=CHINA))
    before = dump(county.db)
    with pytest.raises(grpc.RpcError) as refused:
        submit(county, old, "2025-H2")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(MemberRequestFailed) as refused_rotation:
        rotate_key(county.identity(), SCHOOL, old, SigningKey.generate(), clock.now())
    assert refused_rotation.value.code == grpc.StatusCode.PERMISSION_DENIED
    assert dump(county.db) == before
    receipt, _ = submit(county, new, "2025-H2")
    assert receipt.body
    verify_receipt(h1_receipt, h1_signed, county.identity().keys.signing)


def test_an_aggregator_rotates_its_keys_without_losing_a_period(federation):
    clock, province, county, key = federation
    old_county = county.identity()
    h1_receipt, h1_signed = submit(county, key)
    store = Store(county.db)
    new_signing, _ = keyring.next_keys(county.db)
    keyring.announce(county.settings, province.identity(), new_signing, clock.now())
    keyring.switch(store, county.settings, clock.now())
    store.close()
    county.stop()
    store = Store(county.db)
    county.settings = own_identity.load(store)
    store.close()
    county.start(clock=clock)
    clock.sleep_until(datetime(2025, 9, 1, tzinfo=CHINA))

    # A school that has not heard of the rotation still seals to the old key and gets in.
    stale = replace(old_county, address=county.running.address)
    h2_receipt, h2_signed = submit(county, key, "2025-H2", identity=stale)
    with pytest.raises(ReceiptError):
        verify_receipt(h2_receipt, h2_signed, stale.keys.signing)
    verified = get_status(stale, SCHOOL, key, clock.now())
    learnt = updated_identity(stale, verified)
    assert learnt.keys == county.identity().keys != stale.keys
    verify_receipt(h2_receipt, h2_signed, learnt.keys.signing)
    verify_receipt(h1_receipt, h1_signed, old_county.keys.signing)

    # The province enrolled the county's new key before the switch: the next rollup gets in.
    store = Store(county.db)
    made, _ = make_rollup(store, county.settings, H1)
    body = send_rollup(store, county.settings, province.identity(), made, **FAST)
    store.close()
    assert body.sender_id == "610102"


def test_a_county_follows_its_provinces_rotation_before_sending_up(federation):
    clock, province, county, key = federation
    submit(county, key)
    old_province = province.identity()
    store = Store(province.db)
    keyring.next_keys(province.db)
    keyring.switch(store, province.settings, clock.now())  # the top level announces to nobody
    store.close()
    province.stop()
    store = Store(province.db)
    province.settings = own_identity.load(store)
    store.close()
    province.start(clock=clock, listen=old_province.address)

    store = Store(county.db)
    try:
        made, _ = make_rollup(store, county.settings, H1)
        with pytest.raises(ReceiptError):
            send_rollup(store, county.settings, old_province, made, **FAST)
        parent = keyring.follow_parent(store, county.settings, clock.now())
        assert parent.keys == province.identity().keys
        assert own_identity.parent(store).keys == parent.keys
        assert send_rollup(store, county.settings, parent, made, **FAST).sender_id == "610102"
    finally:
        store.close()


def _rotate_province(clock, province):
    store = Store(province.db)
    keyring.next_keys(province.db)
    keyring.switch(store, province.settings, clock.now())  # the top level announces to nobody
    store.close()
    address = province.identity().address
    province.stop()
    store = Store(province.db)
    province.settings = own_identity.load(store)
    store.close()
    province.start(clock=clock, listen=address)


def test_a_county_resending_after_its_provinces_rotation_accepts_the_stored_receipt(federation):
    # The sending side is one (member/): a county keeps its parent's retired keys as a school
    # does, so the receipt the province stored before its rotation still verifies on a resend.
    clock, province, county, key = federation
    submit(county, key)
    store = Store(county.db)
    try:
        made, _ = make_rollup(store, county.settings, H1)
        first = send_to_parent(store, county.settings, made, clock.now(), **FAST)
        old_key = own_identity.parent(store).keys.signing
        _rotate_province(clock, province)
        again = send_to_parent(store, county.settings, made, clock.now(), **FAST)
        assert (again.log_index, again.tree_size) == (first.log_index, first.tree_size)
        parent = own_identity.parent(store)
        assert parent.keys == province.identity().keys and parent.keys.signing != old_key
        assert store.retired_parent_keys() == [old_key]

        stored = Receipt.FromString(store.latest_rollup(H1.code).receipt)
        assert verify_parent_receipt(stored, made.signed, parent, [old_key]) == again
        forged = sign_receipt(ReceiptBody.FromString(stored.body), SigningKey.generate())
        with pytest.raises(ReceiptError):
            verify_parent_receipt(forged, made.signed, parent, store.retired_parent_keys())
    finally:
        store.close()
