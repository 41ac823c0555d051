"""Secure aggregation, the school's side and both parties' intake (issue 15, DESIGN §8).

A real school node with a real county (the leader) and a real helper on loopback: the release
makes two shares that add back to the true table, each is delivered to its party with a
verified receipt, kept as a leaf of that party's log, and resent as the same bytes; the helper
knows the school only from the county's signed enrolment. Then the hostile cases, each refused
with its precise status and nothing changed at the party (every row, and the log's size).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest
from nacl.public import PublicKey, SealedBox
from nacl.signing import SigningKey

from aggregator.intake.catalogues import CataloguePolicy
from aggregator.intake.enrolment import EnrolmentError, enrol, revoke
from aggregator.keys import own_identity
from aggregator.log.export import export_bundle
from aggregator.rollup.helper import held_at_helper, send_enrolment
from aggregator.store.sqlite import Store
from inspector.bundle import read_bundle
from inspector.verdict import render_text
from inspector.verify import verify
from member.client import Backoff, SubmitRefused
from node import status
from node.membership import ensure_key, import_helper, import_parent
from node.membership import own_identity as school_own
from node.release import latest_release, release_period
from node.schedule import ScheduleSettings
from node.store import shares as share_rows
from node.submit import deliver_shares, enqueue, submit
from privacy.envelope import SHARE_CONTEXT, sign_body, verify_enrolment, verify_share
from privacy.keys import key_id
from privacy.shares import combine
from protos.aggregator_pb2 import GetCheckpointRequest, Submission
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.catalogue import load
from protos.helper_pb2_grpc import HelperStub
from protos.periods import Period
from protos.share_pb2 import Party, Share, Signed
from tests.conftest import School
from tests.federation import Aggregator, dump, school_identity

H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
FAST = dict(backoff=Backoff(initial=0.02, maximum=0.1), timeout=10, attempts=5)
SCHOOL, OTHER, STRANGER = "2161010001", "2161010002", "2161010003"
CODE = grpc.StatusCode


def store_of(party: Aggregator) -> Store:
    return Store(party.db)


@pytest.fixture(scope="module")
def parties(tmp_path_factory):
    """A county (leader) and the province's helper, serving; the helper knows the county."""
    folder = tmp_path_factory.mktemp("secagg")
    county = Aggregator(folder, "610102", "county", "610000")
    helper = Aggregator(folder, "610000", "province", role="helper")
    helper.start()
    county.start()
    helper.enrol(county.identity())
    store = store_of(county)
    own_identity.set_helper(store, county.settings, helper.identity())
    store.close()
    county.keys = {OTHER: SigningKey.generate(), STRANGER: SigningKey.generate()}
    county.enrol(school_identity(OTHER, "610102", county.keys[OTHER]))
    county.leader = AggregatorStub(grpc.insecure_channel(county.running.address))
    helper.stub = HelperStub(grpc.insecure_channel(helper.running.address))
    yield county, helper
    county.stop()
    helper.stop()


def tell_helper(county: Aggregator, now: datetime | None = None) -> int:
    store = store_of(county)
    try:
        return send_enrolment(store, county.settings, now or datetime.now(UTC), timeout=10,
                              attempts=3)
    finally:
        store.close()


@pytest.fixture(scope="module")
def delivered(parties, tmp_path_factory):
    """A school node whose release's two shares were delivered to both parties."""
    county, helper = parties
    school = School(tmp_path_factory.mktemp("school") / "school.db")
    for i in range(6):
        school.student("primary", ["poverty"] if i % 2 else ["orphan"])
    ensure_key(school.path)
    county.enrol(school_own(school.db, school.path))
    assert tell_helper(county) == 2  # the school and OTHER
    import_parent(school.db, county.identity())
    import_helper(school.db, helper.identity())
    release_period(school.db, H1, "610102", today=DAY)
    submit(school.db, school.path, H1, **FAST)
    return school


def test_both_shares_add_back_to_the_true_table_and_each_party_logs_its_own(parties, delivered):
    county, helper = parties
    release = latest_release(delivered.db, H1)
    truth = [release.true_values[c.id] for c in load().cells]
    assert sum(truth) > 0
    leader_store, helper_store = store_of(county), store_of(helper)
    try:
        leader = leader_store.shares_of("2025-H1", [SCHOOL])[SCHOOL]
        assisting = helper_store.shares_of("2025-H1", [SCHOOL])[SCHOOL]
        assert combine(leader.values, assisting.values) == truth
        assert leader.values != truth and assisting.values != truth
        # each a leaf of its party's log, beside the county's report
        assert leader.leaf_hash in leader_store.leaf_hashes()
        assert helper_store.leaf_hashes() == [assisting.leaf_hash]
        assert verify_share(assisting.signed)[0].party == Party.HELPER
    finally:
        leader_store.close()
        helper_store.close()
    held = share_rows.of_release(delivered.db, "2025-H1", 1)
    assert [(s.party, s.state) for s in held] == [("leader", "delivered"), ("helper", "delivered")]
    assert held[0].log_index == leader.log_index and held[1].log_index == assisting.log_index


def test_a_resend_is_the_same_bytes_and_gets_the_same_receipts(parties, delivered):
    before = share_rows.of_release(delivered.db, "2025-H1", 1)
    county, helper = parties
    sizes = (dump(county.db)["shares"], dump(helper.db)["shares"])
    with share_rows_pending(delivered):
        bodies = deliver_shares(delivered.db, **FAST)
    after = share_rows.of_release(delivered.db, "2025-H1", 1)
    assert [b.log_index for b in bodies] == [s.log_index for s in before]
    assert [s.signed for s in after] == [s.signed for s in before]
    assert [s.receipt for s in after] == [s.receipt for s in before]
    assert (dump(county.db)["shares"], dump(helper.db)["shares"]) == sizes
    # queueing the release again keeps the signed bytes
    enqueue(delivered.db, delivered.path, H1)
    assert [s.signed for s in share_rows.of_release(delivered.db, "2025-H1", 1)] == [
        s.signed for s in before]


class share_rows_pending:  # noqa: N801 - a context manager used like a function
    """Mark both shares pending for the block (a resend), then put the states back."""

    def __init__(self, school: School) -> None:
        self.db = school.db

    def __enter__(self) -> None:
        self.db.execute("UPDATE shares SET state = 'pending'")

    def __exit__(self, *exc: object) -> None:
        self.db.execute("UPDATE shares SET state = 'delivered'")


def test_node_status_shows_both_shares_and_their_receipts(delivered):
    text = "\n".join(status.lines(delivered.db, delivered.path, ScheduleSettings(),
                                  datetime(2025, 7, 10, tzinfo=UTC)))
    assert "协助方 Helper" in text
    assert "份额·上级 leader share revision 1 → 610102: 已送达 delivered" in text
    assert "份额·协助方 helper share revision 1 → 610000: 已送达 delivered" in text


def test_the_leader_asks_the_helper_which_shares_it_holds(parties, delivered):
    county, _ = parties
    store = store_of(county)
    try:
        held = held_at_helper(store, "2025-H1", "610102", timeout=10)
        assert [(h.school_id, h.revision) for h in held] == [(SCHOOL, 1)]
        assert held_at_helper(store, "2025-H1", "610103", timeout=10) == []
        with pytest.raises(SubmitRefused) as info:
            held_at_helper(store, "2025-h1 ", "", timeout=10)
        assert info.value.code == CODE.INVALID_ARGUMENT
    finally:
        store.close()


# --- hostile shares: the precise status, nothing stored, the log unchanged

def share_bytes(school: str = OTHER, party: int = Party.LEADER, to: Aggregator | None = None,
                **changes) -> bytes:
    fields = dict(share_id=bytes(range(16)), school_id=school, region="610102", party=party,
                  recipient_key_id=key_id(to.identity().keys.sealing) if to else "",
                  period="2025-H1", catalogue_version=load().version, revision=1,
                  values=[7] * len(load().cells), created_unix_ms=1751328000000)
    fields.update(changes)
    return Share(**fields).SerializeToString()


def sealed_to(party: Aggregator, data: bytes) -> Submission:
    return Submission(sealed=SealedBox(PublicKey(party.identity().keys.sealing)).encrypt(data))


def log_size(party: Aggregator) -> int:
    stub = party.stub if hasattr(party, "stub") else party.leader
    return int(stub.GetCheckpoint(GetCheckpointRequest(), timeout=10).note.splitlines()[1])


def refused(party: Aggregator, submission: Submission) -> CODE:
    """Send ``submission`` to ``party``'s SubmitShare: the status code; nothing changed."""
    stub = party.stub if hasattr(party, "stub") else party.leader
    size, before = log_size(party), dump(party.db)
    with pytest.raises(grpc.RpcError) as info:
        stub.SubmitShare(submission, timeout=10)
    assert dump(party.db) == before
    assert log_size(party) == size
    return info.value.code()


def test_a_share_from_an_unknown_key_or_school_is_unauthenticated(parties, delivered):
    county, helper = parties
    for party, which in ((county, Party.LEADER), (helper, Party.HELPER)):
        stranger = SigningKey.generate()
        forged = sign_body(SHARE_CONTEXT, share_bytes(party=which, to=party), stranger)
        assert refused(party, sealed_to(party, forged)) == CODE.UNAUTHENTICATED
    # STRANGER's key is one the county never enrolled, so neither party knows the school
    outside = sign_body(SHARE_CONTEXT, share_bytes(STRANGER, Party.HELPER, helper),
                        county.keys[STRANGER])
    assert refused(helper, sealed_to(helper, outside)) == CODE.UNAUTHENTICATED


def test_a_share_for_a_school_outside_the_helpers_enrolment_is_refused(parties, delivered):
    county, helper = parties
    # enrolled at the county, which has not yet told the helper: the county takes its share,
    # the helper does not know the school
    key, school = SigningKey.generate(), "2161010005"
    county.enrol(school_identity(school, "610102", key))
    mine = sign_body(SHARE_CONTEXT, share_bytes(school, Party.LEADER, county), key)
    county.leader.SubmitShare(sealed_to(county, mine), timeout=10)
    theirs = sign_body(SHARE_CONTEXT, share_bytes(school, Party.HELPER, helper), key)
    assert refused(helper, sealed_to(helper, theirs)) == CODE.UNAUTHENTICATED
    # a school of another county, enrolled nowhere
    data = sign_body(SHARE_CONTEXT, share_bytes("2161030004", Party.HELPER, helper,
                                                region="610103"), key)
    assert refused(helper, sealed_to(helper, data)) == CODE.UNAUTHENTICATED


def test_a_revoked_key_is_refused_at_both_parties_once_the_helper_is_told(parties, delivered):
    county, helper = parties
    key = SigningKey.generate()
    school = "2161010006"
    county.enrol(school_identity(school, "610102", key))
    store = store_of(county)
    revoke(store, school, at=datetime(2025, 1, 1, tzinfo=UTC))
    store.close()
    tell_helper(county)
    for party, which in ((county, Party.LEADER), (helper, Party.HELPER)):
        data = sign_body(SHARE_CONTEXT, share_bytes(school, which, party), key)
        assert refused(party, sealed_to(party, data)) == CODE.PERMISSION_DENIED


def test_a_share_sealed_or_replayed_to_the_other_party_is_not_permitted(parties, delivered):
    county, helper = parties
    # the school's honest leader share, as the county received it, replayed to the helper
    store = store_of(county)
    leader_share = store.shares_of("2025-H1", [SCHOOL])[SCHOOL].signed
    store.close()
    assert refused(helper, sealed_to(helper, leader_share)) == CODE.PERMISSION_DENIED
    # a helper share sealed to the county by mistake: the county can open it, and refuses it
    helper_share = share_rows.of_release(delivered.db, "2025-H1", 1)[1].signed
    assert refused(county, sealed_to(county, helper_share)) == CODE.PERMISSION_DENIED
    # sealed to the other party's key, it cannot even be opened there
    assert refused(county, sealed_to(helper, helper_share)) == CODE.INVALID_ARGUMENT


def test_non_canonical_share_bytes_are_refused(parties, delivered):
    county, _ = parties
    key = county.keys[OTHER]
    honest = share_bytes(to=county)
    cases = [
        sign_body(SHARE_CONTEXT, honest + b"\xa2\x06\x02hi", key),  # unknown field 100, signed
        sign_body(SHARE_CONTEXT, honest, key) + b"\x22\x01x",  # unsigned field 4 of the envelope
    ]
    envelope = Signed.FromString(sign_body(SHARE_CONTEXT, honest, key))
    raw = Signed(body=envelope.body, signature=envelope.signature).SerializeToString()
    cases.append(raw + b"\x1a\x20" + envelope.signer_key + b"\x1a\x20" + envelope.signer_key)
    for data in cases:
        assert refused(county, sealed_to(county, data)) == CODE.INVALID_ARGUMENT


def test_the_same_revision_with_other_bytes_is_already_exists(parties, delivered):
    county, _ = parties
    data = sign_body(SHARE_CONTEXT, share_bytes(to=county), county.keys[OTHER])
    county.leader.SubmitShare(sealed_to(county, data), timeout=10)
    again = sign_body(SHARE_CONTEXT, share_bytes(to=county, values=[8] * len(load().cells)),
                      county.keys[OTHER])
    assert refused(county, sealed_to(county, again)) == CODE.ALREADY_EXISTS


# --- the helper's enrolment: from enrolled leaders, of their own schools, never directly

def test_the_helper_enrols_no_school_itself(parties):
    _, helper = parties
    store = store_of(helper)
    try:
        with pytest.raises(EnrolmentError, match="helper enrols no school"):
            enrol(store, helper.settings, school_identity(STRANGER, "610102", SigningKey.generate()))
    finally:
        store.close()


def test_an_enrolment_from_an_unknown_leader_or_an_old_one_is_refused(parties, tmp_path):
    county, helper = parties
    before = dump(helper.db)
    stranger = Aggregator(tmp_path, "610103", "county", "610000")
    store = store_of(stranger)
    own_identity.set_helper(store, stranger.settings, helper.identity())
    store.close()
    with pytest.raises(SubmitRefused) as info:
        tell_helper(stranger)
    assert info.value.code == CODE.UNAUTHENTICATED
    with pytest.raises(SubmitRefused) as info:
        tell_helper(county, datetime(2025, 1, 1, tzinfo=UTC))
    assert info.value.code == CODE.FAILED_PRECONDITION
    assert dump(helper.db) == before


# --- each party's bundle: its shares and (the helper) the enrolments it learnt schools from

def test_each_partys_bundle_holds_its_shares_and_still_verifies(parties, delivered, tmp_path):
    county, helper = parties
    for party in (county, helper):
        store = store_of(party)
        try:
            done = export_bundle(store, party.settings, H1, tmp_path / party.db.stem)
            held = {s.log_index: s.signed for s in store.period_shares("2025-H1")}
        finally:
            store.close()
        bundle = read_bundle(done.path)
        assert done.shares == len(held) > 0
        assert {i: p.read_bytes() for i, p in bundle.shares.items()} == held
        assert all(e.inclusion_proof is not None for e in bundle.log if e.kind == "share")
        verdict = verify([done.path])
        assert verdict.ok, render_text(verdict)
    assert bundle.aggregator.role == "helper" and list(bundle.enrolments) == ["610102"]
    enrolment = verify_enrolment(bundle.enrolments["610102"].read_bytes())[0]
    assert SCHOOL in {e.member_id for e in enrolment.enrolled}


def test_a_leader_takes_shares_only_of_catalogues_it_accepts(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    key = SigningKey.generate()
    county.enrol(school_identity(OTHER, "610102", key))
    county.start(catalogues=CataloguePolicy(("v1",), {"v1": date(2025, 1, 1)}))  # v1 ended
    try:
        county.leader = AggregatorStub(grpc.insecure_channel(county.running.address))
        data = sign_body(SHARE_CONTEXT, share_bytes(to=county), key)
        assert refused(county, sealed_to(county, data)) == CODE.FAILED_PRECONDITION
    finally:
        county.stop()


def test_the_helper_role_is_only_a_provinces_without_a_parent(tmp_path):
    for level, region, parent in (("county", "610102", "610000"), ("province", "610000", "610000"),
                                  ("city", "610100", None)):
        with pytest.raises(own_identity.ConfigError):
            own_identity.init(tmp_path / f"{region}-{level}.db", level, region, parent, "helper")
    with pytest.raises(own_identity.ConfigError):
        own_identity.init(tmp_path / "x.db", "province", "610000", None, "assistant")
    made = own_identity.init(tmp_path / "h.db", "province", "610000", None, "helper")
    assert made.helper and made.origin == "guanai/helper/610000"
    assert made.identity("h:1").role == "helper"


def test_after_the_lock_the_leader_takes_a_share_only_as_it_would_the_report(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000", open_2025=False)  # 2025 locked
    key = SigningKey.generate()
    county.enrol(school_identity(OTHER, "610102", key))
    county.start()
    try:
        county.leader = AggregatorStub(grpc.insecure_channel(county.running.address))
        data = sign_body(SHARE_CONTEXT, share_bytes(to=county), key)
        assert refused(county, sealed_to(county, data)) == CODE.FAILED_PRECONDITION
    finally:
        county.stop()
