"""The federation's privacy policy: configured at the aggregator, told to its members, obeyed
by a node's release and enforced on what arrives (DESIGN §4 invariant 10; issue 16 item 3).

Real gRPC on loopback, real SQLite files, real OpenDP releases of a real school store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.intake.privacy_policy import release_rho
from aggregator.rollup.build import send_rollup
from aggregator.store.sqlite import Store
from member.client import SubmitRefused
from node import upstream
from node.membership import ensure_key, import_parent, own_identity, signing_key
from node.release import release_period
from privacy.budget import BudgetPolicy
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.periods import Period
from protos.report_pb2 import Report
from tests.conftest import School
from tests.federation import Aggregator, dump, make_report, school_identity, sealed, signed_off

H1 = Period.parse("2025-H1")
FEDERATION = BudgetPolicy(rho_half_year=0.3, rho_annual=0.2, annual_cap=0.6)


@pytest.fixture
def county_and_school(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    county.start(budget=FEDERATION)
    school = School(tmp_path / "school.db")
    for _ in range(5):
        school.student("primary", ["poverty"])
    ensure_key(school.path)
    county.enrol(own_identity(school.db, school.path))
    import_parent(school.db, county.identity())
    yield county, school
    county.stop()


def send(county: Aggregator, school: School, report_bytes: bytes) -> None:
    report = Report.FromString(report_bytes)
    with grpc.insecure_channel(county.running.address) as channel:
        AggregatorStub(channel).Submit(sealed(report, signing_key(school.path), county),
                                       timeout=10)


def test_a_node_that_heard_its_parent_releases_within_the_federations_policy(county_and_school):
    county, school = county_and_school
    assert upstream.parent_policy(school.db) is None
    upstream.refresh(school.db, school.path, datetime.now(UTC))
    assert upstream.parent_policy(school.db) == BudgetPolicy(0.3, 0.2, 0.6)
    own = BudgetPolicy()  # the node's configuration allows ρ = 0.5 a table, 2.0 a year
    first = release_period(school.db, H1, "610102", own, today=date(2025, 6, 20))
    report = first.report
    assert report.budget.rho == pytest.approx(0.3) and report.budget.rho_year_cap == 0.6
    assert release_rho(report) == pytest.approx(0.3, rel=1e-3)
    send(county, school, first.report_bytes)  # accepted
    second = release_period(school.db, H1, "610102", own, correction=True,
                            today=date(2025, 6, 20))
    send(county, school, second.report_bytes)  # 0.6 in the year: at the cap, accepted


def test_a_table_with_more_rho_than_the_policy_is_refused_saying_what_was_allowed(
        county_and_school):
    county, school = county_and_school
    release = release_period(school.db, H1, "610102", BudgetPolicy(), today=date(2025, 6, 20))
    assert release_rho(release.report) == pytest.approx(0.5, rel=1e-3)
    with pytest.raises(grpc.RpcError) as info:
        send(county, school, release.report_bytes)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "this federation allows ρ = 0.3 per table" in info.value.details()


def test_the_stricter_of_two_policies():
    node = BudgetPolicy(rho_half_year=0.5, rho_annual=0.1, annual_cap=2.0, delta=1e-7)
    assert node.within(None) == node
    assert node.within(FEDERATION) == BudgetPolicy(0.3, 0.1, 0.6, 1e-7)


def test_a_province_refuses_a_rollup_forwarding_a_table_with_too_little_noise(tmp_path):
    """A county configured more loosely than the federation (or dishonest) cannot pass a
    school table with too little noise upward: the province checks every forwarded table."""
    province = Aggregator(tmp_path, "610000", "province")
    province.start()  # the federation's policy: ρ = 0.5 a table
    county = Aggregator(tmp_path, "610102", "county", "610000")
    county.start(budget=BudgetPolicy(rho_half_year=1e9, rho_annual=1e9, annual_cap=1e12))
    try:
        county.set_parent(province)
        province.enrol(county.identity())
        key = SigningKey.generate()
        county.enrol(school_identity("2161010001", "610102", key))
        report = make_report()
        report.noise_variance[:] = [9.0 if v else 0.0 for v in report.noise_variance]
        for group in report.noise:
            group.scale = 3.0  # ρ ≈ 10^6
        with grpc.insecure_channel(county.running.address) as channel:
            AggregatorStub(channel).Submit(sealed(report, key, county), timeout=10)
        before = dump(province.db)
        store = Store(county.db)
        try:
            made = signed_off(store, county.settings, H1)  # waived: the noise is what is wrong
            with pytest.raises(SubmitRefused) as info:
                send_rollup(store, county.settings, province.identity(), made, attempts=1)
        finally:
            store.close()
        assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "噪声不足 too little noise: 2161010001" in info.value.details
        assert dump(province.db) == before
    finally:
        county.stop()
        province.stop()
