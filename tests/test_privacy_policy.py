"""The federation's privacy policy: configured at the aggregator, told to its members, obeyed
by a node's release and enforced on what arrives (DESIGN §4 invariant 10; issue 16 item 3).

Real gRPC on loopback, real SQLite files, real OpenDP releases of a real school store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.intake.privacy_policy import charged_rho, check_year, release_rho
from aggregator.rollup.build import send_rollup
from aggregator.store.sqlite import Store
from member.client import SubmitRefused
from node import upstream
from node.membership import ensure_key, import_parent, own_identity, signing_key
from node.release import release_period
from privacy.budget import BudgetPolicy
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.periods import Period
from protos.refusals import Kind, Refused
from protos.report_pb2 import NoiseGroup, Report
from tests.conftest import School
from tests.federation import (
    Aggregator,
    dump,
    honest_scales,
    make_report,
    school_identity,
    sealed,
    signed_off,
)

H1 = Period.parse("2025-H1")
# A school table of 0.3 and the levels' default 0.45 (county 0.3, city 0.05, province 0.1): a
# half-year revision costs 0.75, two reach the cap.
FEDERATION = BudgetPolicy(rho_half_year=0.3, rho_annual=0.2, annual_cap=1.5)


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
    assert upstream.parent_policy(school.db) == FEDERATION
    own = BudgetPolicy(rho_half_year=0.5)  # the node's configuration allows ρ = 0.5 a table
    first = release_period(school.db, H1, "610102", own, today=date(2025, 6, 20))
    report = first.report
    assert report.budget.rho == pytest.approx(0.75) and report.budget.rho_year_cap == 1.5
    assert release_rho(report) == pytest.approx(0.3, rel=1e-3)
    send(county, school, first.report_bytes)  # accepted
    second = release_period(school.db, H1, "610102", own, correction=True,
                            today=date(2025, 6, 20))
    send(county, school, second.report_bytes)  # 1.5 in the year: at the cap, accepted


def test_the_annual_cap_counts_every_level_published_from_each_revision():
    """Two revisions of 0.3 spend 0.6 in tables alone, but each also sends shares to the county,
    city and province figures (0.45): the third revision would take the year to 2.25."""
    held = [make_report(revision=r, noise=_noise(0.3)) for r in (1, 2)]
    assert [charged_rho(r, FEDERATION) for r in held] == pytest.approx([0.75, 0.75], rel=1e-3)
    check_year(held[1], held[:1], FEDERATION)  # 1.5: at the cap
    with pytest.raises(Refused) as info:
        check_year(make_report(revision=3, noise=_noise(0.3)), held, FEDERATION)
    assert info.value.kind == Kind.NOT_NOW
    assert "over the annual budget" in info.value.message
    assert "the figures published from them" in info.value.message
    no_levels = BudgetPolicy(0.3, 0.2, 1.5, rho_county=0, rho_city=0, rho_province=0)
    check_year(make_report(revision=3, noise=_noise(0.3)), held, no_levels)  # 0.9: within


def _noise(rho: float) -> list[NoiseGroup]:
    return [NoiseGroup(group=g, mechanism="discrete_gaussian", scale=s, l2_sensitivity=1.0,
                       rho=0.1) for g, s in honest_scales("2161010001", rho).items()]


def test_a_table_with_more_rho_than_the_policy_is_refused_saying_what_was_allowed(
        county_and_school):
    county, school = county_and_school
    release = release_period(school.db, H1, "610102", BudgetPolicy(rho_half_year=0.5),
                             today=date(2025, 6, 20))
    assert release_rho(release.report) == pytest.approx(0.5, rel=1e-3)
    with pytest.raises(grpc.RpcError) as info:
        send(county, school, release.report_bytes)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "this federation allows ρ = 0.3 per table" in info.value.details()


def test_the_stricter_of_two_policies():
    node = BudgetPolicy(rho_half_year=0.5, rho_annual=0.1, annual_cap=2.0, delta=1e-7)
    assert node.within(None) == node
    assert node.within(FEDERATION) == BudgetPolicy(0.3, 0.1, 1.5, 1e-7)
    # The levels are the federation's, whatever the node's file says: the aggregators spend them.
    quiet = BudgetPolicy(rho_county=0.0, rho_city=0.0, rho_province=0.0)
    assert quiet.within(FEDERATION).levels_for(H1) == FEDERATION.levels_for(H1)


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
