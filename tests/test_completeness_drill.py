"""Completeness school by school (aggregator/calendar/completeness.py ``unit_statuses``,
``tallies``): read at a county from its own enrolment, at the province from the counties'
signed rollups, and from their last enrolment when a county sent nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregator.calendar import decisions
from aggregator.calendar.completeness import tallies, unit_statuses
from aggregator.keys import staff
from aggregator.store.sqlite import Store
from protos.periods import Period
from tests.rounds import H1, Round

LAYOUT = {"610102": ["2161010001", "2161010002"], "610103": ["2161010011", "2161010012"]}


def _states(db, period: Period) -> dict[str, str]:  # noqa: ANN001
    store = Store(db)
    try:
        return {u.unit: u.state for u in unit_statuses(store, period)}
    finally:
        store.close()


def test_the_province_sees_each_school_a_level_down_and_counts_them(tmp_path):
    the_round = Round(tmp_path, LAYOUT)
    try:
        for school_id in ("2161010001", "2161010002", "2161010011"):
            the_round.submit(school_id, {})
        # the county returns one submission for correction before it rolls up
        county = the_round.counties["610102"]
        store = Store(county.db)
        key_file = tmp_path / "wang.key"
        decisions.register_staff(store, county.settings, "王科长", key_file,
                                 datetime.now(UTC))
        decisions.return_submission(store, county.settings, staff.load(store, key_file),
                                    "2161010002", H1, "数字有误 figures wrong", datetime.now(UTC))
        store.close()
        the_round.roll_up(H1)

        assert _states(county.db, H1) == {"2161010001": "late", "2161010002": "returned"}
        province = _states(the_round.province.db, H1)
        assert province == {"2161010001": "late", "2161010002": "returned",
                            "2161010011": "late", "2161010012": "missing"}
        store = Store(the_round.province.db)
        whole, parts = tallies(unit_statuses(store, H1), "610000")
        assert (whole.expected, whole.late, whole.returned, whole.missing) == (4, 2, 1, 1)
        assert whole.reporting_rate == 0.5 and whole.on_time_rate == 0.0
        assert [p.unit for p in parts] == ["610100"]  # by city
        _, counties = tallies(unit_statuses(store, H1), "610100")
        assert [(c.unit, c.expected, c.missing) for c in counties] == [("610102", 2, 0),
                                                                       ("610103", 2, 1)]
        _, schools = tallies(unit_statuses(store, H1), "610103")
        assert [(s.unit, s.missing) for s in schools] == [("2161010011", 0), ("2161010012", 1)]
        # 2025-H2: no county has sent anything; their schools are known from their last rollups
        h2 = Period.parse("2025-H2")
        assert _states(the_round.province.db, h2) == dict.fromkeys(
            ("2161010001", "2161010002", "2161010011", "2161010012"), "missing")
        store.close()
    finally:
        the_round.stop()
