"""The figures store (数据立方): kept current as reports arrive, identical to a rebuild from the log.

A province with two counties and a university reporting straight to it, on real loopback
servers with real SQLite files: after first reports, a correction, returns at both levels and
new rollups, every store's figures are exactly what a rebuild from its log gives, and the
figures asked are the sums of the reports that count. The check command finds a store that was
tampered with, and rebuilds it. Bad queries are refused before a single figure is read.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from click.testing import CliRunner

from aggregator.calendar import decisions
from aggregator.figures import cube
from aggregator.figures.holdings import Holdings
from aggregator.figures.indicators import IndicatorError
from aggregator.grpc.query_client import QueryRefused, ask, request
from aggregator.grpc.query_servicer import BadRequest, answer
from aggregator.keys import staff
from aggregator.store.sqlite import Store
from guanai.cli import cli
from privacy.credential import Grant
from protos.periods import Period
from protos.query_pb2 import FiguresRequest
from tests.rounds import CAT, H1, Round

LAYOUT = {"610102": ["2161010001", "2161010002"], "610103": ["2161030003"]}
UNIVERSITY = ("4161000009", "610116")
DROPPED = "acad.dropped_out"


def cells(n: int) -> dict[str, int]:
    return {DROPPED: n, "acad.reg_expected": 100 * n}


@pytest.fixture(scope="module")
def round_(tmp_path_factory):
    federation = Round(tmp_path_factory.mktemp("cube"), LAYOUT, (UNIVERSITY,))
    for n, school_id in enumerate(["2161010001", "2161010002", "2161030003", UNIVERSITY[0]], 1):
        federation.submit(school_id, cells(n))
    federation.roll_up()
    yield federation
    federation.stop()


def held(store: Store, region: str, unit: str, period: Period = H1):  # noqa: ANN201
    class Settings:  # Holdings reads only the region of the settings
        pass

    settings = Settings()
    settings.region = region
    return Holdings(store, settings, period).figures(unit, [DROPPED])


def consistent(*aggregators) -> None:  # noqa: ANN002
    for aggregator in aggregators:
        store = Store(aggregator.db)
        try:
            assert cube.check(store) == [], aggregator.settings.region
        finally:
            store.close()


def return_(aggregator, member: str, tmp_path) -> None:  # noqa: ANN001
    store = Store(aggregator.db)
    try:
        key = tmp_path / f"staff-{aggregator.settings.region}.key"
        now = datetime.now(UTC)
        if not key.exists():
            decisions.register_staff(store, aggregator.settings, "王科长", key, now)
        decisions.return_submission(store, aggregator.settings, staff.load(store, key), member,
                                    H1, "请核对辍学人数", now)
    finally:
        store.close()


def test_corrections_returns_and_rollups_keep_the_store_equal_to_its_log(round_, tmp_path):
    province, county = round_.province, round_.counties["610102"]
    consistent(province, county, round_.counties["610103"])
    store = Store(province.db)
    try:
        whole = held(store, "610000", "610000")
        assert (whole.values[DROPPED], whole.members, whole.missing, whole.schools) == (
            1 + 2 + 3 + 4, 3, 0, 4)
        assert held(store, "610000", "610102").values[DROPPED] == 3
        assert held(store, "610000", "2161010002").values[DROPPED] == 2
        assert held(store, "610000", "610100").values[DROPPED] == 6  # a city with no aggregator
        assert whole.variances[DROPPED] == pytest.approx(4 * 9.0)
    finally:
        store.close()

    # a correction: revision 2 at the county, a new rollup at the province
    round_.submit("2161010002", cells(20), revision=2)
    round_.roll_up()
    consistent(province, county)
    store = Store(province.db)
    try:
        assert held(store, "610000", "2161010002").values[DROPPED] == 20
        assert held(store, "610000", "610102").values[DROPPED] == 21
        assert held(store, "610000", "610000").values[DROPPED] == 1 + 20 + 3 + 4
    finally:
        store.close()

    # a return at the county: the school stops counting there at once, and at the province
    # with the county's next rollup
    return_(county, "2161010001", tmp_path)
    consistent(county)
    store = Store(county.db)
    try:
        figures = held(store, "610102", "610102")
        assert (figures.values[DROPPED], figures.members, figures.missing) == (20, 1, 1)
        assert held(store, "610102", "2161010001").members == 0
    finally:
        store.close()
    round_.roll_up()
    consistent(province, county)

    # a return at the province of the university that reports straight to it
    return_(province, UNIVERSITY[0], tmp_path)
    consistent(province)
    store = Store(province.db)
    try:
        whole = held(store, "610000", "610000")
        assert (whole.values[DROPPED], whole.members, whole.missing, whole.schools) == (
            20 + 3, 2, 1, 2)
    finally:
        store.close()

    # its correction counts again
    round_.submit(UNIVERSITY[0], cells(40), revision=2)
    consistent(province)
    store = Store(province.db)
    try:
        assert held(store, "610000", "610000").values[DROPPED] == 20 + 3 + 40
    finally:
        store.close()


def test_the_check_command_finds_a_tampered_store_and_rebuilds_it(round_):
    db = round_.counties["610103"].db
    runner = CliRunner()
    result = runner.invoke(cli, ["aggregator", "--db", str(db), "check-figures"])
    assert result.exit_code == 0, result.output
    assert "一致 the figures store matches the log" in result.output

    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE figure_cells SET value = value + 1 WHERE unit = '2161030003'"
                     " AND cell = ?", [CAT.cell(DROPPED).index])
        conn.execute("DELETE FROM figure_units WHERE unit = '610103'")  # nothing there: fine
        conn.execute("INSERT INTO figure_units SELECT period, '2161039999', level, region, "
                     "direct, '2161039999', kind, members, missing, schools, "
                     "catalogue_version, log_index, report_sha256 FROM figure_units")
    conn.close()
    result = runner.invoke(cli, ["aggregator", "--db", str(db), "check-figures"])
    assert result.exit_code != 0
    assert "2025-H1 2161030003: differs" in result.output
    assert "2025-H1 2161039999: extra" in result.output

    result = runner.invoke(cli, ["aggregator", "--db", str(db), "check-figures", "--rebuild"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["aggregator", "--db", str(db), "check-figures"])
    assert result.exit_code == 0 and "一致" in result.output, result.output


class Spy:
    """A real store that records which of its methods were called."""

    def __init__(self, store: Store) -> None:
        self.store, self.called = store, []

    def __getattr__(self, name: str):  # noqa: ANN204
        self.called.append(name)
        return getattr(self.store, name)


FIGURE_READS = {"figure_cells", "direct_sums", "figure_units", "figure_unit",
                "latest_submissions", "forwarded", "signed_reports_of"}


@pytest.mark.parametrize("asked, message", [
    (dict(periods=["2025-H1"] * 5000), "1 to 40 periods"),
    (dict(periods=["2025-H1"], numerator=["acad.no_such_cell"]), "no cell"),
    (dict(periods=["2025-H3"]), "2025-H3"),
    (dict(periods=["2025-H1"], regions=["61010"]), "6-digit"),
])
def test_bad_queries_are_refused_before_any_figure_is_read(round_, asked, message):
    province = round_.province
    query = FiguresRequest(numerator=asked.pop("numerator", [DROPPED]), **asked)
    spy = Spy(Store(province.db))
    grant = Grant("610000", "staff", "610000", "s", datetime.now(UTC) + timedelta(days=1),
                  bytes(province.settings.signing_key.verify_key))
    try:
        with pytest.raises((BadRequest, IndicatorError), match=message):
            answer(spy, province.settings, grant, query)
    finally:
        spy.store.close()
    assert FIGURE_READS.isdisjoint(spy.called), spy.called

    with pytest.raises(QueryRefused) as refused:  # and over gRPC: INVALID_ARGUMENT
        ask(province.identity(), round_.staff(province, "610000"), query)
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_a_query_reads_the_store_not_the_signed_reports(round_):
    province = round_.province
    spy = Spy(Store(province.db))
    grant = Grant("610000", "staff", "610000", "s", datetime.now(UTC) + timedelta(days=1),
                  bytes(province.settings.signing_key.verify_key))
    try:
        response = answer(spy, province.settings, grant,
                          request(DROPPED, [H1], ["610000"], below="county"))
    finally:
        spy.store.close()
    assert sorted(f.region for f in response.figures) == ["610102", "610103"]
    assert {"latest_submissions", "forwarded", "signed_reports_of",
            "period_submissions"}.isdisjoint(spy.called), spy.called
