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


# --- the roster as imports write it (node/roster.py owns what a row means)

FIELDS = ("student_no, name, id_card, gender, stage, grade, class, tier, graduating, phone, "
          "address")


def all_students(store: sqlite_utils.Database) -> list[tuple]:
    """(id, FIELDS…, enrolled) of every student ever on the roster."""
    return store.execute(f"SELECT id, {FIELDS}, enrolled FROM students").fetchall()


def keys(store: sqlite_utils.Database) -> list[tuple]:
    """(id, 学号, name, ID number, stage, enrolled) of every student: what rows are matched by."""
    return store.execute("SELECT id, student_no, name, id_card, stage, enrolled FROM students"
                         ).fetchall()


def enrolled_people(store: sqlite_utils.Database) -> list[tuple]:
    """(学号, name, gender, grade, class, ID number) of the enrolled students, to find a child
    entered twice."""
    return store.execute("SELECT student_no, name, gender, grade, class, id_card FROM students "
                         "WHERE enrolled = 1").fetchall()


def identifiers(store: sqlite_utils.Database) -> list[tuple]:
    """(name, ID number, 学号, phone) of every student: what screening looks for in free text."""
    return store.execute("SELECT name, id_card, student_no, phone FROM students").fetchall()


def categories(store: sqlite_utils.Database, student_id: int | None = None) -> list[tuple]:
    """(student id, category, source) of every student's categories, or of one student's."""
    if student_id is None:
        return store.execute("SELECT student_id, category, source FROM student_categories"
                             ).fetchall()
    return store.execute("SELECT student_id, category, source FROM student_categories "
                         "WHERE student_id = ?", [student_id]).fetchall()


def factors(store: sqlite_utils.Database) -> list[tuple]:
    """(student id, factor) of every student's stacked factors."""
    return store.execute("SELECT student_id, factor FROM student_factors").fetchall()


def add_students(store: sqlite_utils.Database, rows: list[tuple], at: str) -> dict[str, int]:
    """Add students (each a tuple of FIELDS), enrolled, stamped ``at``; 学号 → id of all."""
    store.conn.executemany(f"INSERT INTO students ({FIELDS}, enrolled, updated_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                           [(*row, at) for row in rows])
    return dict(store.execute("SELECT student_no, id FROM students").fetchall()) if rows else {}


def update_students(store: sqlite_utils.Database, rows: list[tuple[int, tuple]], at: str) -> None:
    """Replace the FIELDS of students (id, fields) and mark them enrolled, stamped ``at``."""
    assignments = ", ".join(f"{c.strip()} = ?" for c in FIELDS.split(","))
    store.conn.executemany(f"UPDATE students SET {assignments}, enrolled = 1, updated_at = ? "
                           "WHERE id = ?", [(*fields, at, sid) for sid, fields in rows])


def replace_roster_marks(store: sqlite_utils.Database, category_drops: list[tuple],
                         category_adds: list[tuple], factor_drops: list[tuple],
                         factor_adds: list[tuple]) -> None:
    """Drop and add the roster's categories (student id, category[, since]) and factors
    (student id, factor); categories the aid system pushed (source auto) are left alone."""
    store.conn.executemany("DELETE FROM student_categories WHERE student_id = ? AND "
                           "category = ? AND source = 'roster'", category_drops)
    store.conn.executemany("INSERT OR IGNORE INTO student_categories (student_id, category, "
                           "source, since) VALUES (?, ?, 'roster', ?)", category_adds)
    store.conn.executemany("DELETE FROM student_factors WHERE student_id = ? AND factor = ?",
                           factor_drops)
    store.conn.executemany("INSERT INTO student_factors (student_id, factor) VALUES (?, ?)",
                           factor_adds)


def push_category(store: sqlite_utils.Database, student_id: int, category: str,
                  since: str | None) -> None:
    """The aid system pushed ``category``: added (``since`` its date) or marked as pushed."""
    if since is not None:
        store.execute("INSERT INTO student_categories (student_id, category, source, since) "
                      "VALUES (?, ?, 'auto', ?)", [student_id, category, since])
    else:
        store.execute("UPDATE student_categories SET source = 'auto' "
                      "WHERE student_id = ? AND category = ?", [student_id, category])


def mark_left(store: sqlite_utils.Database, gone: list[tuple[str, int]]) -> None:
    """Students (stamp, id) who have left the school."""
    store.conn.executemany("UPDATE students SET enrolled = 0, updated_at = ? WHERE id = ?", gone)
