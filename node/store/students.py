"""Reading the roster for the school's own screens: counts, pages of students, one student.

The SQL behind node/browse.py (the web pages' and any local screen's view of the roster);
names are read here only to be shown on the school's own PC.
"""

from __future__ import annotations

import sqlite_utils

OPEN = ("applied", "reviewed", "confirmed")
_WHERE = {
    "all": "s.enrolled = 1",
    "difficulty": "s.enrolled = 1 AND EXISTS (SELECT 1 FROM student_categories c "
                  "WHERE c.student_id = s.id)",
    "key": f"EXISTS (SELECT 1 FROM cases k WHERE k.student_id = s.id AND k.status IN {OPEN})",
    "left": "s.enrolled = 0",
}
_LINE = """
SELECT s.student_no, s.name, s.stage, ifnull(s.grade, ''), ifnull(s.class, ''),
       (SELECT group_concat(category, ',') FROM student_categories WHERE student_id = s.id),
       (SELECT status FROM cases WHERE student_id = s.id
        ORDER BY status IN ('applied', 'reviewed', 'confirmed') DESC, id DESC LIMIT 1),
       s.enrolled
FROM students s
"""


def counts(store: sqlite_utils.Database) -> tuple[int, int, int, int]:
    """Enrolled, enrolled in difficulty, confirmed key care targets, cases waiting on a step."""
    enrolled, in_difficulty = store.execute(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM student_categories c "
        "WHERE c.student_id = s.id)) FROM students s WHERE enrolled = 1").fetchone()
    key_care, waiting = store.execute(
        "SELECT count(*) FILTER (WHERE status = 'confirmed'), "
        "count(*) FILTER (WHERE status IN ('applied', 'reviewed')) FROM cases").fetchone()
    return enrolled, in_difficulty, key_care, waiting


def lines(store: sqlite_utils.Database, which: str, search: str, limit: int,
          offset: int) -> tuple[int, list[tuple]]:
    """How many students match, and one page of their lines (see ``_LINE``) by 学号."""
    where = _WHERE.get(which, _WHERE["all"])
    params: list[object] = []
    if search:
        where += " AND (s.student_no LIKE ? OR s.name LIKE ?)"
        params += [f"%{search}%"] * 2
    total = store.execute(f"SELECT count(*) FROM students s WHERE {where}", params).fetchone()[0]
    rows = store.execute(f"{_LINE} WHERE {where} ORDER BY s.student_no LIMIT ? OFFSET ?",
                         [*params, limit, offset]).fetchall()
    return total, rows


def line(store: sqlite_utils.Database, student_no: str) -> tuple | None:
    return store.execute(f"{_LINE} WHERE s.student_no = ?", [student_no]).fetchone()


def details(store: sqlite_utils.Database, student_no: str) -> tuple[tuple, list[str]]:
    """(id, id_card, gender, tier, graduating, phone, address) and the student's factors."""
    row = store.execute(
        "SELECT id, ifnull(id_card, ''), ifnull(gender, ''), tier, graduating, "
        "ifnull(phone, ''), ifnull(address, '') FROM students WHERE student_no = ?",
        [student_no]).fetchone()
    factors = [f for (f,) in store.execute(
        "SELECT factor FROM student_factors WHERE student_id = ?", [row[0]])]
    return row, factors


def case_student_no(store: sqlite_utils.Database, case_id: int) -> str | None:
    row = store.execute("SELECT s.student_no FROM cases c JOIN students s ON s.id = c.student_id "
                        "WHERE c.id = ?", [case_id]).fetchone()
    return row[0] if row else None
