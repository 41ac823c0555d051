"""What a release of a period would show, before anything is spent: the preview staff confirm.

A release happens once per period and revision, and a correction spends more of the year's
privacy allowance, so staff see first the true values, the rules the table breaks (if any),
how far each released figure may stray from its true value, and how many releases the year
still allows. Nothing is charged or stored here; the margins come from the same noise plan
the release uses (privacy/dp.py), at 95% confidence.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from node import validation
from node.release import StoredRelease, latest_release, spent_in_year, true_table
from node.store import get_meta
from privacy import dp
from privacy.budget import BudgetPolicy
from protos.catalogue import Catalogue, load
from protos.periods import Period
from protos.regions import school_stages

CONFIDENCE = 0.95


@dataclass(frozen=True)
class CellPreview:
    id: str
    label: str  # Chinese
    label_en: str
    unit: str
    true: int
    margin: int  # ± at 95%; 0 for a public cell, released exactly
    released: int | None  # the stored release's value, if the period was released

    @property
    def words(self) -> str:
        """How uncertain the released figure will be, in plain Chinese."""
        if self.margin == 0:
            return "公开项，按真实值报送"
        if self.true < self.margin:
            return f"±{self.margin}，小于误差范围：单看本校不可靠，县、省汇总后才有意义"
        return f"±{self.margin}，报送值一般在 {max(0, self.true - self.margin)}～{self.true + self.margin} 之间"


@dataclass(frozen=True)
class Section:
    label: str
    cells: list[CellPreview]


@dataclass(frozen=True)
class Preview:
    period: Period
    sections: list[Section]
    violations: list[validation.Violation]
    release: StoredRelease | None  # the latest stored release of the period
    rho: float  # what one more release of this period costs
    spent: float
    cap: float

    @property
    def releases_left(self) -> int:
        """How many more releases of this kind the year still allows (corrections included)."""
        return max(0, math.floor((self.cap - self.spent) / self.rho + 1e-9))

    @property
    def changed(self) -> list[CellPreview]:
        """Cells whose true value differs from the stored release's (data changed since)."""
        if self.release is None:
            return []
        return [c for s in self.sections for c in s.cells
                if self.release.true_values.get(c.id) != c.true]


@functools.lru_cache(maxsize=64)
def _margins(catalogue: Catalogue, rho: float, stages: frozenset[str]) -> dict[str, int]:
    """The 95% margin of every noised group (the same for every release at this ρ)."""
    plan = dp.noise_plan(catalogue, rho, stages)
    return {g: math.ceil(dp.accuracy(n.scale, 1 - CONFIDENCE)) for g, n in plan.items()}


def preview(store: sqlite_utils.Database, period: Period, policy: BudgetPolicy | None = None,
            catalogue: Catalogue | None = None, today: date | None = None,
            truth: dict[str, int] | None = None) -> Preview:
    """The true table of ``period`` as of ``today``, with its margins; spends nothing.

    ``truth`` is the true table if the caller already has it (of the latest catalogue).
    """
    policy = policy or BudgetPolicy()
    catalogue = catalogue or load()
    stages = frozenset(school_stages(get_meta(store, "school_id") or ""))
    if truth is None:
        truth = true_table(store, period, catalogue, today)
    margins = _margins(catalogue, policy.rho_for(period), stages)
    stored = latest_release(store, period)
    released = dict(zip(catalogue.ids(), stored.report.values, strict=True)) \
        if stored and stored.report.catalogue_version == catalogue.version else {}
    sections: dict[str, list[CellPreview]] = {}
    for cell in catalogue.cells:
        if cell.stages and stages and not cell.stages & stages:
            continue  # a stage the school does not teach: always 0, released without noise
        sections.setdefault(cell.section, []).append(CellPreview(
            cell.id, cell.label.zh, cell.label.en, catalogue.units[cell.unit].zh,
            truth[cell.id], margins.get(cell.group, 0) if cell.group else 0,
            released.get(cell.id)))
    return Preview(
        period,
        [Section(catalogue.sections[key].zh, cells) for key, cells in sections.items()],
        validation.violations(catalogue, truth), stored, policy.charge_for(period),
        spent_in_year(store, period.year), policy.annual_cap)
