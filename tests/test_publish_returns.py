"""A published figure stands only while every school it names is still counted at the named
revision (aggregator/figures/cube.py): real school nodes, a real helper, two real counties and a
real province serving on loopback, real SQLite files.

Two counties publish with the helper, the province publishes from their partials. Then: a school
reporting to the county without shares (held, never named) takes the county's figure down until
it is returned; the province's return of a
county takes its figure down; a return of a named school (county 610102) and a correction of one
(county 610103) take the county's figure down, and the county's next rollup carries no set, so
the province's stays down. Each time the official table is made (no
OfficialError: the region is the sum of its counted members again), the store equals its rebuild
(``check``) and the kept tables are stale until made again. The tests run in file order, each
building on the one before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from aggregator.figures import cube, kept
from aggregator.figures.holdings import Holdings
from aggregator.figures.statistics import NothingCounted, region_figures
from aggregator.keys import own_identity
from aggregator.rollup.build import send_rollup
from aggregator.rollup.helper import send_enrolment
from aggregator.rollup.publish import publish
from aggregator.store.sqlite import Store
from node.membership import ensure_key, import_helper, import_parent
from node.membership import own_identity as school_own
from node.release import release_period
from node.submit import submit
from privacy import partials
from privacy.budget import BudgetPolicy
from privacy.envelope import parse_signed
from protos.periods import Period
from tests import test_secure_aggregation_intake as intake
from tests.conftest import School
from tests.federation import Aggregator, signed_off
from tests.test_figures_store import return_

FAST = intake.FAST
parties = intake.parties  # the fixture: county 610102 (leader) and the helper, serving
H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
NOW = datetime(2025, 7, 10, tzinfo=UTC)
POLICY = BudgetPolicy()
NAMED = {"610102": ("2161010001", "3161010002", "3461010003"),
         "610103": ("2161030001", "3161030002")}
OUTSIDE = "2161010005"  # reports to 610102 without shares: never named


def school_at(folder, school_id: str, county: Aggregator, helper: Aggregator | None) -> School:
    school = School(folder / f"{school_id}.db", school_id=school_id,
                    region=county.settings.region)
    for i in range(8 + int(school_id[-1])):
        school.student("primary" if school_id[:2] == "21" else "junior",
                       ["poverty"] if i % 3 else ["orphan"])
    ensure_key(school.path)
    county.enrol(school_own(school.db, school.path))
    import_parent(school.db, county.identity())
    if helper is not None:
        import_helper(school.db, helper.identity())
    return school


def send_up(county: Aggregator, province: Aggregator) -> bytes:
    """The county's rollup, signed off and sent; the named set it carries (b"" if none)."""
    store = Store(county.db)
    try:
        rollup = signed_off(store, county.settings, H1)
        send_rollup(store, county.settings, province.identity(), rollup, attempts=1)
        return parse_signed(rollup.signed)[1].named_set
    finally:
        store.close()


@pytest.fixture(scope="module")
def world(parties, tmp_path_factory):
    """Both counties and the province published for 2025-H1."""
    first, helper = parties
    folder = tmp_path_factory.mktemp("returns")
    second = Aggregator(folder, "610103", "county", "610000")
    second.start()
    province = Aggregator(folder, "610000", "province")
    province.start()
    try:
        helper.enrol(second.identity())
        helper.enrol(province.identity())
        for party in (second, province):
            store = Store(party.db)
            own_identity.set_helper(store, party.settings, helper.identity())
            store.close()
        schools = {}
        for county in (first, second):
            for school_id in NAMED[county.settings.region]:
                schools[school_id] = school_at(folder, school_id, county, helper)
        schools[OUTSIDE] = school_at(folder, OUTSIDE, first, None)
        for county in (first, second):
            store = Store(county.db)
            send_enrolment(store, county.settings, datetime.now(UTC), timeout=10, attempts=3)
            store.close()
        for school_id, school in schools.items():
            if school_id == OUTSIDE:
                continue  # it reports late, once every level has published
            county = "610103" if school_id in NAMED["610103"] else "610102"
            release_period(school.db, H1, county, today=DAY)
            submit(school.db, school.path, H1, **FAST)
        for county in (first, second):
            store = Store(county.db)
            try:
                publish(store, county.settings, "2025-H1", NOW, POLICY, timeout=10)
            finally:
                store.close()
            province.enrol(county.identity())
            county.set_parent(province)
            assert send_up(county, province)  # carries its set while it stands
        store = Store(province.db)
        try:
            publish(store, province.settings, "2025-H1", NOW, POLICY, timeout=10)
        finally:
            store.close()
        release_period(schools[OUTSIDE].db, H1, "610102", today=DAY)
        yield {"610102": first, "610103": second, "610000": province, "schools": schools,
               "folder": folder}
    finally:
        province.stop()
        second.stop()


def own_row(party: Aggregator):  # noqa: ANN201 - FigureUnit | None
    store = Store(party.db)
    try:
        return store.figure_unit("2025-H1", party.settings.region)
    finally:
        store.close()


def kept_now(party: Aggregator) -> int:
    """Make (or read) the region's official table as every page does; the kept generation."""
    store = Store(party.db)
    try:
        holdings = Holdings(store, party.settings, H1)
        table = kept.region_table(holdings, party.settings.region)  # no OfficialError
        assert table.official is not None
        assert cube.check(store) == []
        return store.kept_set("2025-H1").generation
    finally:
        store.close()


def falls(party: Aggregator, change) -> None:  # noqa: ANN001
    """``change`` takes the party's published figure down: the region is the sum of its
    counted members, the official table is made, the kept tables were stale in between."""
    assert own_row(party).kind == "published"
    before = kept_now(party)
    change()
    store = Store(party.db)
    try:
        assert store.figure_generation("2025-H1") > before
        assert not kept.is_current(Holdings(store, party.settings, H1),
                                   store.kept_set("2025-H1"))
    finally:
        store.close()
    assert kept_now(party) > before  # made again from the new figures
    assert own_row(party) is None


def test_a_school_held_outside_the_set_takes_the_figure_down_until_it_is_returned(world):
    county, school = world["610102"], world["schools"][OUTSIDE]
    named = partials.open_named_set(Store(county.db).publication("2025-H1", "610102").named_set)
    assert OUTSIDE not in {m.school_id for m in named[0].members}
    # a school reporting without shares after the set was named: the published figure does
    # not sum the county as held, so the county is the sum of its schools again
    falls(county, lambda: submit(school.db, school.path, H1, **FAST))
    # returned, it no longer counts: the published figure sums every school held once more
    return_(county, OUTSIDE, world["folder"])
    assert own_row(county).kind == "published"
    kept_now(county)  # the official table made, the store equal to its rebuild


def test_the_province_returning_a_county_takes_its_figure_down(world):
    province = world["610000"]
    falls(province, lambda: return_(province, "610103", world["folder"]))
    # the returned county has nothing counted: no table of zeros that would read as true
    store = Store(province.db)
    try:
        with pytest.raises(NothingCounted, match="已退回修改"):
            region_figures(Holdings(store, province.settings, H1), "610103")
    finally:
        store.close()


def test_a_return_of_a_named_school_takes_the_county_figure_down(world):
    county, province = world["610102"], world["610000"]
    falls(county, lambda: return_(county, NAMED["610102"][0], world["folder"]))
    # its rollup no longer carries the set: the province reads the county as its sum
    assert send_up(county, province) == b""
    assert own_row(province) is None
    kept_now(province)


def test_a_correction_of_a_named_school_takes_the_county_figure_down(world):
    county, school = world["610103"], world["schools"][NAMED["610103"][1]]

    def correct() -> None:
        release_period(school.db, H1, "610103", correction=True, today=DAY)
        submit(school.db, school.path, H1, **FAST)

    falls(county, correct)
    # the county's new rollup closes the province's return, without a set: still down there
    assert send_up(county, world["610000"]) == b""
    assert own_row(world["610000"]) is None
    kept_now(world["610000"])
