"""Read-only views of the roster for the school's own screens (the web pages and the CLI).

The aid office browses its students page by page, finds one by 学号 or name, and opens one
student's record: categories, factors, cases with their history and the work list. This is
the one place those screens read the roster, so that handlers hold no SQL. Names show here:
these views serve the school's own PC only and are never sent anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from node.procedure import Case, cases_of
from node.records import LedgerEntry, ledger
from node.vocabulary import CASE_STATUSES, TIERS
from protos.catalogue import load

FILTERS = ("all", "difficulty", "key", "left")
_OPEN = ("applied", "reviewed", "confirmed")


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
    enrolled, in_difficulty = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM student_categories c "
        "WHERE c.student_id = s.id)) FROM students s WHERE enrolled = 1").fetchone()
    key_care, waiting = db.execute(
        "SELECT count(*) FILTER (WHERE status = 'confirmed'), "
        "count(*) FILTER (WHERE status IN ('applied', 'reviewed')) FROM cases").fetchone()
    return Counts(enrolled, in_difficulty, key_care, waiting)


_LINE = """
SELECT s.student_no, s.name, s.stage, ifnull(s.grade, ''), ifnull(s.class, ''),
       (SELECT group_concat(category, ',') FROM student_categories WHERE student_id = s.id),
       (SELECT status FROM cases WHERE student_id = s.id
        ORDER BY status IN ('applied', 'reviewed', 'confirmed') DESC, id DESC LIMIT 1),
       s.enrolled
FROM students s
"""


def _line(row: tuple, stages: dict[str, str], categories: dict[str, str]) -> StudentLine:
    cats = "、".join(categories.get(c, c) for c in sorted((row[5] or "").split(",")) if c)
    status = CASE_STATUSES[row[6]].label.zh if row[6] else ""
    return StudentLine(row[0], row[1], stages.get(row[2], row[2]), row[3], row[4], cats, status,
                       bool(row[7]))


def students(db: sqlite_utils.Database, search: str = "", which: str = "all", page: int = 1,
             per_page: int = 50) -> StudentPage:
    """One page of students by 学号, found by part of the 学号 or name, filtered by ``which``:
    all enrolled, in difficulty, with an open key-care case, or left the school."""
    where = {"all": "s.enrolled = 1",
             "difficulty": "s.enrolled = 1 AND EXISTS (SELECT 1 FROM student_categories c "
                           "WHERE c.student_id = s.id)",
             "key": "EXISTS (SELECT 1 FROM cases k WHERE k.student_id = s.id AND k.status IN "
                    f"{_OPEN})",
             "left": "s.enrolled = 0"}.get(which, "s.enrolled = 1")
    params: list[object] = []
    if search.strip():
        where += " AND (s.student_no LIKE ? OR s.name LIKE ?)"
        params += [f"%{search.strip()}%"] * 2
    total = db.execute(f"SELECT count(*) FROM students s WHERE {where}", params).fetchone()[0]
    page = max(1, page)
    rows = db.execute(f"{_LINE} WHERE {where} ORDER BY s.student_no LIMIT ? OFFSET ?",
                      [*params, per_page, (page - 1) * per_page]).fetchall()
    stages, categories, _ = _labels()
    return StudentPage([_line(r, stages, categories) for r in rows], total, page, per_page)


def student(db: sqlite_utils.Database, student_no: str) -> StudentDetail | None:
    """Everything the school holds on one student, or None if no such 学号."""
    row = db.execute(f"{_LINE} WHERE s.student_no = ?", [student_no]).fetchone()
    if row is None:
        return None
    stages, categories, factors = _labels()
    sid, id_card, gender, tier, graduating, phone, address = db.execute(
        "SELECT id, ifnull(id_card, ''), ifnull(gender, ''), tier, graduating, "
        "ifnull(phone, ''), ifnull(address, '') FROM students WHERE student_no = ?",
        [student_no]).fetchone()
    held = [f for (f,) in db.execute("SELECT factor FROM student_factors WHERE student_id = ?",
                                     [sid])]
    return StudentDetail(
        _line(row, stages, categories), id_card, gender, TIERS[tier].label.zh if tier else "",
        bool(graduating), phone, address, "、".join(factors.get(f, f) for f in sorted(held)),
        cases_of(db, sid), ledger(db, student_no))


def case_student(db: sqlite_utils.Database, case_id: int) -> str | None:
    """The 学号 of a case's student, or None if there is no such case."""
    row = db.execute("SELECT s.student_no FROM cases c JOIN students s ON s.id = c.student_id "
                     "WHERE c.id = ?", [case_id]).fetchone()
    return row[0] if row else None
