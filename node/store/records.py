"""What the school records about its students, as rows: care given, aid paid, growth events,
mentors and their assignments (node/records.py owns what each record means and checks it).

Table and column names come from node/records.py's own constants, never from an import file;
values are always bound parameters.
"""

from __future__ import annotations

import sqlite_utils


def upsert(store: sqlite_utils.Database, table: str, key: dict[str, object],
           values: dict[str, object], stamp: dict[str, object] | None = None) -> str:
    """Insert a row by its natural ``key``, or update its other ``values``: "added",
    "updated" or "unchanged".

    A ``note`` in the key compares empty and missing as equal, like the table's unique index;
    ``stamp`` columns (when it was recorded) are written on insert only.
    """
    where = " AND ".join(f"ifnull({c}, '') = ?" if c == "note" else f"{c} = ?" for c in key)
    params = ["" if c == "note" and v is None else v for c, v in key.items()]
    found = store.execute(f"SELECT {', '.join(['id', *values])} FROM {table} WHERE {where}",
                          params).fetchone()
    if found is None:
        row = {**key, **values, **(stamp or {})}
        store.execute(f"INSERT INTO {table} ({', '.join(row)}) "
                      f"VALUES ({', '.join('?' * len(row))})", list(row.values()))
        return "added"
    if list(found[1:]) == list(values.values()):
        return "unchanged"
    store.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in values)} WHERE id = ?",
                  [*values.values(), found[0]])
    return "updated"


def mentor_id(store: sqlite_utils.Database, staff_no: str) -> int:
    """The row id of the mentor with 工号 ``staff_no`` (who must exist)."""
    return store.execute("SELECT id FROM mentors WHERE staff_no = ?", [staff_no]).fetchone()[0]


def appoint(store: sqlite_utils.Database, mentor: int, period: str) -> bool:
    """The mentor is appointed for ``period``; whether that is new."""
    return bool(store.execute("INSERT OR IGNORE INTO mentor_terms (mentor_id, period) "
                              "VALUES (?, ?)", [mentor, period]).rowcount)


def assign(store: sqlite_utils.Database, mentor: int, student_id: int, period: str) -> bool:
    """The mentor is assigned the student for ``period``; whether that is new."""
    return bool(store.execute("INSERT OR IGNORE INTO mentor_assignments (mentor_id, student_id, "
                              "period) VALUES (?, ?, ?)", [mentor, student_id, period]).rowcount)


def care_of(store: sqlite_utils.Database, student_id: int) -> list[tuple]:
    """(kind, on_date, quantity, note) of every care record of the student."""
    return store.execute("SELECT kind, on_date, quantity, note FROM care_records "
                         "WHERE student_id = ?", [student_id]).fetchall()


def aid_of(store: sqlite_utils.Database, student_id: int) -> list[tuple]:
    """(item, on_date, amount in yuan, highest tier) of every aid record of the student."""
    return store.execute("SELECT item, on_date, amount, highest_tier FROM aid_records "
                         "WHERE student_id = ?", [student_id]).fetchall()


def growth_of(store: sqlite_utils.Database, student_id: int) -> list[tuple]:
    """(on_date, kind, description) of every growth event of the student."""
    return store.execute("SELECT on_date, kind, description FROM growth_events "
                         "WHERE student_id = ?", [student_id]).fetchall()
