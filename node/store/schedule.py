"""What the daemon's latest check of each period found (node/daemon.py), for `guanai node
status` and so that a problem is logged again only when it changes or after a while."""

from __future__ import annotations

import sqlite_utils


def check(store: sqlite_utils.Database, period: str) -> tuple[str | None, str] | None:
    """(problem or None, when it was last logged) of the period's latest check, if any."""
    row = store.execute("SELECT problem, logged_at FROM schedule_checks WHERE period = ?",
                        [period]).fetchone()
    return None if row is None else (row[0], row[1])


def set_check(store: sqlite_utils.Database, period: str, problem: str | None, at: str) -> None:
    """Keep the latest check of the period and when it was logged (a UTC stamp)."""
    store.execute("INSERT OR REPLACE INTO schedule_checks VALUES (?,?,?)", [period, problem, at])


def problems(store: sqlite_utils.Database) -> dict[str, str | None]:
    """Period → the problem its latest check found (None: ready)."""
    return dict(store.execute("SELECT period, problem FROM schedule_checks").fetchall())
