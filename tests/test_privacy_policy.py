"""The federation's privacy policy: configured at the aggregator, told to its members, obeyed
by a node's release and enforced on what arrives (DESIGN §4 invariant 10; issue 16 item 3).

Real gRPC on loopback, real SQLite files, real OpenDP releases of a real school store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest

from aggregator.intake.privacy_policy import release_rho
from node import upstream
from node.membership import ensure_key, import_parent, own_identity, signing_key
from node.release import release_period
from privacy.budget import BudgetPolicy
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.periods import Period
from protos.report_pb2 import Report
from tests.conftest import School
from tests.federation import Aggregator, sealed

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
