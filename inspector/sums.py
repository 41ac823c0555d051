"""Recomputing a rollup (汇总) cell by cell from the member reports it names (DESIGN §4.7).

Values must be the exact integer sums; noise variances the sums of the members' variances,
added in the order the members are listed (as the aggregator adds them), equal to within
floating-point rounding. Cells are named from the catalogue so that a person can find them
in the statistics table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from protos.catalogue import CatalogueError, load
from protos.report_pb2 import Report


@dataclass(frozen=True)
class Mismatch:
    cell: str  # catalogue id and label
    what: str  # value | variance | shape
    stated: float
    summed: float

    def zh(self) -> str:
        what = {"value": "数值", "variance": "方差", "shape": "单元格数"}[self.what]
        return f"{self.cell} {what}：汇总声明 {self.stated:g}，成员之和 {self.summed:g}"

    def en(self) -> str:
        return f"{self.cell} {self.what}: the rollup states {self.stated:g}, the members sum to " \
               f"{self.summed:g}"


@cache
def cell_name(version: str, index: int) -> str:
    try:
        cell = load(version).cells[index]
    except (CatalogueError, IndexError):
        return f"#{index}"
    return f"{cell.id} {cell.label.zh} {cell.label.en}"


def mismatches(rollup: Report, members: Sequence[Report]) -> list[Mismatch]:
    """Every cell where ``rollup`` is not the sum of ``members``; empty when it is."""
    size = len(rollup.values)
    for member in (rollup, *members):
        if len(member.values) != size or len(member.noise_variance) != size:
            return [Mismatch(f"{member.sender_id} r{member.revision}", "shape", size,
                             len(member.values))]
    values = [0] * size
    variances = [0.0] * size
    for member in members:
        values = [a + b for a, b in zip(values, member.values, strict=True)]
        variances = [a + b for a, b in zip(variances, member.noise_variance, strict=True)]
    found = []
    for i, (value, variance) in enumerate(zip(rollup.values, rollup.noise_variance, strict=True)):
        if value != values[i]:
            found.append(Mismatch(cell_name(rollup.catalogue_version, i), "value", value,
                                  values[i]))
        if not math.isclose(variance, variances[i], rel_tol=1e-9, abs_tol=1e-9):
            found.append(Mismatch(cell_name(rollup.catalogue_version, i), "variance", variance,
                                  variances[i]))
    return found
