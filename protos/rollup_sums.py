"""The rollup sum rule (invariant 7, docs/architecture.md): a rollup is exactly the sum of the member tables it names.

Written once, for the aggregator that builds and checks rollups and for the inspector that
recomputes them, so that "the sum" means the same on both sides: values are exact integer
sums; noise variances are the sums of the members' variances, added in the order the members
are listed, and equal within ``VARIANCE_REL_TOL``/``VARIANCE_ABS_TOL`` (floating-point
rounding, nothing more).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from protos.report_pb2 import Report

VARIANCE_REL_TOL = 1e-9
VARIANCE_ABS_TOL = 1e-9


def sum_reports(reports: Sequence[Report], size: int) -> tuple[list[int], list[float]]:
    """Cell-by-cell sums of ``reports``: (values, noise variances), each of length ``size``.

    Values are integers in cell units (students, events, yuan); variances in squared cell
    units. Raises ``ValueError`` when a report does not have exactly ``size`` cells.
    """
    values = [0] * size
    variances = [0.0] * size
    for report in reports:
        if len(report.values) != size or len(report.noise_variance) != size:
            raise ValueError(f"{report.sender_id} r{report.revision} has "
                             f"{len(report.values)} cells, not {size}")
        for i, (value, variance) in enumerate(
            zip(report.values, report.noise_variance, strict=True)
        ):
            values[i] += value
            variances[i] += variance
    return values, variances


@dataclass(frozen=True)
class CellMismatch:
    """One cell where a rollup is not the sum of its members."""

    index: int  # position in the catalogue's cell order; -1 for a shape mismatch
    what: str  # value | variance | shape
    stated: float
    summed: float
    member: str = ""  # for a shape mismatch: "sender rREVISION" of the report of another size


def mismatches(rollup: Report, members: Sequence[Report]) -> list[CellMismatch]:
    """Every cell where ``rollup`` is not the sum of ``members``; empty when it is."""
    size = len(rollup.values)
    for member in (rollup, *members):
        if len(member.values) != size or len(member.noise_variance) != size:
            return [CellMismatch(-1, "shape", size, len(member.values),
                                 f"{member.sender_id} r{member.revision}")]
    values, variances = sum_reports(members, size)
    found = []
    for i, (value, variance) in enumerate(zip(rollup.values, rollup.noise_variance, strict=True)):
        if value != values[i]:
            found.append(CellMismatch(i, "value", value, values[i]))
        if not math.isclose(variance, variances[i], rel_tol=VARIANCE_REL_TOL,
                            abs_tol=VARIANCE_ABS_TOL):
            found.append(CellMismatch(i, "variance", variance, variances[i]))
    return found


def is_sum_of(rollup: Report, members: Sequence[Report]) -> bool:
    """Whether ``rollup`` is exactly the sum of ``members`` by the rule above."""
    return not mismatches(rollup, members)
