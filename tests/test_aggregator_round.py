"""A full round on loopback: schools → two counties → province, plus a university direct.

The province's table must be exactly the sum of the schools' released values; every school's
own signed report must reach the province; no name or ID number may reach any aggregator.
"""

from __future__ import annotations

from datetime import date

import pytest

from aggregator.calendar.completeness import by_region, member_status
from aggregator.rollup.build import make_rollup, rollup_report, send_rollup
from aggregator.store.sqlite import Store
from member.client import Backoff
from node.membership import ensure_key, import_parent, own_identity
from node.release import release_period
from node.submit import outbox, submit
from privacy.envelope import verify_signed
from protos.periods import Period
from tests.conftest import School
from tests.federation import CANARY_ID, CANARY_NAME, Aggregator

H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
FAST = dict(attempts=5, backoff=Backoff(initial=0.05, maximum=0.2), timeout=10)
COUNTY_SCHOOLS = {
    "610102": [("2161010001", "primary"), ("3161010002", "junior"), ("1161010003", "preschool")],
    "610103": [("2161030004", "primary"), ("3461030005", "senior")],
}
UNIVERSITY = ("4161000006", "undergraduate", "610116")
ABSENT = ("2161010007", "primary", "610102")  # enrolled at its county, never submits


def make_school(folder, school_id, stage, region, parent: Aggregator) -> School:
    school = School(folder / f"school-{school_id}.db", school_id=school_id, region=region)
    school.student(stage, ["poverty"], name=CANARY_NAME, id_card=CANARY_ID)
    school.student(stage, ["disability", "orphan"], name="学生乙")
    ensure_key(school.path)
    parent.enrol(own_identity(school.db, school.path))
    import_parent(school.db, parent.identity())
    release_period(school.db, H1, parent.settings.region, today=DAY)
    return school


@pytest.fixture
def federation(tmp_path):
    province = Aggregator(tmp_path, "610000", "province")
    counties = {r: Aggregator(tmp_path, r, "county", "610000") for r in COUNTY_SCHOOLS}
    for aggregator in (province, *counties.values()):
        aggregator.start()
    for county in counties.values():
        county.set_parent(province)
        province.enrol(county.identity())
    yield province, counties
    for aggregator in (*counties.values(), province):
        aggregator.stop()


def released_values(schools: list[School]) -> tuple[list[int], list[float]]:
    reports = [verify_signed(outbox(s.db)[-1].signed)[0] for s in schools]
    values = [sum(column) for column in zip(*(r.values for r in reports), strict=True)]
    variances = [sum(column) for column in zip(*(r.noise_variance for r in reports), strict=True)]
    return values, variances


def roll_up(county: Aggregator, province: Aggregator):  # noqa: ANN201
    store = Store(county.db)
    try:
        made, _ = make_rollup(store, county.settings, H1)
        return made, send_rollup(store, county.settings, province.identity(), made, **FAST)
    finally:
        store.close()


def province_total(province: Aggregator):  # noqa: ANN201
    store = Store(province.db)
    try:
        return rollup_report(make_rollup(store, province.settings, H1)[0]), store
    except BaseException:
        store.close()
        raise


def test_the_province_holds_exactly_the_sum_of_every_school(federation, tmp_path):
    province, counties = federation
    schools = []
    for region, members in COUNTY_SCHOOLS.items():
        for school_id, stage in members:
            school = make_school(tmp_path, school_id, stage, region, counties[region])
            assert [b.sender_id for b in submit(school.db, school.path, H1, **FAST)] == [school_id]
            schools.append(school)
    absent = make_school(tmp_path, ABSENT[0], ABSENT[1], ABSENT[2], counties["610102"])
    university = make_school(tmp_path, *UNIVERSITY, province)
    submit(university.db, university.path, H1, **FAST)
    schools.append(university)
    for county in counties.values():
        roll_up(county, province)

    total, store = province_total(province)
    try:
        values, variances = released_values(schools)
        assert list(total.values) == values
        assert list(total.noise_variance) == pytest.approx(variances, rel=1e-12)
        assert sorted(m.sender_id for m in total.members) == sorted([*counties, UNIVERSITY[0]])
        assert list(total.missing) == []

        forwarded = [f for s in store.latest_submissions(H1.code) for f in
                     store.forwarded(s.log_index)]
        assert sorted(f.sender_id for f in forwarded) == sorted(
            s for members in COUNTY_SCHOOLS.values() for s, _ in members)
        for f in forwarded:
            assert verify_signed(f.signed)[0].sender_id == f.sender_id
            school = next(s for s in schools if s.path.name == f"school-{f.sender_id}.db")
            assert f.signed == outbox(school.db)[-1].signed

        statuses = member_status(store, H1)
        below = {s.member.member_id: (s.included, s.missing_below) for s in statuses}
        assert below["610102"] == (3, (ABSENT[0],)) and below["610103"] == (2, ())
        regions = {r.region: (r.enrolled, r.submitted, r.missing) for r in by_region(statuses)}
        # the province counts the schools of each county, not the county as one member
        assert regions["610102"][2] == (ABSENT[0],)
        assert regions["610102"][0] == regions["610102"][1] + 1
        assert regions["610103"][0] == regions["610103"][1]
    finally:
        store.close()
    assert outbox(absent.db) == []

    for aggregator in (province, *counties.values()):
        for path in aggregator.db.parent.glob(aggregator.db.name + "*"):
            data = path.read_bytes()
            for canary in (CANARY_NAME, CANARY_ID, "学生乙"):
                assert canary.encode("utf-8") not in data, f"{canary} in {path.name}"
    for school in schools:
        for item in outbox(school.db):
            assert CANARY_NAME.encode() not in item.signed and CANARY_ID.encode() not in item.signed


def test_a_correction_supersedes_at_every_level_without_double_counting(federation, tmp_path):
    province, counties = federation
    county = counties["610103"]
    schools = [make_school(tmp_path, sid, stage, "610103", county)
               for sid, stage in COUNTY_SCHOOLS["610103"]]
    for school in schools:
        submit(school.db, school.path, H1, **FAST)
    first, receipt = roll_up(county, province)
    again, same_receipt = roll_up(county, province)
    assert again.signed == first.signed and same_receipt == receipt

    release_period(schools[0].db, H1, "610103", correction=True, today=DAY)
    submit(schools[0].db, schools[0].path, H1, **FAST)
    second, _ = roll_up(county, province)
    assert rollup_report(second).revision == 2

    total, store = province_total(province)
    store.close()
    values, _ = released_values(schools)
    assert list(total.values) == values
    assert [(m.sender_id, m.revision) for m in total.members] == [("610103", 2)]
    assert [(i.revision, i.state) for i in outbox(schools[0].db)] == [
        (1, "delivered"), (2, "delivered")]
