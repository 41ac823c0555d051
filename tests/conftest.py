"""Shared fixtures: a real school store in a temporary folder, filled through plain SQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from node.store import open_store, set_meta

# The browser fixtures of the school's and the bureaus' web pages, for every test file.
pytest_plugins = ["tests.node_web", "tests.bureau_web"]


class School:
    """A school store with helpers to add records as the importer would store them."""

    def __init__(self, path, school_id="2161010001", region="610102"):  # noqa: ANN001
        self.path = path
        self.db = open_store(path, create=True)
        set_meta(self.db, "school_id", school_id)
        set_meta(self.db, "region_code", region)
        set_meta(self.db, "school_name", "测试学校")
        self._numbers = itertools.count(1)

    def student(self, stage="primary", categories=(), factors=(), name="学生", id_card=None,
                graduating=False, tier=None, enrolled=True) -> int:
        number = next(self._numbers)
        now = datetime.now(UTC).isoformat()
        cursor = self.db.execute(
            "INSERT INTO students (student_no, name, id_card, stage, tier, graduating, enrolled,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?)",
            [f"S{number:06d}", name, id_card, stage, tier, int(graduating), int(enrolled), now],
        )
        sid = cursor.lastrowid
        for category in categories:
            self.db.execute("INSERT INTO student_categories VALUES (?,?,?,?)",
                            [sid, category, "roster", "2025-01-01"])
        for factor in factors:
            self.db.execute("INSERT INTO student_factors VALUES (?,?)", [sid, factor])
        return sid

    def case(self, student: int, steps: dict[str, str], route="application",
             requester="teacher") -> int:
        cursor = self.db.execute(
            "INSERT INTO cases (student_id, route, requester, requested_care, facts, reasons,"
            " status) VALUES (?,?,?,?,?,?,?)",
            [student, route, requester, "学业辅导", "事实", "理由", "confirmed"],
        )
        for kind, day in steps.items():
            self.db.execute(
                "INSERT INTO case_events (case_id, kind, on_date, decision, recorded_at)"
                " VALUES (?,?,?,?,?)",
                [cursor.lastrowid, kind, day, "approve" if kind in ("review", "exit") else None,
                 day],
            )
        return cursor.lastrowid

    def record(self, student: int, kind: str, day: str, quantity: int = 1) -> None:
        self.db.execute(
            "INSERT INTO care_records (student_id, kind, on_date, quantity) VALUES (?,?,?,?)",
            [student, kind, day, quantity],
        )

    def registration(self, student: int, period: str, status: str, returned_on=None,
                     dropped_out=False) -> None:
        self.db.execute(
            "INSERT INTO registrations (student_id, period, status, returned_on, dropped_out)"
            " VALUES (?,?,?,?,?)",
            [student, period, status, returned_on, int(dropped_out)],
        )

    def aid(self, student: int, item: str, day: str, amount: int, highest_tier=False) -> None:
        self.db.execute(
            "INSERT INTO aid_records (student_id, item, on_date, amount, highest_tier)"
            " VALUES (?,?,?,?,?)",
            [student, item, day, amount, int(highest_tier)],
        )


@pytest.fixture
def school(tmp_path):
    return School(tmp_path / "school.db")


@pytest.fixture
def make_school(tmp_path):
    def make(name="school", **kwargs):  # noqa: ANN001, ANN202
        return School(tmp_path / f"{name}.db", **kwargs)
    return make
