"""A key revoked at its county gets nothing from the province (issue 16, left open in stop 18).

The county's rollup carries its signed enrolment (protos/report.proto ``Enrolled``) with every
revocation and its time; the province keeps them for good, answers a revoked key's query
credential UNAUTHENTICATED from then on, refuses a later rollup that takes a revocation back,
one that names a report made under a revoked key, and a report made under it that another
county forwards. A real county and province on loopback; each refusal leaves every row of the
province's SQLite file and its log as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.intake.enrolment import revoke
from aggregator.rollup.build import send_rollup
from aggregator.store.sqlite import Store
from privacy import credential
from privacy.memberauth import sign_request
from protos.aggregator_pb2 import Submission
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.deadlines import to_ms
from protos.members_pb2 import MemberRequest
from protos.members_pb2_grpc import MembersStub
from protos.periods import Period
from protos.query_pb2 import FiguresRequest
from protos.query_pb2_grpc import QueryStub
from protos.report_pb2 import Enrolled, Report, Revoked
from tests.federation import (
    Aggregator,
    aggregator_cli,
    dump,
    log_size,
    make_report,
    roll_up,
    school_identity,
    sealed,
    signed_off,
    tampered_rollup,
    two_counties,
)

H1 = Period.parse("2025-H1")
SCHOOL, OTHER = "2161010001", "2161010002"
CODE = grpc.StatusCode


@pytest.fixture
def federation(tmp_path):
    """County 610102 with two schools that sent 2025-H1 and a rollup of them held by the
    province; a second county 610103 enrolled at the province."""
    province, county, other = two_counties(tmp_path)
    county.keys = {SCHOOL: SigningKey.generate(), OTHER: SigningKey.generate()}
    for school, key in county.keys.items():
        county.enrol(school_identity(school, "610102", key))
        with grpc.insecure_channel(county.running.address) as channel:
            AggregatorStub(channel).Submit(sealed(make_report(school), key, county), timeout=10)
    roll_up(county, province)
    yield province, county, other
    for aggregator in (county, other, province):
        aggregator.stop()


def ask(aggregator: Aggregator, key: SigningKey, school: str = SCHOOL) -> None:
    """The school's own figures at ``aggregator``, asked with a credential signed by ``key``."""
    token = credential.issue(key, school, "school", school, "资助办 aid office", timedelta(days=1))
    with grpc.insecure_channel(aggregator.running.address) as channel:
        QueryStub(channel).Figures(
            FiguresRequest(numerator=["acad.dropped_out"], periods=[H1.code]),
            metadata=[("guanai-credential-bin", token)], timeout=10)


def revoke_at_county(county: Aggregator, at: datetime) -> None:
    store = Store(county.db)
    try:
        revoke(store, SCHOOL, at=at)
    finally:
        store.close()


def refused(province: Aggregator, call) -> grpc.RpcError:  # noqa: ANN001
    """Run ``call``: it must fail and leave every row and the log of the province unchanged."""
    size, before = log_size(province), dump(province.db)
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert (dump(province.db), log_size(province)) == (before, size)
    return info.value


def hand_rollup(county: Aggregator, province: Aggregator, edit) -> Submission:  # noqa: ANN001
    """The county's rollup as it stands, as a next revision changed by ``edit(report)``,
    validly signed by the county: a dishonest county."""
    def change(report: Report, members: list[bytes]) -> list[bytes]:
        report.revision += 1
        edit(report)
        return members

    return tampered_rollup(county, province, change)


def submit(aggregator: Aggregator, submission: Submission) -> None:
    with grpc.insecure_channel(aggregator.running.address) as channel:
        AggregatorStub(channel).Submit(submission, timeout=10)


def entry(report: Report, member: str):  # noqa: ANN201
    return next(e for e in report.enrolled if e.member_id == member)


def test_a_key_revoked_at_the_county_gets_nothing_from_the_province_from_the_next_rollup(
        federation):
    province, county, _ = federation
    key = county.keys[SCHOOL]
    ask(province, key)  # the province trusts the key that signed the forwarded report
    at = (datetime.now(UTC) - timedelta(seconds=1)).replace(microsecond=0)  # kept to the second
    revoke_at_county(county, at)
    with pytest.raises(grpc.RpcError) as info:
        ask(county, key)
    assert info.value.code() == CODE.UNAUTHENTICATED
    rollup = roll_up(county, province)  # the revocation changed the enrolment: revision 2
    assert rollup.revision == 2
    assert list(entry(rollup, SCHOOL).revoked) == [
        Revoked(signing_key=bytes(key.verify_key), revoked_unix_ms=to_ms(at))]
    assert not entry(rollup, OTHER).revoked
    error = refused(province, lambda: ask(province, key))
    assert error.code() == CODE.UNAUTHENTICATED
    assert "凭据不被信任" in error.details()
    ask(province, county.keys[OTHER], OTHER)  # the other school is still answered
    [row] = dump(province.db)["revoked_below"]
    assert row[:4] == (SCHOOL, bytes(key.verify_key), to_ms(at), "610102")


def test_a_key_revoked_from_a_later_time_is_answered_until_then(federation):
    province, county, _ = federation
    revoke_at_county(county, datetime.now(UTC) + timedelta(days=30))
    roll_up(county, province)
    ask(province, county.keys[SCHOOL])


def test_a_rollup_that_takes_a_revocation_back_is_refused(federation):
    province, county, _ = federation
    revoke_at_county(county, datetime.now(UTC) - timedelta(seconds=1))
    roll_up(county, province)

    def forget(report: Report) -> None:
        del entry(report, SCHOOL).revoked[:]

    def postpone(report: Report) -> None:
        entry(report, SCHOOL).revoked[0].revoked_unix_ms += 1

    for edit in (forget, postpone):
        error = refused(province, lambda edit=edit: submit(province,
                                                           hand_rollup(county, province, edit)))
        assert error.code() == CODE.PERMISSION_DENIED
        assert f"lists member {SCHOOL} without the revocation of key" in error.details()
        assert "a revocation is never taken back" in error.details()
    with pytest.raises(grpc.RpcError):
        ask(province, county.keys[SCHOOL])


def test_a_rollup_naming_a_report_made_after_its_keys_revocation_is_refused(federation):
    """The county lists the revocation but sums a report made under the key after it."""
    province, county, _ = federation
    key = county.keys[SCHOOL]

    def revoked_before_the_report(report: Report) -> None:
        entry(report, SCHOOL).revoked.append(Revoked(
            signing_key=bytes(key.verify_key),
            revoked_unix_ms=make_report().created_unix_ms))

    error = refused(province, lambda: submit(province, hand_rollup(
        county, province, revoked_before_the_report)))
    assert error.code() == CODE.PERMISSION_DENIED
    assert f"member {SCHOOL} its report was made under a key 610102 revoked at " \
           "2025-06-15T15:06:40.000+00:00, at or after the revocation" in error.details()
    ask(province, key)  # nothing was learnt from the refused rollup


BAD_REVOCATIONS = {
    "of a key not enrolled for the member": lambda key: [Revoked(
        signing_key=bytes(SigningKey.generate().verify_key), revoked_unix_ms=1)],
    "at time 0": lambda key: [Revoked(signing_key=key, revoked_unix_ms=0)],
    "in the year 3001": lambda key: [Revoked(signing_key=key, revoked_unix_ms=2**53)],
    "listed twice": lambda key: [Revoked(signing_key=key, revoked_unix_ms=1900000000000)] * 2,
}


@pytest.mark.parametrize("case", BAD_REVOCATIONS)
def test_a_malformed_revocation_is_invalid_argument(federation, case):
    province, county, _ = federation
    key = bytes(county.keys[SCHOOL].verify_key)

    def add(report: Report) -> None:
        entry(report, SCHOOL).revoked.extend(BAD_REVOCATIONS[case](key))

    error = refused(province, lambda: submit(province, hand_rollup(county, province, add)))
    assert error.code() == CODE.INVALID_ARGUMENT, error.details()
    assert f"member {SCHOOL}" in error.details()


def test_a_report_under_a_key_revoked_below_is_refused_whoever_forwards_it(federation):
    """The school moves to 610103 keeping the key 610102 revoked; 610102's enrolment no longer
    names it (as its next rollup would say); 610103's honest rollup of the school's report made
    after the revocation is refused: the province never forgets a revocation."""
    province, county, other = federation
    key = county.keys[SCHOOL]
    revoke_at_county(county, datetime.now(UTC) - timedelta(days=1))
    roll_up(county, province)
    store = Store(province.db)
    try:
        with store.transaction():
            store._run("DELETE FROM enrolled_below WHERE member_id = ?", [SCHOOL])
    finally:
        store.close()
    other.enrol(school_identity(SCHOOL, "610103", key))
    late = make_report(SCHOOL, region="610103", recipient="610103",
                       created_unix_ms=to_ms(datetime.now(UTC)))
    submit(other, sealed(late, key, other))  # 610103 itself was never told of the revocation
    store = Store(other.db)
    try:
        rollup = signed_off(store, other.settings, H1)
    finally:
        store.close()

    def send() -> None:
        store = Store(other.db)
        try:
            send_rollup(store, other.settings, province.identity(), rollup, attempts=1,
                        timeout=10)
        finally:
            store.close()

    size, before = log_size(province), dump(province.db)
    with pytest.raises(Exception, match="PERMISSION_DENIED") as info:
        send()
    assert "was made under key" in str(info.value) and "which 610102 revoked from" in str(
        info.value)
    assert (dump(province.db), log_size(province)) == (before, size)


# --- a notice at once, without waiting for the next rollup (Members.NoticeRevocations)

def notice(aggregator: Aggregator, sender: Aggregator, entries: list[Enrolled],
           method: str = "NoticeRevocations", key: SigningKey | None = None) -> None:
    """``sender``'s signed request listing ``entries``, sent to ``aggregator``'s Members."""
    request = MemberRequest(member_id=sender.settings.region,
                            aggregator_id=aggregator.settings.region,
                            unix_ms=to_ms(datetime.now(UTC)), revocations=entries)
    with grpc.insecure_channel(aggregator.running.address) as channel:
        getattr(MembersStub(channel), method)(
            sign_request(request, key or sender.settings.signing_key), timeout=10)


def revoked_entry(county: Aggregator, school: str = SCHOOL, at: int | None = None) -> Enrolled:
    key = bytes(county.keys[school].verify_key)
    return Enrolled(member_id=school, region="610102", signing_keys=[key], revoked=[
        Revoked(signing_key=key, revoked_unix_ms=at or to_ms(datetime.now(UTC)) - 1000)])


def test_a_notice_makes_the_province_refuse_the_key_at_once(federation):
    province, county, _ = federation
    key = county.keys[SCHOOL]
    at = (datetime.now(UTC) - timedelta(seconds=1)).replace(microsecond=0)
    revoke_at_county(county, at)
    ask(province, key)  # no rollup since: the province has not heard
    said = aggregator_cli(county.db, "notify-revocations")
    assert "已告知上级 the parent took the revoked keys of 1 member(s)" in said
    with pytest.raises(grpc.RpcError) as info:
        ask(province, key)
    assert info.value.code() == CODE.UNAUTHENTICATED
    ask(province, county.keys[OTHER], OTHER)
    [row] = dump(province.db)["revoked_below"]
    assert row[:4] == (SCHOOL, bytes(key.verify_key), to_ms(at), "610102")
    [decision] = [d for d in dump(province.db)["decisions"] if d[1] == "revoke_below"]
    assert f"notice, decision {decision[0]}" == row[4]
    shown = aggregator_cli(province.db, "decisions")
    assert "revoke_below" in shown and "成员签名请求 the member's signed request" in shown

    def forget(report: Report) -> None:  # the county's next rollup must say so too
        del entry(report, SCHOOL).revoked[:]

    error = refused(province, lambda: submit(province, hand_rollup(county, province, forget)))
    assert error.code() == CODE.PERMISSION_DENIED
    assert f"that its notice, decision {decision[0]} signed" in error.details()


def test_a_county_cannot_revoke_another_countys_school_at_the_province(federation):
    province, county, other = federation
    error = refused(province, lambda: notice(province, other, [revoked_entry(county)]))
    assert error.code() == CODE.PERMISSION_DENIED
    assert f"610103 gives a revocation for member {SCHOOL}, which is 由 610102 登记" \
        in error.details()
    ask(province, county.keys[SCHOOL])


def test_a_school_cannot_give_notice_of_revocations(federation):
    province, county, _ = federation
    university = SigningKey.generate()
    province.enrol(school_identity("4161000006", "610116", university))
    request = MemberRequest(member_id="4161000006", aggregator_id="610000",
                            unix_ms=to_ms(datetime.now(UTC)), revocations=[revoked_entry(county)])

    def send() -> None:
        with grpc.insecure_channel(province.running.address) as channel:
            MembersStub(channel).NoticeRevocations(sign_request(request, university), timeout=10)

    error = refused(province, send)
    assert error.code() == CODE.PERMISSION_DENIED
    assert "only an aggregator revokes keys of its members" in error.details()


BAD_NOTICES = {
    "a revocation of a key not listed": lambda county: [Enrolled(
        member_id=SCHOOL, region="610102", signing_keys=[bytes(county.keys[SCHOOL].verify_key)],
        revoked=[Revoked(signing_key=bytes(32), revoked_unix_ms=1900000000000)])],
    "a revocation in the year 3001": lambda county: [revoked_entry(county, at=2**53)],
    "no revocation at all": lambda county: [],
}


@pytest.mark.parametrize("case", BAD_NOTICES)
def test_a_malformed_notice_is_invalid_argument(federation, case):
    province, county, _ = federation
    error = refused(province, lambda: notice(province, county, BAD_NOTICES[case](county)))
    assert error.code() == CODE.INVALID_ARGUMENT, error.details()


@pytest.mark.parametrize("method", ["GetStatus", "RotateKey"])
def test_revocations_ride_only_in_a_notice(federation, method):
    province, county, _ = federation
    error = refused(province, lambda: notice(province, county, [revoked_entry(county)], method))
    assert error.code() == CODE.INVALID_ARGUMENT
    assert "revocations go in a NoticeRevocations request" in error.details()


def test_a_notice_of_a_school_no_rollup_named_yet_is_recorded_and_kept_for_nothing(federation):
    """The rollup that first names the school carries its revocations."""
    province, county, _ = federation
    county.keys["2161010005"] = SigningKey.generate()
    notice(province, county, [revoked_entry(county, "2161010005")])
    assert dump(province.db)["revoked_below"] == []
    assert [d[1] for d in dump(province.db)["decisions"]] == ["revoke_below"]
