"""Read-only views of the roster for the school's own screens (the web pages and the CLI).

The aid office browses its students page by page, finds one by 学号 or name, and opens one
student's record: categories, factors, cases with their history and the work list. This is
the one place those screens read the roster (its SQL is in node/store/students.py), so that
handlers hold none. Names show here:
these views serve the school's own PC only and are never sent anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from node.procedure import Case, cases_of
from node.records import LedgerEntry, ledger
from node.store import students as students_store
from node.vocabulary import CASE_STATUSES, TIERS
from protos.catalogue import load

FILTERS = ("all", "difficulty", "key", "left")


@dataclass(frozen=True)
class StudentLine:
    student_no: str
    name: str
    stage: str  # Chinese label
    grade: str
    class_: str
    categories: str  # Chinese labels joined by 、
    case_status: str  # Chinese label of the open (or latest) case, or ""
    enrolled: bool


@dataclass(frozen=True)
class StudentPage:
    lines: list[StudentLine]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Counts:
    enrolled: int
    in_difficulty: int
    key_care: int  # confirmed key care targets
    open_cases: int  # applied or reviewed, waiting for a step


@dataclass(frozen=True)
class StudentDetail:
    line: StudentLine
    id_card: str
    gender: str
    tier: str
    graduating: bool
    phone: str
    address: str
    factors: str
    cases: list[Case]
    ledger: list[LedgerEntry]


def _labels() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    catalogue = load()
    return ({v.id: v.label.zh for v in catalogue.stages.values},
            {v.id: v.label.zh for v in catalogue.dimensions["category"].values},
            {v.id: v.label.zh for v in catalogue.dimensions["factor"].values})


def counts(db: sqlite_utils.Database) -> Counts:
    """How many students are enrolled, in difficulty, key care targets, or waiting on a step."""
    return Counts(*students_store.counts(db))


def _line(row: tuple, stages: dict[str, str], categories: dict[str, str]) -> StudentLine:
    cats = "、".join(categories.get(c, c) for c in sorted((row[5] or "").split(",")) if c)
    status = CASE_STATUSES[row[6]].label.zh if row[6] else ""
    return StudentLine(row[0], row[1], stages.get(row[2], row[2]), row[3], row[4], cats, status,
                       bool(row[7]))


def students(db: sqlite_utils.Database, search: str = "", which: str = "all", page: int = 1,
             per_page: int = 50) -> StudentPage:
    """One page of students by 学号, found by part of the 学号 or name, filtered by ``which``:
    all enrolled, in difficulty, with an open key-care case, or left the school."""
    page = max(1, page)
    total, rows = students_store.lines(db, which, search.strip(), per_page,
                                       (page - 1) * per_page)
    stages, categories, _ = _labels()
    return StudentPage([_line(r, stages, categories) for r in rows], total, page, per_page)


def student(db: sqlite_utils.Database, student_no: str) -> StudentDetail | None:
    """Everything the school holds on one student, or None if no such 学号."""
    row = students_store.line(db, student_no)
    if row is None:
        return None
    stages, categories, factors = _labels()
    (sid, id_card, gender, tier, graduating, phone, address), held = \
        students_store.details(db, student_no)
    return StudentDetail(
        _line(row, stages, categories), id_card, gender, TIERS[tier].label.zh if tier else "",
        bool(graduating), phone, address, "、".join(factors.get(f, f) for f in sorted(held)),
        cases_of(db, sid), ledger(db, student_no))


def case_student(db: sqlite_utils.Database, case_id: int) -> str | None:
    """The 学号 of a case's student, or None if there is no such case."""
    return students_store.case_student_no(db, case_id)
