"""Rolling out a new catalogue version: old and new both accepted during the transition, the old
refused after its last day, and never two versions summed in one rollup. The v2 here is a
synthetic catalogue written in the test's folder (v1 with other shares of ρ), never shipped."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import grpc
import pytest
from click.testing import CliRunner

from aggregator.intake.catalogues import CataloguePolicy
from aggregator.rollup.build import RollupError, make_rollup, rollup_report
from aggregator.store.sqlite import Store
from common.clock import SimulatedClock
from guanai.cli import cli
from member.client import Backoff, SubmitRefused
from node.membership import ensure_key, import_parent, own_identity
from node.release import latest_release, release_period
from node.submit import outbox, submit
from privacy.envelope import verify_signed
from protos import catalogue, validation
from protos.deadlines import CHINA
from protos.periods import Period
from tests.conftest import School
from tests.federation import Aggregator, dump

H1 = Period.parse("2025-H1")
DAY = date(2025, 12, 31)
NOW = datetime(2025, 12, 31, 10, tzinfo=CHINA)  # the county's clock: DAY, mid-morning
FAST = dict(attempts=3, backoff=Backoff(initial=0.05, maximum=0.2), timeout=10)


@pytest.fixture
def v2(tmp_path, monkeypatch):
    """A catalogue v2 in a folder of the test: v1's cells with other shares of ρ."""
    folder = tmp_path / "catalogues"
    folder.mkdir()
    text = (catalogue.CATALOGUE_DIR / "v1.toml").read_text(encoding="utf-8")
    text = text.replace('version = "v1"', 'version = "v2"', 1)
    text = text.replace("share = 0.55", "share = 0.50", 1).replace("share = 0.20", "share = 0.25", 1)
    (folder / "v2.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(catalogue, "_directories", [catalogue.CATALOGUE_DIR])
    catalogue.load.cache_clear()
    validation.layout.cache_clear()
    catalogue.add_directory(folder)
    yield folder
    catalogue.load.cache_clear()
    validation.layout.cache_clear()


def school(folder, school_id: str, county: Aggregator, version: str) -> School:
    s = School(folder / f"school-{school_id}.db", school_id=school_id, region="610102")
    s.student("primary", ["poverty"], name="学生甲")
    s.student("primary", ["orphan"], name="学生乙")
    ensure_key(s.path)
    county.enrol(own_identity(s.db, s.path))
    import_parent(s.db, county.identity())
    release_period(s.db, H1, "610102", today=DAY, catalogue=catalogue.load(version))
    return s


def rollup(county: Aggregator):  # noqa: ANN201
    store = Store(county.db)
    try:
        return rollup_report(make_rollup(store, county.settings, H1)[0])
    finally:
        store.close()


def test_both_versions_are_accepted_during_the_transition_and_never_summed_together(
        tmp_path, v2):
    assert catalogue.load("v2").version == "v2" and "v2" in catalogue.known_versions()
    county = Aggregator(tmp_path, "610102", "county")
    county.start(clock=SimulatedClock(NOW),
                 catalogues=CataloguePolicy(("v1", "v2"), {"v1": DAY + timedelta(days=1)}))
    try:
        old = school(tmp_path, "2161010001", county, "v1")
        new = school(tmp_path, "2161010002", county, "v2")
        for s in (old, new):
            assert len(submit(s.db, s.path, H1, **FAST)) == 1

        before = dump(county.db)
        with pytest.raises(RollupError) as refused:
            rollup(county)
        message = str(refused.value)
        assert "v1: 2161010001" in message and "v2: 2161010002" in message
        assert "--correction" in message
        assert dump(county.db) == before  # no rollup was stored

        release_period(old.db, H1, "610102", today=DAY, correction=True,
                       catalogue=catalogue.load("v2"))
        submit(old.db, old.path, H1, **FAST)
        total = rollup(county)
        assert total.catalogue_version == "v2"
        reports = [verify_signed(outbox(s.db)[-1].signed)[0] for s in (old, new)]
        assert [r.catalogue_version for r in reports] == ["v2", "v2"]
        assert list(total.values) == [a + b for a, b in zip(*(r.values for r in reports),
                                                            strict=True)]
    finally:
        county.stop()


def test_after_its_last_day_the_old_version_is_refused_and_told_the_new_one(tmp_path, v2):
    county = Aggregator(tmp_path, "610102", "county")
    county.start(clock=SimulatedClock(NOW),
                 catalogues=CataloguePolicy(("v1", "v2"), {"v1": DAY - timedelta(days=1)}))
    try:
        late = school(tmp_path, "2161010001", county, "v1")
        before = dump(county.db)
        with pytest.raises(SubmitRefused) as refused:
            submit(late.db, late.path, H1, **FAST)
        assert refused.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "v1 was accepted until" in refused.value.details
        assert "correction with v2" in refused.value.details
        assert dump(county.db) == before
        assert outbox(late.db)[-1].state == "refused"

        release_period(late.db, H1, "610102", today=DAY, correction=True,
                       catalogue=catalogue.load("v2"))
        assert len(submit(late.db, late.path, H1, **FAST)) == 1
    finally:
        county.stop()


def test_an_aggregator_accepting_only_v1_refuses_v2(tmp_path, v2):
    county = Aggregator(tmp_path, "610102", "county")
    county.start(catalogues=CataloguePolicy(("v1",)))
    try:
        early = school(tmp_path, "2161010001", county, "v2")
        with pytest.raises(SubmitRefused) as refused:
            submit(early.db, early.path, H1, **FAST)
        assert refused.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "catalogue v2 is not accepted here; release with v1" in refused.value.details
    finally:
        county.stop()


def test_the_node_releases_with_the_configured_version(tmp_path, v2):
    s = School(tmp_path / "school.db")
    s.student("primary", ["poverty"], name="学生甲")
    config = tmp_path / "node.toml"
    config.write_text(f"[node]\ndb = '{s.path}'\n[catalogue]\nversion = 'v2'\n"
                      f"directory = '{v2}'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["node", "--config", str(config), "release", "--period",
                                      "2025-H1", "--recipient", "610102"])
    assert result.exit_code == 0, result.output
    assert latest_release(s.db, H1).report.catalogue_version == "v2"


def test_a_policy_naming_an_unknown_version_is_refused(v2):
    from aggregator.intake.catalogues import CataloguePolicyError

    with pytest.raises(CataloguePolicyError, match="v3"):
        CataloguePolicy(("v1", "v3"))
    with pytest.raises(CataloguePolicyError, match="v1, which is not accepted"):
        CataloguePolicy(("v2",), {"v1": date(2026, 7, 15)})
