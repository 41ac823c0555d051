"""The true statistics table of one period, computed from the school's records.

Each student-level query yields contributions (student, cell, value). They are then bounded
exactly as the catalogue declares — a student counts only in cells open to their stage, at
most ``bound`` per cell, at most one cell of an exclusive set — so the L2 sensitivity that
privacy/dp.py assumes holds whatever the records say. School-level public cells (enrolment
aside) come from school-level records.

Except enrolment and the key-care procedure, cells count students in difficulty only: enrolled
students with at least one category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlite_utils

from common.clock import SYSTEM
from common.errors import GuanaiError
from node.store.contributions import contribution_rows, school_level
from protos.catalogue import Catalogue
from protos.deadlines import local_date
from protos.periods import Period


class PeriodNotStarted(GuanaiError):
    """A table asked for a period that has not begun."""


@dataclass(frozen=True)
class Window:
    """The period and the day the table is computed as of (the period end, or today if earlier)."""

    period: Period
    as_of: date

    @classmethod
    def of(cls, period: Period, today: date | None = None) -> Window:
        today = today or local_date(SYSTEM.now())
        if today < period.start:
            raise PeriodNotStarted(
                f"{period.label_zh} ({period}) has not started: it begins {period.start}"
            )
        return cls(period, min(today, period.end))

    def params(self) -> dict[str, object]:
        halves = [f"{self.period.year}-H1", f"{self.period.year}-H2"]
        months = [
            (y, m) for y, m in self.period.months() if date(y, m, 1) <= self.as_of
        ]
        return {
            "start": self.period.start.isoformat(),
            "as_of": self.as_of.isoformat(),
            "h1": self.period.code if self.period.half else halves[0],
            "h2": self.period.code if self.period.half else halves[1],
            "months": len(months),
        }


def contributions(db: sqlite_utils.Database, window: Window) -> pd.DataFrame:
    """Every (student, cell, value) the records give, before any bound is applied."""
    rows, stages = contribution_rows(db, window.params())
    frame = pd.DataFrame(rows, columns=["student", "cell", "value"])
    frame["stage"] = frame["student"].map(stages)
    return frame


def bound(catalogue: Catalogue, frame: pd.DataFrame) -> pd.DataFrame:
    """Apply the catalogue's per-student bounds, stage limits and exclusive sets."""
    if frame.empty:
        return frame
    # One row per (cell, stage open to it): the inner join keeps only contributions a student
    # of that stage may make.
    cells = pd.DataFrame(
        [(c.id, stage, c.index, c.bound, c.exclusive) for c in catalogue.cells
         for stage in c.stages],
        columns=["cell", "stage", "index", "bound", "exclusive"],
    )
    merged = (
        frame.groupby(["student", "cell", "stage"], as_index=False)["value"].sum()
        .merge(cells, on=["cell", "stage"], how="inner")
    )
    merged = merged.assign(value=merged["value"].clip(lower=0, upper=merged["bound"]))
    merged = merged[merged["value"] > 0].sort_values(["student", "index"])
    exclusive = merged["exclusive"].notna()
    first = ~merged[exclusive].duplicated(["student", "exclusive"])
    return pd.concat([merged[~exclusive], merged[exclusive][first]])


def compute(db: sqlite_utils.Database, catalogue: Catalogue, window: Window) -> dict[str, int]:
    """The true table: every cell of the catalogue, in catalogue order."""
    bounded = bound(catalogue, contributions(db, window))
    totals = bounded.groupby("cell")["value"].sum()
    table = {cell.id: int(totals.get(cell.id, 0)) for cell in catalogue.cells}
    for cell_id, value in school_level(db, window.params()).items():
        table[catalogue.cell(cell_id).id] = value
    return table
