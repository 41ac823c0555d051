"""A school's whole table at its own node (`guanai node report`) is made as an aggregator makes
any region's (aggregator/figures/statistics.py): the official form of its release, the same
figures its county gives for it, and its true values only in the analysis form."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from aggregator.figures.holdings import Holdings
from aggregator.figures.kept import region_table
from aggregator.figures.statistics import TRUE_COLUMN
from aggregator.store.sqlite import Store
from common.tables import LABEL_COLUMNS
from guanai.cli import cli
from member.client import Backoff
from node.membership import ensure_key, import_parent, own_identity
from node.release import latest_release, release_period
from node.submit import submit
from protos.catalogue import load
from tests.conftest import School
from tests.federation import Aggregator
from tests.test_submit import DAY, H1, school_id

CAT = load()


@pytest.fixture
def county(tmp_path):
    county = Aggregator(tmp_path, "610102", "county", "610000")
    county.start()
    yield county
    county.stop()


@pytest.fixture
def school(tmp_path, county):
    school = School(tmp_path / "school.db")
    for n in range(6):
        sid = school.student("primary", ["poverty"] + (["orphan"] if n % 2 else []))
        school.record(sid, "talk", "2025-03-04", 2)
    school.student("primary")
    ensure_key(school.path)
    county.enrol(own_identity(school.db, school.path))
    import_parent(school.db, county.identity())
    release_period(school.db, H1, "610102", today=DAY)
    submit(school.db, school.path, H1, attempts=5, backoff=Backoff(initial=0.02, maximum=0.1),
           timeout=5)
    return school


def report(school, *args: str) -> str:  # noqa: ANN001
    result = CliRunner().invoke(cli, ["node", "--db", str(school.path), "report", "--period",
                                      "2025-H1", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_schools_table_at_its_node_is_the_one_its_county_gives(school, county):
    rows = {r[LABEL_COLUMNS["cell"]]: r for r in csv.DictReader(io.StringIO(report(school, "--format",
                                                                          "csv")))}
    assert list(rows) == CAT.ids()
    released = latest_release(school.db, H1)
    official = {c: int(r["正式值 Official"]) for c, r in rows.items()}
    # the analysis form: the release as sent, its variances, and the school's own truth
    assert [float(rows[c]["估计值 Estimate"]) for c in CAT.ids()] == list(released.report.values)
    assert {c: int(r[TRUE_COLUMN]) for c, r in rows.items()} == released.true_values
    assert released.true_values["pop.in_difficulty.primary"] == 6
    # the official form: non-negative integers that keep every rule of the catalogue
    assert all(v >= 0 for v in official.values()) and all(r.holds(official) for r in CAT.rules)

    store = Store(county.db)
    try:
        at_county = region_table(Holdings(store, county.settings, H1), school_id(school))
    finally:
        store.close()
    # one school in the county: the same projection; the controlled rounding may break a tie
    # the other way in a problem of another shape (one unit, never more)
    at = at_county.official.values
    assert at.keys() == official.keys()
    assert all(abs(at[c] - official[c]) <= 1 for c in official)


def test_the_official_form_prints_like_a_regions_and_keeps_the_truth_out_of_it(school, tmp_path):
    shown = report(school)
    assert "困境学生教育助学关爱服务情况统计表" in shown and "【" in shown
    assert "nan" not in shown
    assert "真实值" not in shown  # the official form is what the county sees
    primary = report(school, "--stage", "primary")
    assert "困境学生人数—小学" in primary and "困境学生人数—初中" not in primary
    data = json.loads(report(school, "--format", "json"))
    assert TRUE_COLUMN in data[0]["rows"][0]
    out = tmp_path / "table.xlsx"
    report(school, "--format", "xlsx", "--out", str(out))
    import openpyxl

    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "统计表"
    assert book.active["A1"].value.startswith("困境学生教育助学关爱服务情况统计表")
    assert TRUE_COLUMN in [c.value for c in book["分析 Analysis"][3]]
    assert TRUE_COLUMN not in [c.value for c in book["统计表"][3]]


def test_no_release_yet_is_a_clear_error(tmp_path):
    empty = School(tmp_path / "empty.db")
    result = CliRunner().invoke(cli, ["node", "--db", str(empty.path), "report", "--period",
                                      "2025年上半年"])
    assert result.exit_code != 0 and "no release of 2025-H1 yet" in result.output
