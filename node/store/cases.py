"""The key-care cases (重点关爱对象认定, R-PROC) and the steps of each, as rows.

node/procedure.py owns what a case is and which step may follow which; this module only reads
and writes its tables. Rows carry dates as ISO dates and participants joined by "、".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

CASE_COLUMNS = "id, student_id, route, requester, requested_care, facts, reasons"
STEP_COLUMNS = "case_id, kind, on_date, participants, decision, note"


def cases_by(store: sqlite_utils.Database, column: str, value: int | str) -> list[tuple]:
    """Cases whose ``column`` ("id", "student_id" or "status") is ``value``: rows of
    CASE_COLUMNS, by case number."""
    if column not in ("id", "student_id", "status"):
        raise ValueError(f"cases are looked up by id, student_id or status, not {column!r}")
    return store.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE {column} = ? ORDER BY id",
                         [value]).fetchall()


def steps_of(store: sqlite_utils.Database, case_ids: Sequence[int]) -> list[tuple]:
    """The steps of the given cases, oldest first: rows of STEP_COLUMNS."""
    if not case_ids:
        return []
    marks = ",".join("?" * len(case_ids))
    return store.execute(f"SELECT {STEP_COLUMNS} FROM case_events WHERE case_id IN ({marks})"
                         " ORDER BY id", list(case_ids)).fetchall()


def add_steps(store: sqlite_utils.Database, rows: Sequence[Sequence]) -> None:
    """Append steps: rows of STEP_COLUMNS followed by the UTC stamp they were recorded at."""
    store.conn.executemany(
        f"INSERT INTO case_events ({STEP_COLUMNS}, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [tuple(r) for r in rows])


def add_case(store: sqlite_utils.Database, student_id: int, route: str, requester: str | None,
             requested_care: str | None, facts: str | None, reasons: str | None,
             status: str) -> int:
    """A new case; returns its number."""
    cursor = store.execute(
        "INSERT INTO cases (student_id, route, requester, requested_care, facts, reasons, status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [student_id, route, requester, requested_care, facts, reasons, status])
    return cursor.lastrowid


def update_case(store: sqlite_utils.Database, case_id: int, requester: str | None,
                requested_care: str | None, facts: str | None, reasons: str | None,
                status: str) -> None:
    """Replace what the case says (a re-imported list with more detail)."""
    store.execute("UPDATE cases SET requester = ?, requested_care = ?, facts = ?, reasons = ?,"
                  " status = ? WHERE id = ?",
                  [requester, requested_care, facts, reasons, status, case_id])


def set_status(store: sqlite_utils.Database, case_id: int, status: str) -> None:
    """The case's status after its latest step."""
    store.execute("UPDATE cases SET status = ? WHERE id = ?", [status, case_id])


def case_lines(store: sqlite_utils.Database, status: str | None) -> list[tuple]:
    """Each case (of ``status``, or all) with its student and latest step, for the local
    screen only (names show): (id, student_no, name, route, status, last kind, last date)."""
    return store.execute(
        """SELECT c.id, s.student_no, s.name, c.route, c.status, e.kind, e.on_date
           FROM cases c JOIN students s ON s.id = c.student_id
           JOIN case_events e ON e.id = (SELECT max(id) FROM case_events WHERE case_id = c.id)
           WHERE ? IS NULL OR c.status = ? ORDER BY c.id""", [status, status]).fetchall()
