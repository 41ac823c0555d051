"""The reporting calendar's records (docs/calendar.md): deadlines, staff credentials, signed
decisions, exceptions after the lock, returns for correction, and each submission's mark.

aggregator/calendar/ uses them through ``CalendarStore``; ``SqliteCalendar`` is the SQLite
implementation mixed into the Store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection


@dataclass(frozen=True)
class Staff:
    key_id: str
    name: str
    public_key: bytes
    added_at: str


@dataclass(frozen=True)
class Decision:
    kind: str
    member_id: str | None
    period: str | None
    made_at: str
    credential: str
    record: bytes
    signature: bytes
    id: int | None = None


@dataclass(frozen=True)
class Return:
    member_id: str
    period: str
    revision: int
    reason: str
    returned_at: str
    decision_id: int


class CalendarStore(Protocol):
    """Deadlines and locks (UTC ISO 8601), staff, decisions, exceptions, returns, marks."""

    def deadlines(self, period: str) -> tuple[str, str] | None: ...
    def set_deadlines(self, period: str, due: str, lock: str) -> None: ...
    def add_staff(self, staff: Staff) -> None: ...
    def staff(self) -> list[Staff]: ...
    def add_decision(self, d: Decision) -> int: ...
    def decisions(self, member_id: str | None = None,
                  period: str | None = None) -> list[Decision]: ...
    def set_exception(self, member_id: str, period: str, until: str, decision_id: int) -> None: ...
    def exception(self, member_id: str, period: str) -> tuple[str, int] | None: ...
    def add_return(self, r: Return) -> None: ...
    def returns(self, period: str, member_id: str | None = None) -> list[Return]: ...
    def add_mark(self, log_index: int, timeliness: str, exception: int | None) -> None: ...
    def mark(self, log_index: int) -> tuple[str, int | None] | None: ...


class SqliteCalendar(SqliteConnection):
    """CalendarStore over ``deadlines``, ``staff``, ``decisions``, ``exceptions``, ``returns``,
    ``marks``."""

    def deadlines(self, period: str) -> tuple[str, str] | None:
        row = self._one("SELECT due, lock FROM deadlines WHERE period = ?", [period])
        return (row[0], row[1]) if row else None

    def set_deadlines(self, period: str, due: str, lock: str) -> None:
        self._run("INSERT OR REPLACE INTO deadlines VALUES (?,?,?)", [period, due, lock])

    def add_staff(self, staff: Staff) -> None:
        self._run("INSERT INTO staff VALUES (?,?,?,?)",
                  [staff.key_id, staff.name, staff.public_key, staff.added_at])

    def staff(self) -> list[Staff]:
        rows = self._all("SELECT * FROM staff ORDER BY added_at, key_id")
        return [Staff(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def add_decision(self, d: Decision) -> int:
        return self._insert(
            "INSERT INTO decisions (kind, member_id, period, made_at, credential, record,"
            " signature) VALUES (?,?,?,?,?,?,?)",
            [d.kind, d.member_id, d.period, d.made_at, d.credential, d.record, d.signature])

    def decisions(self, member_id: str | None = None, period: str | None = None) -> list[Decision]:
        rows = self._all(
            "SELECT * FROM decisions WHERE (?1 IS NULL OR member_id = ?1)"
            " AND (?2 IS NULL OR period = ?2) ORDER BY id", [member_id, period])
        return [Decision(*r[1:6], bytes(r[6]), bytes(r[7]), r[0]) for r in rows]

    def set_exception(self, member_id: str, period: str, until: str, decision_id: int) -> None:
        self._run("INSERT OR REPLACE INTO exceptions VALUES (?,?,?,?)",
                  [member_id, period, until, decision_id])

    def exception(self, member_id: str, period: str) -> tuple[str, int] | None:
        """(until, decision id) of the exception granted to the member for the period."""
        row = self._one("SELECT until, decision_id FROM exceptions WHERE member_id = ?"
                        " AND period = ?", [member_id, period])
        return (row[0], row[1]) if row else None

    def add_return(self, r: Return) -> None:
        self._run("INSERT INTO returns VALUES (?,?,?,?,?,?)",
                  [r.member_id, r.period, r.revision, r.reason, r.returned_at, r.decision_id])

    def returns(self, period: str, member_id: str | None = None) -> list[Return]:
        rows = self._all("SELECT * FROM returns WHERE period = ?1 AND (?2 IS NULL OR"
                         " member_id = ?2) ORDER BY returned_at", [period, member_id])
        return [Return(*r) for r in rows]

    def add_mark(self, log_index: int, timeliness: str, exception: int | None) -> None:
        self._run("INSERT INTO marks VALUES (?,?,?)", [log_index, timeliness, exception])

    def mark(self, log_index: int) -> tuple[str, int | None] | None:
        row = self._one("SELECT timeliness, exception FROM marks WHERE log_index = ?", [log_index])
        return (row[0], row[1]) if row else None
