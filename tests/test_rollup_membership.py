"""A county may roll up only schools it enrolled, in its own region, each once (issue 16, item 5).

A dishonest county signs a rollup that sums a school of another county, a school it never
enrolled, or one school twice, with the sums made to fit. The province refuses each with the
documented status and stores nothing; the honest rollup carries the county's enrolment, signed
with it, and is accepted.
"""

from __future__ import annotations

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.store.sqlite import Store
from privacy.envelope import parse_signed, sign_report
from privacy.receipt import report_sha256
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.periods import Period
from protos.report_pb2 import Enrolled, Member, Report
from tests.federation import (
    Aggregator,
    dump,
    make_report,
    school_identity,
    sealed,
    tampered_rollup,
    two_counties,
)

H1 = Period.parse("2025-H1")
SCHOOL, OTHER_COUNTY_SCHOOL = "2161010001", "2161030004"


@pytest.fixture
def counties(tmp_path):
    """County 610102 with one school that has sent revisions 1 and 2; county 610103 with one."""
    province, county, other = two_counties(tmp_path)
    keys = {SCHOOL: SigningKey.generate(), OTHER_COUNTY_SCHOOL: SigningKey.generate()}
    county.enrol(school_identity(SCHOOL, "610102", keys[SCHOOL]))
    other.enrol(school_identity(OTHER_COUNTY_SCHOOL, "610103", keys[OTHER_COUNTY_SCHOOL]))
    with grpc.insecure_channel(county.running.address) as channel:
        for revision in (1, 2):
            report = make_report(SCHOOL, revision=revision, base=revision)
            AggregatorStub(channel).Submit(sealed(report, keys[SCHOOL], county), timeout=10)
    yield province, county, keys, other
    for aggregator in (county, other, province):
        aggregator.stop()


def _submit_rollup(county: Aggregator, province: Aggregator, extra: list[tuple[bytes, int]],
                   enrolled: list[Enrolled] = (), missing: list[str] = ()
                   ) -> tuple[grpc.StatusCode | None, str]:
    """The county's rollup with ``extra`` SignedReports summed in (each at a made-up leaf) and
    ``enrolled`` added to its enrolment (``missing`` to its missing list), validly signed; the
    province's status and message."""
    def smuggle(report: Report, members: list[bytes]) -> list[bytes]:
        for signed, leaf in extra:
            envelope, member = parse_signed(signed)
            report.members.append(Member(sender_id=member.sender_id, revision=member.revision,
                                         report_sha256=report_sha256(envelope.report),
                                         log_index=leaf))
            for i, (value, variance) in enumerate(zip(member.values, member.noise_variance,
                                                      strict=True)):
                report.values[i] += value
                report.noise_variance[i] += variance
            members.append(signed)
        report.enrolled.extend(enrolled)
        report.missing.extend(missing)
        return members

    request = tampered_rollup(county, province, smuggle)
    with grpc.insecure_channel(province.running.address) as channel:
        try:
            AggregatorStub(channel).Submit(request, timeout=10)
        except grpc.RpcError as error:
            return error.code(), error.details()
    return None, ""


def _signed(report: Report, key: SigningKey) -> bytes:
    return sign_report(report.SerializeToString(), key)


def test_the_honest_rollup_carries_the_countys_signed_enrolment_and_is_accepted(counties):
    province, county, keys, _ = counties
    assert _submit_rollup(county, province, []) == (None, "")
    store = Store(province.db)
    try:
        [held] = store.latest_submissions(H1.code)
    finally:
        store.close()
    rollup = parse_signed(held.signed)[1]
    [school] = rollup.enrolled
    assert (school.member_id, school.region) == (SCHOOL, "610102")
    assert list(school.signing_keys) == [bytes(keys[SCHOOL].verify_key)]
    assert [(m.sender_id, m.revision) for m in rollup.members] == [(SCHOOL, 2)]


# (what the county adds: a school, its region, and the enrolment it claims for it — None: no
# claim; "own": the key that signed the report; "other": another key)
SMUGGLED = {
    "a school of another county": (OTHER_COUNTY_SCHOOL, "610103", None),
    "a school of another county, claimed enrolled": (OTHER_COUNTY_SCHOOL, "610103", "own"),
    "a school the county never enrolled": ("2161010009", "610102", None),
    "a report signed by a key not enrolled for the school": ("2161010009", "610102", "other"),
}


@pytest.mark.parametrize("case", SMUGGLED)
def test_a_school_the_county_may_not_sum_is_refused_and_nothing_is_stored(counties, case):
    province, county, *_ = counties
    school, region, claim = SMUGGLED[case]
    key, other = SigningKey.generate(), SigningKey.generate()
    report = make_report(school, region=region, recipient="610102")
    enrolled = [] if claim is None else [Enrolled(
        member_id=school, region=region,
        signing_keys=[bytes((key if claim == "own" else other).verify_key)])]
    before = dump(province.db)
    code, details = _submit_rollup(county, province, [(_signed(report, key), 90)], enrolled)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert f"member {school}" in details and "610102" in details
    assert dump(province.db) == before
    assert _submit_rollup(county, province, [])[0] is None  # and it still serves


def test_the_same_school_named_twice_with_its_sums_doubled_is_refused(counties):
    province, county, *_ = counties
    first = make_report(SCHOOL, revision=1, base=1)  # the bytes the school sent as revision 1
    store = Store(county.db)
    try:
        held = store.submission(SCHOOL, H1.code, 1)
    finally:
        store.close()
    assert parse_signed(held.signed)[1] == first
    before = dump(province.db)
    code, details = _submit_rollup(county, province, [(held.signed, held.log_index)])
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert f"member {SCHOOL} is named 2 times" in details
    assert dump(province.db) == before


def test_a_school_another_county_enrolled_is_refused_though_claimed_in_the_countys_region(
        counties):
    """County 610102 signs for 610103's school as its own, with a key it made up."""
    province, county, keys, other = counties
    with grpc.insecure_channel(other.running.address) as channel:
        report = make_report(OTHER_COUNTY_SCHOOL, region="610103", recipient="610103")
        AggregatorStub(channel).Submit(sealed(report, keys[OTHER_COUNTY_SCHOOL], other),
                                       timeout=10)
    assert _submit_rollup(other, province, []) == (None, "")
    made_up = SigningKey.generate()
    claimed = make_report(OTHER_COUNTY_SCHOOL, region="610102", recipient="610102")
    before = dump(province.db)
    code, details = _submit_rollup(county, province, [(_signed(claimed, made_up), 90)], [
        Enrolled(member_id=OTHER_COUNTY_SCHOOL, region="610102",
                 signing_keys=[bytes(made_up.verify_key)])])
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert f"claims member {OTHER_COUNTY_SCHOOL}, which is 由 610103 登记 enrolled by 610103" \
        in details
    assert dump(province.db) == before


def test_a_school_enrolled_at_the_province_itself_is_refused_in_a_countys_rollup(counties):
    province, county, *_ = counties
    university = SigningKey.generate()
    province.enrol(school_identity("4161000006", "610116", university))
    before = dump(province.db)
    code, details = _submit_rollup(county, province, [], [
        Enrolled(member_id="4161000006", region="610102",
                 signing_keys=[bytes(university.verify_key)])], ["4161000006"])
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "claims member 4161000006, which is 此处直接登记 enrolled here directly" in details
    assert dump(province.db) == before
