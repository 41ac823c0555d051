"""A rollup's numbers: the cell-by-cell sum of its members' values and of their noise variances.

One function, used both to build a rollup and to check one that arrives, so that "a rollup is
exactly the sum of the member tables it names" (DESIGN §4.7) means the same thing on both
sides. Variances are added in the order the members are listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from protos.report_pb2 import Report


def sum_reports(reports: Sequence[Report], size: int) -> tuple[list[int], list[float]]:
    values = [0] * size
    variances = [0.0] * size
    for report in reports:
        for i, (value, variance) in enumerate(
            zip(report.values, report.noise_variance, strict=True)
        ):
            values[i] += value
            variances[i] += variance
    return values, variances


def is_sum_of(rollup: Report, members: Sequence[Report]) -> bool:
    values, variances = sum_reports(members, len(rollup.values))
    return list(rollup.values) == values and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        for a, b in zip(rollup.noise_variance, variances, strict=True)
    )
