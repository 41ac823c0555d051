"""监测预警 Monitoring warnings kept here (docs/warnings.md): those judged here and those received
from above, the periods judged, and the responses to warnings, with their delivery times.

aggregator/warnings/ uses them through ``WarningStore``; ``SqliteWarnings`` is the SQLite
implementation mixed into the Store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection


@dataclass(frozen=True)
class StoredWarning:
    warning_id: str
    issuer: str
    period: str
    rule_id: str
    region: str
    status: str
    since: str
    signed: bytes
    recorded_at: str
    delivered_at: str | None


@dataclass(frozen=True)
class StoredResponse:
    warning_id: str
    responded_unix_ms: int
    responder: str
    action: str
    signed: bytes
    sent_at: str | None


class WarningStore(Protocol):
    """Signed warnings by id, warning runs by period, signed responses by (warning, time)."""

    def put_warning(self, w: StoredWarning) -> None: ...
    def warning(self, warning_id: str) -> StoredWarning | None: ...
    def warnings(self, issuer: str | None = None,
                 period: str | None = None) -> list[StoredWarning]: ...
    def delete_warning(self, warning_id: str) -> None: ...
    def set_warning_delivered(self, warning_id: str, at: str) -> None: ...
    def add_warning_run(self, period: str, rules_version: str, at: str) -> None: ...
    def warning_runs(self) -> list[str]: ...
    def add_warning_response(self, r: StoredResponse) -> None: ...
    def warning_responses(self, warning_id: str | None = None) -> list[StoredResponse]: ...
    def period_responses(self, period: str) -> list[StoredResponse]: ...
    def set_response_sent(self, warning_id: str, responded_unix_ms: int, at: str) -> None: ...


def _warning(row: tuple) -> StoredWarning:
    values = list(row)
    values[7] = bytes(values[7])
    return StoredWarning(*values)


def _response(r: tuple) -> StoredResponse:
    return StoredResponse(r[0], r[1], r[2], r[3], bytes(r[4]), r[5])


class SqliteWarnings(SqliteConnection):
    """WarningStore over ``warnings``, ``warning_runs`` and ``warning_responses``."""

    def put_warning(self, w: StoredWarning) -> None:
        self._run("INSERT OR REPLACE INTO warnings VALUES (?,?,?,?,?,?,?,?,?,?)",
                  [w.warning_id, w.issuer, w.period, w.rule_id, w.region, w.status, w.since,
                   w.signed, w.recorded_at, w.delivered_at])

    def warning(self, warning_id: str) -> StoredWarning | None:
        row = self._one("SELECT * FROM warnings WHERE warning_id = ?", [warning_id])
        return _warning(row) if row else None

    def warnings(self, issuer: str | None = None, period: str | None = None) -> list[StoredWarning]:
        sql, params = "SELECT * FROM warnings WHERE 1 = 1", []
        for column, value in (("issuer", issuer), ("period", period)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self._all(sql + " ORDER BY period, region, rule_id", params)
        return [_warning(row) for row in rows]

    def delete_warning(self, warning_id: str) -> None:
        self._run("DELETE FROM warnings WHERE warning_id = ?", [warning_id])

    def set_warning_delivered(self, warning_id: str, at: str) -> None:
        self._run("UPDATE warnings SET delivered_at = ? WHERE warning_id = ?", [at, warning_id])

    def add_warning_run(self, period: str, rules_version: str, at: str) -> None:
        self._run("INSERT OR REPLACE INTO warning_runs VALUES (?,?,?)", [period, rules_version, at])

    def warning_runs(self) -> list[str]:
        """The periods judged here."""
        return [row[0] for row in self._all("SELECT period FROM warning_runs")]

    def add_warning_response(self, r: StoredResponse) -> None:
        self._run("INSERT OR REPLACE INTO warning_responses VALUES (?,?,?,?,?,?)",
                  [r.warning_id, r.responded_unix_ms, r.responder, r.action, r.signed, r.sent_at])

    def warning_responses(self, warning_id: str | None = None) -> list[StoredResponse]:
        sql, params = "SELECT * FROM warning_responses", []
        if warning_id is not None:
            sql, params = sql + " WHERE warning_id = ?", [warning_id]
        rows = self._all(sql + " ORDER BY warning_id, responded_unix_ms", params)
        return [_response(r) for r in rows]

    def period_responses(self, period: str) -> list[StoredResponse]:
        """The responses to the warnings of ``period`` (judged here or received), in one read."""
        rows = self._all("SELECT r.* FROM warning_responses r JOIN warnings w USING (warning_id) "
                         "WHERE w.period = ? ORDER BY r.warning_id, r.responded_unix_ms",
                         [period])
        return [_response(r) for r in rows]

    def set_response_sent(self, warning_id: str, responded_unix_ms: int, at: str) -> None:
        self._run("UPDATE warning_responses SET sent_at = ? WHERE warning_id = ? AND "
                  "responded_unix_ms = ?", [at, warning_id, responded_unix_ms])
