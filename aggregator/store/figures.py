"""The figures store (数据立方): each held report's cells as rows, so figures are a few indexed
reads instead of parsing every signed report of a period on every request.

One row per (period, unit) in ``figure_units`` (the unit's membership counts and where it came
from) and one per (period, unit, cell) in ``figure_cells`` (value and noise variance); a cell
that is 0 with no noise (a stage the school does not teach) has no row and reads as 0. Which
report a unit's row holds is decided in aggregator/figures/cube.py, in the transaction that
accepts a submission or records a return; this module only reads and writes rows, and counts
each period's changes (``bump_generation``: what tells a kept official table it is stale). Every
statement is portable SQL (no upsert dialect, no SQLite functions), so PostgreSQL can answer the
same queries (docs/aggregator.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from aggregator.store.connection import SqliteConnection


class FigureUnit(NamedTuple):
    """What is held of one unit (school or region) for one period, besides its cells.

    A named tuple, not a dataclass: a trend reads a thousand of them per call, and a tuple is
    made four times faster."""

    period: str
    unit: str
    level: str
    region: str
    direct: bool
    source: str
    kind: str
    members: int
    missing: int
    schools: int
    catalogue_version: str
    log_index: int
    report_sha256: bytes


@dataclass(frozen=True)
class CellSums:
    """Cells summed over some units: {cell position: value}, {cell position: variance}, and
    how many units and school reports are behind them."""

    values: dict[int, int]
    variances: dict[int, float]
    units: int
    schools: int


class FigureStore(Protocol):
    """Rows of held figures by period and unit; sums over a period's direct members."""

    def put_figure(self, unit: FigureUnit, cells: Sequence[tuple[int, int, float]]) -> None: ...
    def delete_figure(self, period: str, unit: str) -> None: ...
    def figure_unit(self, period: str, unit: str) -> FigureUnit | None: ...
    def figure_units(self, period: str, level: str | None = None) -> list[FigureUnit]: ...
    def figure_units_in(self, periods: Sequence[str], level: str | None = None
                        ) -> list[FigureUnit]: ...
    def direct_units(self, period: str) -> list[str]: ...
    def figure_region(self, unit: str) -> str | None: ...
    def figure_units_from(self, period: str, source: str) -> list[str]: ...
    def figure_cells(self, period: str, units: Sequence[str], cells: Sequence[int] | None
                     ) -> dict[str, tuple[dict[int, int], dict[int, float]]]: ...
    def figure_cells_in(self, periods: Sequence[str], units: Sequence[str],
                        cells: Sequence[int] | None
                        ) -> dict[tuple[str, str], tuple[dict[int, int], dict[int, float]]]: ...
    def direct_sums(self, period: str, prefix: str | None, cells: Sequence[int] | None
                    ) -> CellSums: ...
    def figure_versions(self, period: str) -> list[str]: ...
    def figure_versions_in(self, periods: Sequence[str]) -> dict[str, list[str]]: ...
    def figure_periods(self) -> list[str]: ...
    def figures_current(self) -> bool: ...
    def clear_figures(self) -> None: ...
    def carriers(self, period: str, unit: str) -> list[tuple[str, int, bytes, bytes]]: ...
    def bump_generation(self, period: str) -> int: ...
    def figure_generation(self, period: str) -> int: ...
    def figure_generations(self) -> dict[str, int]: ...


FIGURES_VERSION = "1"  # meta 'figures': the store follows the rule of aggregator/figures/cube.py

_UNIT = ("period, unit, level, region, direct, source, kind, members, missing, schools,"
         " catalogue_version, log_index, report_sha256")
CHUNK = 500  # bound parameters per IN list, below every database's limit


def _unit(r: tuple) -> FigureUnit:
    return FigureUnit(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8], r[9], r[10],
                      r[11], bytes(r[12]))


def _in(column: str, count: int) -> str:
    return f"{column} IN ({','.join('?' * count)})"


def _chunks(items: Sequence, size: int = CHUNK) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


class SqliteFigures(SqliteConnection):
    """FigureStore over ``figure_units`` and ``figure_cells``."""

    def put_figure(self, unit: FigureUnit, cells: Sequence[tuple[int, int, float]]) -> None:
        """Replace the unit's row and its cells, (position, value, variance) each; a cell left
        out reads as 0 with variance 0 (call inside a transaction)."""
        self.delete_figure(unit.period, unit.unit)
        self._run(f"INSERT INTO figure_units ({_UNIT}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  [unit.period, unit.unit, unit.level, unit.region, int(unit.direct),
                   unit.source, unit.kind, unit.members, unit.missing, unit.schools,
                   unit.catalogue_version, unit.log_index, unit.report_sha256])
        self._many("INSERT INTO figure_cells (period, unit, cell, value, variance)"
                   " VALUES (?,?,?,?,?)",
                   [(unit.period, unit.unit, i, int(v), float(w)) for i, v, w in cells])

    def delete_figure(self, period: str, unit: str) -> None:
        self._run("DELETE FROM figure_cells WHERE period = ? AND unit = ?", [period, unit])
        self._run("DELETE FROM figure_units WHERE period = ? AND unit = ?", [period, unit])

    def figure_unit(self, period: str, unit: str) -> FigureUnit | None:
        row = self._one(f"SELECT {_UNIT} FROM figure_units WHERE period = ? AND unit = ?",
                        [period, unit])
        return _unit(row) if row else None

    def figure_units(self, period: str, level: str | None = None) -> list[FigureUnit]:
        """Every unit held for the period (of one level if given), by code."""
        return self.figure_units_in([period], level)

    def figure_units_in(self, periods: Sequence[str], level: str | None = None
                        ) -> list[FigureUnit]:
        """Every unit held for any of the periods (of one level if given), by period then
        code: one indexed read however many periods are asked (a trend)."""
        if not periods:
            return []
        sql = f"SELECT {_UNIT} FROM figure_units WHERE {_in('period', len(periods))}"
        params = list(periods)
        if level is not None:
            sql, params = sql + " AND level = ?", [*params, level]
        # sorted here: an ORDER BY would tempt the planner to walk the whole period by unit
        return sorted((_unit(r) for r in self._all(sql, params)),
                      key=lambda u: (u.period, u.unit))

    def direct_units(self, period: str) -> list[str]:
        """The period's members held here by their own submission (not forwarded), by code."""
        return sorted(r[0] for r in self._all("SELECT unit FROM figure_units WHERE period = ? "
                                              "AND direct = 1", [period]))

    def figure_region(self, unit: str) -> str | None:
        """The region (a school's county) of a unit held in any period."""
        row = self._one("SELECT region FROM figure_units WHERE unit = ? ORDER BY period DESC",
                        [unit])
        return row[0] if row else None

    def figure_units_from(self, period: str, source: str) -> list[str]:
        """The units whose row a member's submission carries (itself included), by code."""
        rows = self._all("SELECT unit FROM figure_units WHERE period = ? AND source = ?"
                         " ORDER BY unit", [period, source])
        return [r[0] for r in rows]

    def figure_cells(self, period: str, units: Sequence[str], cells: Sequence[int] | None
                     ) -> dict[str, tuple[dict[int, int], dict[int, float]]]:
        """{unit: ({cell: value}, {cell: variance})} of the units held; all cells if None."""
        return {unit: held for (_, unit), held
                in self.figure_cells_in([period], units, cells).items()}

    def figure_cells_in(self, periods: Sequence[str], units: Sequence[str],
                        cells: Sequence[int] | None
                        ) -> dict[tuple[str, str], tuple[dict[int, int], dict[int, float]]]:
        """{(period, unit): ({cell: value}, {cell: variance})} of the units held in any of the
        periods; all cells if None. One read of the primary key per 500 units with every
        period and cell asked at once, so a trend of ten periods is one query, not ten."""
        found: dict[tuple[str, str], tuple[dict[int, int], dict[int, float]]] = {}
        if not periods or not units or (cells is not None and not cells):
            return found
        for part in _chunks(list(units)):
            sql = f"SELECT period, unit, cell, value, variance FROM figure_cells WHERE " \
                  f"{_in('period', len(periods))} AND {_in('unit', len(part))}"
            params = [*periods, *part]
            if cells is not None:
                sql += f" AND {_in('cell', len(cells))}"
                params += list(cells)
            for period, unit, cell, value, variance in self._all(sql, params):
                held = found.get((period, unit))
                if held is None:  # not setdefault: it would make two dicts for every row
                    held = found[period, unit] = ({}, {})
                held[0][cell], held[1][cell] = value, variance
        return found

    def direct_sums(self, period: str, prefix: str | None, cells: Sequence[int] | None
                    ) -> CellSums:
        """Cells summed over the period's direct members; with ``prefix``, over the direct
        rollups whose region code starts with it (the regions within a city or province).

        Two indexed reads, the members then their cells, summed here in member order: a plan
        that every database runs the same way, whatever it knows of the tables' sizes."""
        where, params = "period = ? AND direct = 1", [period]
        if prefix is not None:
            where += " AND kind = 'rollup' AND unit LIKE ?"
            params.append(prefix + "%")
        members = sorted(self._all(f"SELECT unit, schools FROM figure_units WHERE {where}",
                                   params))
        found = self.figure_cells(period, [m[0] for m in members], cells)
        values: dict[int, int] = {}
        variances: dict[int, float] = {}
        for unit, _ in members:
            held_values, held_variances = found.get(unit, ({}, {}))
            for cell, value in held_values.items():
                values[cell] = values.get(cell, 0) + value
                variances[cell] = variances.get(cell, 0.0) + held_variances[cell]
        return CellSums(values, variances, len(members), sum(m[1] for m in members))

    def figure_versions(self, period: str) -> list[str]:
        """The catalogue versions of the period's members' reports (a rollup and the reports it
        carries share one: aggregator/rollup/build.py refuses to mix them)."""
        return self.figure_versions_in([period]).get(period, [])

    def figure_versions_in(self, periods: Sequence[str]) -> dict[str, list[str]]:
        """``figure_versions`` of several periods in one read: {period: versions}, a period
        with nothing held left out."""
        found: dict[str, list[str]] = {}
        if not periods:
            return found
        rows = self._all("SELECT DISTINCT period, catalogue_version FROM figure_units WHERE "
                         f"{_in('period', len(periods))} AND direct = 1 ORDER BY 1, 2",
                         list(periods))
        for period, version in rows:
            found.setdefault(period, []).append(version)
        return found

    def figures_current(self) -> bool:
        """Whether the figures store was kept since the log began (meta 'figures'); a store
        with an empty log is marked so, as an empty figures store is its rebuild."""
        if self.get_meta("figures") == FIGURES_VERSION:
            return True
        if self._one("SELECT COUNT(*) FROM submissions")[0] == 0:
            self.set_meta("figures", FIGURES_VERSION)
            return True
        return False

    def figure_periods(self) -> list[str]:
        return [r[0] for r in self._all("SELECT DISTINCT period FROM figure_units ORDER BY 1")]

    def clear_figures(self) -> None:
        self._run("DELETE FROM figure_cells")
        self._run("DELETE FROM figure_units")

    def bump_generation(self, period: str) -> int:
        """Count one more change of the period's figures; the new generation (call inside the
        transaction that changes them). Check-then-write, no upsert dialect."""
        if self._run("UPDATE figure_generations SET generation = generation + 1"
                     " WHERE period = ?", [period]) == 0:
            self._run("INSERT INTO figure_generations (period, generation) VALUES (?, 1)",
                      [period])
        return self.figure_generation(period)

    def figure_generation(self, period: str) -> int:
        """How many times the period's figures changed (0: never since the count began)."""
        row = self._one("SELECT generation FROM figure_generations WHERE period = ?", [period])
        return row[0] if row else 0

    def figure_generations(self) -> dict[str, int]:
        """{period: generation} of every period whose figures changed since the count began:
        one read of a table of a row per period, cheap enough to poll."""
        return dict(self._all("SELECT period, generation FROM figure_generations"))

    def carriers(self, period: str, unit: str) -> list[tuple[str, int, bytes, bytes]]:
        """(member, its submission's log index, SHA-256, SignedReport) of every submission
        here that forwarded a report of ``unit`` for the period, by member then revision."""
        rows = self._all("SELECT s.sender_id, s.log_index, f.report_sha256, f.signed FROM "
                         "forwarded f JOIN submissions s ON s.log_index = f.log_index WHERE "
                         "f.sender_id = ? AND f.period = ? ORDER BY s.sender_id, f.revision",
                         [unit, period])
        return [(r[0], r[1], bytes(r[2]), bytes(r[3])) for r in rows]
