"""正式表留存 Kept official tables: a period's official tables made once when its figures change,
kept in the store, and read by every caller.

Making the official form is a solve over the whole tree this aggregator holds (the TopDown
projection and controlled roundings of aggregator/figures/official.py): seconds at a province
of 107 counties, far too long for a web page, and the same answer each time until the figures
change. So it is made once per change and kept, as DHIS2 does with its analytics tables: made
by a job after the data change, and read by every page and export ("Analytics tables
management", DHIS2 documentation, https://docs.dhis2.org/en/use/user-guides/dhis-core-version-master/maintaining-the-system/analytics-tables-management.html).

When: the figures store counts each period's changes (its generation, bumped in the
transaction that changes the figures, aggregator/figures/cube.py). A kept set is current when
it was made from the period's current generation, with the catalogue the period's reports use
and this code (``ALGORITHM``, a digest of the modules that make the tables, so a change to
them makes every kept table stale). ``region_table`` — what the CLI's ``table``, the Query
service's Table, the web page and its exports all call — reads the kept table when current,
else makes the whole tree once (``make``), keeps it and answers. The aggregator's server makes
them ahead of anyone asking (``Keeper``, one thread), and the web pages start a making in the
background rather than hang a request on it (``Makers``). A making that fails (OfficialError:
no table meets the rules) is not started again by either until the figures change.

A school, or a region outside the tree, is not in the kept set: its table is projected on its
own (statistics.own_table, a small solve), as before.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aggregator.figures import official as official_module
from aggregator.figures import statistics
from aggregator.figures.holdings import Holdings
from aggregator.figures.official import Official
from aggregator.figures.statistics import RegionTable, official_of, own_table, region_figures
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import KeptRace, KeptSet, Store
from common.clock import SYSTEM, Clock, stamp
from protos.catalogue import Catalogue
from protos.periods import Period

logger = logging.getLogger(__name__)


def _algorithm() -> str:
    """SHA-256 (first 16 hex digits) of the sources that decide what an official table is."""
    digest = hashlib.sha256()
    for module in (official_module, statistics):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


ALGORITHM = _algorithm()
_VALUES, _PROJECTED = np.dtype("<i8"), np.dtype("<f8")


def _pack(catalogue: Catalogue, table: Official) -> tuple[str, bytes, bytes]:
    ids = catalogue.ids()
    return (table.region, np.array([table.values[c] for c in ids], _VALUES).tobytes(),
            np.array([table.projected[c] for c in ids], _PROJECTED).tobytes())


def _unpack(catalogue: Catalogue, region: str, values: bytes, projected: bytes) -> Official:
    ids = catalogue.ids()
    return Official(region,
                    dict(zip(ids, map(int, np.frombuffer(values, _VALUES)), strict=True)),
                    dict(zip(ids, map(float, np.frombuffer(projected, _PROJECTED)), strict=True)))


def is_current(holdings: Holdings, kept: KeptSet | None) -> bool:
    """Whether ``kept`` was made from the period's figures as they are now, by this code."""
    return kept is not None and (kept.generation, kept.catalogue_version, kept.algorithm) == (
        holdings.store.figure_generation(holdings.period.code), holdings.catalogue.version,
        ALGORITHM)


def kept_table(holdings: Holdings, unit: str) -> RegionTable | None:
    """The table of ``unit`` (a region or school within this aggregator's region) from the
    period's kept tables, or None when they are not current (stale or never made): two
    indexed reads and the unit's figures. A unit outside the kept tree gets its own small
    solve (statistics.own_table). Raises TableError (outside, or nothing held), OfficialError."""
    figures = region_figures(holdings, unit)
    found = holdings.store.kept_region(holdings.period.code, unit)
    if found is None or not is_current(holdings, found.kept):
        return None
    if found.packed is None:
        return own_table(holdings.catalogue, figures)
    return RegionTable(unit, figures, _unpack(holdings.catalogue, unit, *found.packed),
                       holdings.catalogue)


def make(holdings: Holdings, clock: Clock = SYSTEM) -> dict[str, Official]:
    """Every region's official table of the period (statistics.official_of), kept in the
    store under the generation read before the figures (read afresh, whatever ``holdings``
    read before): if they change meanwhile, nothing is kept (the next making will be).
    Another process keeping the same generation first changes nothing. Returns region →
    Official. Raises OfficialError (no table meets the rules, or the solver failed) and
    HoldingsError (mixed catalogues), keeping nothing."""
    store, period = holdings.store, holdings.period.code
    generation = store.figure_generation(period)
    holdings = holdings.unread()
    _, tables = official_of(holdings)
    kept = KeptSet(period, generation, holdings.catalogue.version, ALGORITHM,
                   stamp(clock.now()))
    rows = [_pack(holdings.catalogue, table) for _, table in sorted(tables.items())]
    try:
        with store.transaction():
            stored = store.keep_tables(kept, rows)
    except KeptRace:
        stored = False
    logger.info("official tables of %s %s (generation %d, %d regions)", period,
                "made and kept" if stored else "made, not kept (stale or kept already)",
                generation, len(rows))
    return tables


def region_table(holdings: Holdings, unit: str, clock: Clock = SYSTEM) -> RegionTable:
    """The table of ``unit`` (a region or school within this aggregator's region): the kept
    official table when current, otherwise the whole tree made once (``make``), kept, and
    answered from. ``clock`` stamps a making. Raises TableError when nothing is held for it
    or it lies outside this aggregator, OfficialError when no table can be made."""
    found = kept_table(holdings, unit)
    if found is not None:
        return found
    tables = make(holdings, clock)
    figures = region_figures(holdings, unit)
    if unit not in tables:
        return own_table(holdings.catalogue, figures)
    return RegionTable(unit, figures, tables[unit], holdings.catalogue)


@dataclass
class Making:
    """One period's making under way in the background (or ended), of the figures of
    ``generation``; ``wait`` for it."""

    period: str
    generation: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None

    def wait(self, seconds: float | None) -> bool:
        """Whether it ended within ``seconds`` (None: however long it takes)."""
        return self.done.wait(seconds)


class Makers:
    """The makings under way in this process: at most one per period at a time, however many
    requests ask (each asking while one runs gets that one); and the last failed making of
    each period, answered again without starting anew until the period's figures change (as
    the ``Keeper`` tries a failed generation again only once its figures change)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, Making] = {}
        self._failed: dict[str, Making] = {}

    def start(self, period: str, generation: int, work: Callable[[], object]) -> Making:
        """Run ``work`` (a ``make`` of the figures of ``generation``, the period's generation
        read before asking) in a thread unless the period's making already runs; the Making
        under way. A failure is logged once and kept in ``Making.error``; while the generation
        stays the one that failed, that ended Making is returned and nothing is started."""
        with self._lock:
            making = self._running.get(period)
            if making is not None:
                return making
            failed = self._failed.get(period)
            if failed is not None and failed.generation == generation:
                return failed
            making = self._running[period] = Making(period, generation)

        def run() -> None:
            try:
                work()
            except Exception as exc:  # logged for the operator, shown to whoever waits
                logger.exception("official tables of %s could not be made", period)
                making.error = exc
            finally:
                with self._lock:
                    del self._running[period]
                    if making.error is not None:
                        self._failed[period] = making
                    else:
                        self._failed.pop(period, None)
                making.done.set()

        threading.Thread(target=run, name=f"kept-{period}", daemon=True).start()
        return making


POLL_SECONDS = 1.0  # how often the keeper reads the generations (one row per period)
STEP_SECONDS = 0.1  # how soon the keeper's sleep notices ``stop``
SETTLE_POLLS = 2  # unchanged polls before a changed period is made: ≈ 2 s with no change


class Keeper:
    """The serving aggregator's one thread that makes official tables when figures change.

    It polls the generation counters (``figure_generations``: one small read) every
    ``poll`` seconds rather than waiting for a signal from the committer: a poll also sees
    changes made by another process on the same file (the CLI's ``returns``, ``publish``,
    ``rebuild``), which no in-process signal would. A period whose generation stayed the same
    for ``settle`` polls (a batch of submissions has landed) and whose kept tables are not
    current is made and kept. A failed making is logged with its period and tried again only
    once its figures change again. At start every period held is looked at once (the figures
    may have changed while no server ran). Sleeps in short relative sleeps (``_stopped_after``),
    never on the injected clock (a simulated one does not let a foreign thread sleep on it), so
    ``stop`` ends it within a tenth of a second."""

    def __init__(self, store: Store, settings: Settings, clock: Clock,
                 poll: float = POLL_SECONDS, settle: int = SETTLE_POLLS) -> None:
        self._store, self._settings, self._clock = store, settings, clock
        self._poll, self._settle = poll, settle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kept-official-tables",
                                        daemon=True)

    def start(self) -> Keeper:
        """Start the thread (a daemon: it never keeps the process alive); self."""
        self._thread.start()
        return self

    def stop(self, wait: float) -> None:
        """Stop; a making under way may finish within ``wait`` seconds."""
        self._stop.set()
        self._thread.join(wait)
        if self._thread.is_alive():
            logger.warning("official tables still being made after %g s; stopping anyway", wait)

    def _run(self) -> None:
        seen: dict[str, int] = dict.fromkeys(self._store.figure_periods(), -1)
        steady: dict[str, int] = {}
        settled: dict[str, int] = {}  # period → the generation made, found current, or failed
        while not self._stopped_after(self._poll):
            try:
                generations = self._store.figure_generations()
            except Exception:  # the store closed under us, or locked for long: next poll
                logger.exception("cannot read the figures' generations")
                continue
            for period in sorted({*seen, *generations}, reverse=True):
                generation = generations.get(period, 0)
                if seen.get(period) != generation:
                    seen[period], steady[period] = generation, 0
                    continue
                steady[period] += 1
                if steady[period] < self._settle or settled.get(period) == generation:
                    continue
                if self._stop.is_set():
                    return
                settled[period] = generation
                self._make(period)

    def _stopped_after(self, seconds: float) -> bool:
        """Sleep ``seconds`` (less once stopped); whether stopped. ``time.sleep`` in steps of
        0.1 s, not a timed ``Event.wait``: under libfaketime (the suite run at another date) a
        timed wait's deadline is taken on the faked monotonic clock and never comes."""
        end = time.monotonic() + seconds
        while not self._stop.is_set() and time.monotonic() < end:
            time.sleep(min(STEP_SECONDS, max(0.0, end - time.monotonic())))
        return self._stop.is_set()

    def _make(self, period: str) -> None:
        try:
            holdings = Holdings(self._store, self._settings, Period.parse(period))
            if not is_current(holdings, self._store.kept_set(period)):
                make(holdings, self._clock)
        except Exception:  # any failure: logged, tried again when the figures change again
            logger.exception("official tables of %s could not be made; trying again when its "
                             "figures change", period)

