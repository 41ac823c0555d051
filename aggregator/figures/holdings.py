"""What an aggregator holds for one period, and the figures of any region or school below it.

An aggregator holds its members' latest reports and, for members that are rollups, the
signed reports of every member below them, forwarded with the rollup. So a province can give
the figures of itself (the sum of its members), of any county or city (that aggregator's
rollup, or the sum of the rollups within a city that has no aggregator of its own) and of any
school (its own report). A county's figures are its rollup: the schools its bureau is
responsible for; schools that report straight to the province are not in it. A report returned
for correction is not counted until its next revision (as in rollups and completeness).

Everything is read from the figures store (aggregator/store/figures.py), kept current as
reports arrive (aggregator/figures/cube.py): building a ``Holdings`` reads nothing but the
members, and each figure is a few indexed reads of only the cells asked for. A trend reads
several periods together (``Span``): the members once, and each kind of row of all its periods
in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from aggregator.warnings.rules import Figures
from common.errors import GuanaiError
from privacy.envelope import parse_signed
from protos.catalogue import Catalogue, load
from protos.periods import Period
from protos.regions import level as region_level

if TYPE_CHECKING:  # the query client imports this module: it opens no store
    from aggregator.keys.own_identity import Settings
    from aggregator.store.figures import FigureUnit
    from aggregator.store.sqlite import Member, Store

RANKS = {"province": 0, "city": 1, "county": 2, "school": 3}
PREFIX = {"province": 2, "city": 4, "county": 6}


level = lru_cache(maxsize=65536)(region_level)  # province, city or county of a region code


class HoldingsError(GuanaiError):
    """Reports that cannot be read together (e.g. of different catalogue versions)."""


def is_school(unit: str) -> bool:
    return len(unit) == 10


def level_of(unit: str) -> str:
    """school for a 学校标识码, else the level of the region code."""
    return "school" if is_school(unit) else level(unit)


@lru_cache(maxsize=4096)
def region_prefix(code: str) -> str:
    """The leading digits every code within region ``code`` shares (61, 6101, 610102)."""
    return code[:PREFIX[level(code)]]


def region_within(code: str, scope: str) -> bool:
    """Whether region ``code`` is ``scope`` or lies below it (region codes only)."""
    if code == scope:
        return True
    if RANKS[level(code)] <= RANKS[level(scope)]:
        return False
    n = PREFIX[level(scope)]
    return code[:n] == scope[:n]


def region_of(store: Store, unit: str) -> str | None:
    """A school's county, from its enrolment or a report of it held here; a region's code."""
    if not is_school(unit):
        return unit
    member = store.member(unit)
    if member is not None:
        return member.region
    held = store.figure_region(unit)
    if held is not None:
        return held
    for signed in store.signed_reports_of(unit):
        return parse_signed(signed)[1].region_code
    return None


class Holdings:
    """The figures held for one period. ``figures(unit, cells)`` reads only the cells asked."""

    def __init__(self, store: Store, settings: Settings, period: Period, *,
                 members: dict[str, Member] | None = None,
                 versions: list[str] | None = None) -> None:
        """``members`` (by id) and ``versions`` (the period's catalogue versions) are read
        from the store unless given, as ``Span`` gives them for several periods read at once.
        HoldingsError if the period's reports mix catalogue versions."""
        self.store = store
        self._settings = settings
        self.region = settings.region
        self.period = period
        self.members: dict[str, Member] = (
            members if members is not None else {m.member_id: m for m in store.members()})
        if versions is None:
            versions = store.figure_versions(period.code)
        if len(versions) > 1:
            raise HoldingsError(f"目录版本不一 reports of {period} use catalogue versions "
                                f"{versions}")
        self.catalogue: Catalogue = load(versions[0]) if versions else load()
        self._ids = [c.id for c in self.catalogue.cells]
        self._index = {cell: i for i, cell in enumerate(self._ids)}
        self._rows: dict[str, FigureUnit] = {}  # held rows read so far, by unit
        self._levels: set[str] = set()  # levels whose held rows are all in _rows

    def unread(self) -> Holdings:
        """The same store, region and period with nothing read yet: what changed since this
        one read its rows is seen (a making of official tables reads the generation first)."""
        return Holdings(self.store, self._settings, self.period)

    def _load(self, levels: Iterable[str]) -> None:
        """Read the held rows of whole levels once (for ``units`` and the figures after it)."""
        for name in set(levels) - self._levels:
            self._rows.update((u.unit, u) for u in self.store.figure_units(self.period.code, name))
            self._levels.add(name)

    def _row(self, unit: str) -> FigureUnit | None:
        if unit in self._rows or level_of(unit) in self._levels:
            return self._rows.get(unit)
        row = self.store.figure_unit(self.period.code, unit)
        if row is not None:
            self._rows[unit] = row
        return row

    @property
    def direct(self) -> list[str]:
        """The members whose own submission of the period is held here (schools reporting to
        this aggregator and member aggregators' rollups), by code."""
        return self.store.direct_units(self.period.code)

    # --- where things are
    def region_of(self, unit: str) -> str | None:
        """A school's county (from its report or enrolment); a region code is its own."""
        if not is_school(unit):
            return unit
        row = self._row(unit)
        if row is not None:
            return row.region
        member = self.members.get(unit)
        return member.region if member else None

    def within(self, unit: str, scope: str) -> bool:
        """Whether ``unit`` (a region or school) lies in ``scope`` (a region or school)."""
        if unit == scope:
            return True
        if is_school(scope) or RANKS[level_of(unit)] <= RANKS[level_of(scope)]:
            return False
        region = self.region_of(unit)
        return region is not None and region_within(region, scope)

    def _known(self, level_name: str) -> set[str]:
        """Every region or school of a level known here (held, enrolled, or a held county's
        city), wherever it lies."""
        self._load({level_name, "county"} if level_name == "city" else {level_name})
        known = {self.region, *self._rows, *self.members}
        known |= {u[:4] + "00" for u in list(known) if not is_school(u) and level(u) == "county"}
        return {u for u in known if level_of(u) == level_name}

    def units(self, level_name: str, scope: str) -> list[str]:
        """Every region or school of a level known here within ``scope``, by code."""
        return sorted(u for u in self._known(level_name) if self.within(u, scope)
                      and self.within(u, self.region))

    # --- figures
    def _positions(self, cells: Iterable[str] | None) -> list[int] | None:
        return None if cells is None else sorted({self._index[c] for c in cells})

    def _figures(self, unit: str, values: dict[int, int], variances: dict[int, float],
                 positions: Sequence[int] | None, members: int, missing: int,
                 schools: int) -> Figures:
        ids = self._ids
        wanted = range(len(ids)) if positions is None else positions
        return Figures(unit, level_of(unit), {ids[i]: float(values.get(i, 0)) for i in wanted},
                       {ids[i]: float(variances.get(i, 0.0)) for i in wanted}, members, missing,
                       schools)

    def figures(self, unit: str, cells: Iterable[str] | None = None) -> Figures | None:
        """The figures of a region or school, or None if nothing is held or enrolled for it.

        ``cells``: the catalogue cell ids wanted (default all); the others are left out."""
        return self.figures_of([unit], cells)[unit]

    def figures_of(self, units: Sequence[str], cells: Iterable[str] | None = None
                   ) -> dict[str, Figures | None]:
        """``figures`` of several units, reading the held rows of them all at once."""
        positions = self._positions(cells)
        rows = self._held(units)
        held = self.store.figure_cells(self.period.code, list(rows), positions) if rows else {}
        return self._assemble(units, rows, held, positions)

    def _held(self, units: Sequence[str]) -> dict[str, FigureUnit]:
        """The held rows of those units that have one (the aggregator's own region has none:
        it is the sum of its direct members)."""
        rows = {}
        for unit in units:
            row = self._row(unit)  # this aggregator's own region: its published figure, if any
            if row is not None:
                rows[unit] = row
        return rows

    def _assemble(self, units: Sequence[str], rows: dict[str, FigureUnit],
                  held: dict[str, tuple[dict[int, int], dict[int, float]]],
                  positions: Sequence[int] | None) -> dict[str, Figures | None]:
        """The figures of ``units`` from their held ``rows`` and those rows' cells ``held``."""
        period = self.period.code
        found: dict[str, Figures | None] = {}
        for unit in units:
            if unit == self.region and unit not in rows:
                sums = self.store.direct_sums(period, None, positions)
                found[unit] = self._figures(unit, sums.values, sums.variances, positions,
                                            sums.units, len(self.members) - sums.units,
                                            sums.schools)
            elif unit in rows:
                row = rows[unit]
                values, variances = held.get(unit, ({}, {}))
                found[unit] = self._figures(unit, values, variances, positions, row.members,
                                            row.missing, row.schools)
            elif is_school(unit):
                found[unit] = (self._figures(unit, {}, {}, positions, 0, 1, 0)
                               if unit in self.members else None)
            else:
                found[unit] = self._region_sum(unit, positions)
        return found

    def _region_sum(self, unit: str, positions: Sequence[int] | None) -> Figures | None:
        """A region with no row of its own (a city without an aggregator): its member rollups."""
        enrolled = [m for m in self.members.values()
                    if m.kind == "aggregator" and self.within(m.member_id, unit)]
        sums = self.store.direct_sums(self.period.code, unit[:PREFIX[level(unit)]], positions)
        if sums.units == 0 and not enrolled:
            return None
        return self._figures(unit, sums.values, sums.variances, positions, sums.units,
                             len(enrolled) - sums.units, sums.schools)


class Span:
    """The figures held for several periods (a trend), read together: the members once, and
    the catalogue versions, a level's rows and the cells asked each in one query for all the
    periods, instead of once per period. ``holdings`` are the periods' Holdings, in order."""

    def __init__(self, store: Store, settings: Settings, periods: Sequence[Period]) -> None:
        members = {m.member_id: m for m in store.members()}
        versions = store.figure_versions_in([p.code for p in periods])
        self.store = store
        self.holdings = [Holdings(store, settings, p, members=members,
                                  versions=versions.get(p.code, [])) for p in periods]

    def within(self, unit: str, scope: str) -> bool:
        """Whether ``unit`` lies in ``scope`` in any of the periods (a region code's place
        does not change with the period; a school's is where it reported)."""
        if not is_school(unit):
            return self.holdings[0].within(unit, scope)
        return any(h.within(unit, scope) for h in self.holdings)

    def _load(self, levels: Iterable[str]) -> None:
        """Read the held rows of whole levels for every period not yet read, in one query."""
        for name in set(levels):
            todo = {h.period.code: h for h in self.holdings if name not in h._levels}
            if not todo:
                continue
            for row in self.store.figure_units_in(list(todo), name):
                todo[row.period]._rows[row.unit] = row
            for held in todo.values():
                held._levels.add(name)

    def units(self, level_name: str, scope: str) -> list[str]:
        """Every region or school of a level known in any of the periods within ``scope``."""
        self._load({level_name, "county"} if level_name == "city" else {level_name})
        if level_name == "school":  # where a school lies is read from each period's rows
            return sorted({u for h in self.holdings for u in h.units(level_name, scope)})
        known = set().union(*(h._known(level_name) for h in self.holdings))
        first = self.holdings[0]  # a region code's place is the same in every period
        return sorted(u for u in known if first.within(u, scope)
                      and first.within(u, first.region))

    def figures_of(self, units: Sequence[str], cells: Iterable[str] | None = None
                   ) -> list[dict[str, Figures | None]]:
        """``Holdings.figures_of`` for each period, the held rows' cells read in one query
        (one per catalogue layout, should the periods' catalogues place the cells apart)."""
        cells = None if cells is None else list(cells)
        rows = [h._held(units) for h in self.holdings]
        layouts: dict[tuple[int, ...] | None, list[int]] = {}
        for i, held in enumerate(self.holdings):
            positions = held._positions(cells)
            layouts.setdefault(None if positions is None else tuple(positions), []).append(i)
        found: list[dict[str, Figures | None]] = [{} for _ in self.holdings]
        for positions, which in layouts.items():
            wanted = sorted({u for i in which for u in rows[i]})
            codes = [self.holdings[i].period.code for i in which]
            cells_held = self.store.figure_cells_in(codes, wanted, positions) if wanted else {}
            for i, code in zip(which, codes, strict=True):
                mine = {u: cells_held[(code, u)] for u in rows[i] if (code, u) in cells_held}
                found[i] = self.holdings[i]._assemble(units, rows[i], mine, positions)
        return found
