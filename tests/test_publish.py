"""Publishing a county's figure from the schools' shares, with the province's helper (issue 15,
DESIGN §8): real school nodes deliver both shares, a real county (the leader) and a real helper
serve on loopback, the county names the set, both add OpenDP noise for the county's ρ and the
published figure lands in the county's figures store, where queries read it.

Then the hostile named sets, each refused by the helper with its precise status and nothing
stored there. Real OpenDP noise, never seeded: every statistical bound below is one an honest
run exceeds far less than once in 10^6 (stated beside each).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.figures import cube
from aggregator.figures.holdings import Holdings
from aggregator.keys import own_identity
from aggregator.log.export import export_bundle
from aggregator.rollup.build import send_rollup
from aggregator.rollup.helper import send_enrolment
from aggregator.rollup.publish import PublishError, check_answer, gather, publish
from aggregator.store.sqlite import Store
from inspector.verify import verify
from node.membership import ensure_key, import_helper, import_parent
from node.membership import own_identity as school_own
from node.release import latest_release, release_period
from node.submit import submit
from privacy import dp, partials
from privacy.budget import BudgetPolicy
from privacy.envelope import parse_signed
from protos.catalogue import load
from protos.partial_pb2 import NamedSet, SetMember
from protos.periods import Period
from protos.share_pb2 import Party
from tests import test_secure_aggregation_intake as intake
from tests.conftest import School
from tests.federation import Aggregator, aggregator_cli, dump, signed_off

FAST, sealed_to = intake.FAST, intake.sealed_to
parties = intake.parties  # the fixture: a county (leader) and the helper, serving
H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
NOW = datetime(2025, 7, 10, tzinfo=UTC)
CODE = grpc.StatusCode
POLICY = BudgetPolicy()
CATALOGUE = load()
SCHOOLS = ("2161010001", "3161010002", "3461010003")


@pytest.fixture(scope="module")
def published(parties, tmp_path_factory):
    """Three schools of county 610102 deliver both shares; the county publishes with the helper
    (the leader and helper of the shares' intake tests)."""
    county, helper = parties
    folder = tmp_path_factory.mktemp("publish")
    schools = []
    for n, school_id in enumerate(SCHOOLS):
        school = School(folder / f"{school_id}.db", school_id=school_id)
        for i in range(8 + 3 * n):
            school.student("primary" if school_id[:2] == "21" else "junior",
                           ["poverty"] if i % 3 else ["orphan"])
        ensure_key(school.path)
        county.enrol(school_own(school.db, school.path))
        schools.append(school)
    store = Store(county.db)
    send_enrolment(store, county.settings, datetime.now(UTC), timeout=10, attempts=3)
    store.close()
    for school in schools:
        import_parent(school.db, county.identity())
        import_helper(school.db, helper.identity())
        release_period(school.db, H1, "610102", today=DAY)
        submit(school.db, school.path, H1, **FAST)
    store = Store(county.db)
    try:
        publication = publish(store, county.settings, "2025-H1", NOW, POLICY, timeout=10)
    finally:
        store.close()
    return county, helper, schools, publication


def truth(schools: list[School]) -> list[int]:
    tables = [latest_release(s.db, H1).true_values for s in schools]
    return [sum(t[c.id] for t in tables) for c in CATALOGUE.cells]


def test_the_published_county_figure_is_the_true_sum_within_both_parties_noise(published):
    county, helper, schools, publication = published
    named, _body, _signer = partials.open_named_set(publication.named_set)
    assert [m.school_id for m in named.members] == list(SCHOOLS)
    stages = partials.set_stages(m.school_id for m in named.members)
    plan = dp.noise_plan(CATALOGUE, POLICY.rho_level("county"), stages)
    store = Store(county.db)
    try:
        held = Holdings(store, county.settings, H1)
        figures = held.figures("610102")
        assert cube.check(store) == []  # the figures store is what a rebuild makes
    finally:
        store.close()
    exact = truth(schools)
    assert sum(exact) > 0
    for cell in CATALOGUE.cells:
        value, variance = figures.values[cell.id], figures.variances[cell.id]
        if cell.group in plan and cell.stages & stages:
            scale = plan[cell.group].scale
            assert variance == pytest.approx(2 * scale**2)
            # each party's draw stays within its 10^-9 bound: the sum within twice that
            assert abs(value - exact[cell.index]) < 2 * dp.largest_plausible(scale, 1)
        else:
            assert (value, variance) == (exact[cell.index], 0)
    assert figures.schools == 3
    assert figures.missing == 1  # 2161010002 is enrolled at the county and sent no shares


def test_each_party_partial_is_the_sum_of_its_logged_shares_and_its_noise_is_plausible(published):
    county, helper, schools, publication = published
    named, _body, _signer = partials.open_named_set(publication.named_set)
    stages = partials.set_stages(m.school_id for m in named.members)
    for party, noisy in ((county, publication.noisy), (helper, publication.other_noisy)):
        store = Store(party.db)
        try:
            ids = [m.school_id for m in named.members]
            shares = store.shares_of("2025-H1", ids)
            mine = store.publication("2025-H1", "610102")
        finally:
            store.close()
        partial = partials.open_partial(mine.partial)[0]
        partials.check_sum(partial.values, [shares[i].values for i in ids], "partial")
        partials.check_noise(CATALOGUE, partials.open_noisy_partial(noisy)[0], partial.values,
                             POLICY.rho_level("county"), stages, "party")
    assert partials.open_noisy_partial(publication.other_noisy)[0].party == Party.HELPER


def test_publishing_again_gives_the_same_figure_and_asks_for_no_fresh_noise(published):
    county, helper, schools, publication = published
    before = dump(helper.db)
    store = Store(county.db)
    try:
        assert publish(store, county.settings, "2025-H1", NOW, POLICY, timeout=10) == publication
    finally:
        store.close()
    shown = aggregator_cli(county.db, "publish", "--period", "2025-H1", "--attempts", "1")
    assert "已发布 published" in shown and "from 3 schools' shares, ρ = 0.3" in shown
    # the same set sent to the helper again: the stored answer, byte for byte
    again = helper.stub.Publish(sealed_to(helper, publication.named_set), timeout=10)
    assert again.SerializeToString() == publication.other_noisy
    assert dump(helper.db) == before


# --- hostile named sets at the helper: the precise status, nothing stored

def a_set(county: Aggregator, members: list[SetMember], region: str = "610102",
          key: SigningKey | None = None) -> bytes:
    named = NamedSet(level="county", region=region, period="2025-H2", catalogue_version="v1",
                     members=members, created_unix_ms=1)
    return partials.sign(partials.NAMED_SET_CONTEXT, named, key or county.settings.signing_key)


def refused(helper: Aggregator, signed_set: bytes) -> tuple[CODE, str]:
    before = dump(helper.db)
    with pytest.raises(grpc.RpcError) as info:
        helper.stub.Publish(sealed_to(helper, signed_set), timeout=10)
    assert dump(helper.db) == before
    return info.value.code(), info.value.details()


def members_of(publication) -> list[SetMember]:  # noqa: ANN001
    return list(partials.open_named_set(publication.named_set)[0].members)


def test_a_set_naming_a_share_the_helper_lacks_is_refused(published):
    county, helper, schools, publication = published
    code, details = refused(helper, a_set(county, members_of(publication)))  # 2025-H2: none held
    assert code == CODE.FAILED_PRECONDITION and "does not hold" in details
    # a school outside the county named in a set of a period not yet published
    members = members_of(publication)
    members.insert(0, SetMember(school_id="2161010000", revision=1, leader_leaf=bytes(32),
                                helper_leaf=bytes(32)))
    code, details = refused(helper, a_set(county, members))
    assert code == CODE.FAILED_PRECONDITION and "2161010000" in details


def test_a_second_set_for_a_published_level_and_a_set_by_a_stranger_are_refused(published):
    county, helper, schools, publication = published
    named = NamedSet.FromString(partials.open_named_set(publication.named_set)[1])
    del named.members[0]  # the same county and period without one school: a differencing attack
    signed = partials.sign(partials.NAMED_SET_CONTEXT, named, county.settings.signing_key)
    code, details = refused(helper, signed)
    assert code == CODE.ALREADY_EXISTS and "published with another set" in details
    code, _ = refused(helper, a_set(county, members_of(publication), key=SigningKey.generate()))
    assert code == CODE.UNAUTHENTICATED
    code, _ = refused(helper, a_set(county, members_of(publication), region="610103"))
    assert code == CODE.UNAUTHENTICATED  # 610103 is not enrolled at the helper
    code, _ = refused(helper, a_set(county, members_of(publication)[::-1]))
    assert code == CODE.INVALID_ARGUMENT  # not ascending


def test_the_leader_refuses_a_helper_answer_with_too_little_noise_or_another_key(published):
    county, helper, schools, publication = published
    noisy = partials.open_noisy_partial(publication.other_noisy)[0]
    noisy.noise[0].scale /= 2
    thin = partials.sign(partials.NOISY_PARTIAL_CONTEXT, noisy, helper.settings.signing_key)
    key = helper.identity().keys.signing
    with pytest.raises(PublishError, match="too little noise"):
        check_answer(publication, thin, key, POLICY)
    with pytest.raises(PublishError, match="not signed by the helper"):
        check_answer(publication, publication.other_noisy, bytes(32), POLICY)
    check_answer(publication, publication.other_noisy, key, POLICY)


def test_a_county_with_no_school_holding_both_shares_has_nothing_to_name(published):
    county, helper, schools, publication = published
    store = Store(county.db)
    try:
        with pytest.raises(PublishError, match="no school of 610102 has both shares"):
            gather(store, county.settings, "2025-H2", NOW, timeout=10)
    finally:
        store.close()


def test_the_province_publishes_from_its_counties_partials_carried_in_their_rollups(
        published, tmp_path):
    """The county's rollup carries its signed set and leader partial; the province sums the
    partials (never a share), names the union of the sets, and publishes with the helper at the
    province's ρ: the true sum of the three schools within both parties' noise."""
    county, helper, schools, publication = published
    province = Aggregator(tmp_path, "610000", "province")
    province.start()
    try:
        province.enrol(county.identity())
        helper.enrol(province.identity())
        county.set_parent(province)
        store = Store(province.db)
        try:
            own_identity.set_helper(store, province.settings, helper.identity())
        finally:
            store.close()
        store = Store(county.db)
        try:
            rollup = signed_off(store, county.settings, H1)
            carried = parse_signed(rollup.signed)[1]
            assert (carried.named_set, carried.partial) == (publication.named_set,
                                                            publication.partial)
            send_rollup(store, county.settings, province.identity(), rollup, attempts=1)
        finally:
            store.close()
        store = Store(province.db)
        try:
            top = publish(store, province.settings, "2025-H1", NOW, POLICY, timeout=10)
            held = Holdings(store, province.settings, H1)
            figures, of_county = held.figures("610000"), held.figures("610102")
            assert cube.check(store) == []
        finally:
            store.close()
        # the province's partial checked against its county's, with all three bundles
        verdict = verify([export(party, tmp_path / name) for party, name in
                          ((province, "province"), (county, "county"), (helper, "helper"))])
        assert verdict.ok, [f.en for f in verdict.failures]
        assert verdict.passed["secure_aggregation"] >= 8
    finally:
        province.stop()
    named = partials.open_named_set(top.named_set)[0]
    assert (named.level, [m.school_id for m in named.members]) == ("province", list(SCHOOLS))
    county_partial = partials.open_partial(publication.partial)[0].values
    assert partials.open_partial(top.partial)[0].values == county_partial  # the sum of one
    stages = partials.set_stages(SCHOOLS)
    plan = dp.noise_plan(CATALOGUE, POLICY.rho_level("province"), stages)
    exact = truth(schools)
    # the province reads the county as the county published it (noise once), not the sum of
    # its schools' own tables
    county_plan = dp.noise_plan(CATALOGUE, POLICY.rho_level("county"), stages)
    monitored = CATALOGUE.group_cells("monitored", stages)[0]
    assert of_county.variances[monitored.id] == pytest.approx(
        2 * county_plan["monitored"].scale ** 2)
    assert carried.noisy == publication.noisy and carried.helper_noisy == publication.other_noisy
    for cell in CATALOGUE.cells:
        if cell.group in plan and cell.stages & stages:
            scale = plan[cell.group].scale
            assert figures.variances[cell.id] == pytest.approx(2 * scale**2)
            assert abs(figures.values[cell.id] - exact[cell.index]) < 2 * dp.largest_plausible(
                scale, 1)


# --- the inspector: both parties' bundles

def export(party: Aggregator, out: Path) -> Path:
    store = Store(party.db)
    try:
        export_bundle(store, party.settings, H1, out)
    finally:
        store.close()
    return out


def secagg_failures(verdict) -> list[str]:  # noqa: ANN001
    return [f"{f.subject}: {f.en}" for f in verdict.failures if f.check == "secure_aggregation"]


def test_the_inspector_verifies_both_bundles_and_flags_a_partial_or_a_set_that_does_not_fit(
        published, tmp_path):
    county, helper, schools, publication = published
    leader_bundle = export(county, tmp_path / "county")
    helper_bundle = export(helper, tmp_path / "helper")
    verdict = verify([leader_bundle, helper_bundle])
    assert secagg_failures(verdict) == [] and verdict.passed["secure_aggregation"] >= 5
    assert verdict.ok, [f.en for f in verdict.failures]

    # the county's partial, re-signed by the county, no longer the sum of its logged shares
    published_file = leader_bundle / "publications.json"
    original = published_file.read_text()
    partial = partials.open_partial(publication.partial)[0]
    partial.values[0] = (partial.values[0] + 1) % 2**64
    forged = partials.sign(partials.PARTIAL_CONTEXT, partial, county.settings.signing_key)
    entry = json.loads(original)
    entry[0]["partial"] = base64.b64encode(forged).decode()
    published_file.write_text(json.dumps(entry))
    assert any("partial does not match its log" in f for f in
               secagg_failures(verify([leader_bundle, helper_bundle])))

    # a set naming a school (with a leaf) that the helper's log does not hold
    named = partials.open_named_set(publication.named_set)[0]
    named.members[1].helper_leaf = bytes(32)
    entry = json.loads(original)
    entry[0]["named_set"] = base64.b64encode(partials.sign(
        partials.NAMED_SET_CONTEXT, named, county.settings.signing_key)).decode()
    published_file.write_text(json.dumps(entry))
    found = secagg_failures(verify([leader_bundle, helper_bundle]))
    assert any(f"{SCHOOLS[1]} is named in this party's set but missing from the other "
               "party's log" in f for f in found), found


def test_recording_a_publication_counts_one_change_of_its_period_figures(published):
    """The published row is a change of the county's figures: its official tables, kept for
    the generation before it (aggregator/figures/kept.py), are stale once it is recorded."""
    county, _helper, _schools, publication = published
    store = Store(county.db)
    try:
        before = store.figure_generation("2025-H1")
        assert before >= 1  # the publication's own recording
        with store.transaction():
            cube.record_publication(store, publication)
        assert store.figure_generation("2025-H1") == before + 1
    finally:
        store.close()
