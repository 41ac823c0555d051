"""Rollups: three levels deep, and a parent refuses one that is not the exact sum it claims."""

from __future__ import annotations

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.rollup.build import make_rollup, rollup_report
from aggregator.store.sqlite import Store
from member.client import Backoff
from privacy.envelope import sign_report
from privacy.receipt import verify_receipt
from protos.aggregator_pb2 import ReceiptBody
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.periods import Period
from tests.federation import (
    Aggregator,
    dump,
    make_report,
    roll_up,
    school_identity,
    sealed,
    tampered_rollup,
)

H1 = Period.parse("2025-H1")
FAST = dict(attempts=3, backoff=Backoff(initial=0.05, maximum=0.1), timeout=10)
SCHOOLS = {"2161010001": 3, "3161010002": 11}


@pytest.fixture
def chain(tmp_path):
    """Schools → county 610102 → city 610100 → province 610000, all running."""
    province = Aggregator(tmp_path, "610000", "province")
    city = Aggregator(tmp_path, "610100", "city", "610000")
    county = Aggregator(tmp_path, "610102", "county", "610100")
    for aggregator in (province, city, county):
        aggregator.start()
    city.set_parent(province)
    county.set_parent(city)
    province.enrol(city.identity())
    city.enrol(county.identity())
    reports = []
    with grpc.insecure_channel(county.running.address) as channel:
        for school_id, base in SCHOOLS.items():
            key = SigningKey.generate()
            county.enrol(school_identity(school_id, "610102", key))
            report = make_report(school_id, base=base)
            AggregatorStub(channel).Submit(sealed(report, key, county), timeout=10)
            reports.append(report)
    yield province, city, county, reports
    for aggregator in (county, city, province):
        aggregator.stop()


def test_three_levels_sum_exactly_and_the_province_holds_every_school(chain):
    province, city, county, reports = chain
    roll_up(county, city)
    roll_up(city, province)
    store = Store(province.db)
    try:
        total = rollup_report(make_rollup(store, province.settings, H1)[0])
        [city_submission] = store.latest_submissions(H1.code)
        forwarded = sorted(f.sender_id for f in store.forwarded(city_submission.log_index))
    finally:
        store.close()
    assert list(total.values) == [sum(c) for c in zip(*(r.values for r in reports), strict=True)]
    assert forwarded == sorted(["610102", *SCHOOLS])


def _inflated(report, members):  # noqa: ANN001, ANN202
    report.values[5] += 1
    return members


def _variance_halved(report, members):  # noqa: ANN001, ANN202
    noisy = next(i for i, v in enumerate(report.noise_variance) if v > 0)
    report.noise_variance[noisy] /= 2
    return members


def _member_left_out(report, members):  # noqa: ANN001, ANN202
    return members[:1]


def _member_added(report, members):  # noqa: ANN001, ANN202
    extra = make_report("2161010003")
    return [*members, sign_report(extra.SerializeToString(), SigningKey.generate())]


@pytest.mark.parametrize("change", [_inflated, _variance_halved, _member_left_out, _member_added])
def test_a_rollup_that_is_not_the_sum_of_what_it_names_is_refused(chain, change):
    _, city, county, _ = chain
    request = tampered_rollup(county, city, change)
    before = dump(city.db)
    with grpc.insecure_channel(city.running.address) as channel:
        with pytest.raises(grpc.RpcError) as info:
            AggregatorStub(channel).Submit(request, timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dump(city.db) == before


def test_the_rollup_itself_is_accepted_unchanged(chain):
    # The control for the tampered cases above: the same path, untouched, is accepted, logged
    # and receipted, so their refusals come from the change and nothing else.
    _, city, county, _ = chain
    request = tampered_rollup(county, city, lambda report, members: members)
    with grpc.insecure_channel(city.running.address) as channel:
        receipt = AggregatorStub(channel).Submit(request, timeout=10)
    store = Store(city.db)
    try:
        body = ReceiptBody.FromString(receipt.body)
        held = store.submission_at(body.log_index)
        assert (held.sender_id, held.kind, held.period) == (county.settings.region, "rollup",
                                                             H1.code)
        assert verify_receipt(receipt, held.signed, city.identity().keys.signing) == body
    finally:
        store.close()
