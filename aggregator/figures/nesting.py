"""Which figures the catalogue bounds: a share (0–100%), a non-negative count, or neither.

A ratio is called a share (比例, shown in percent and within 0–100%) only when the catalogue's
rules (勾稽关系, ``protos/catalogue/v1.toml`` ``[[rules]]``) make its numerator a part of its
denominator in every table that keeps them: 0 ≤ N ≤ D. Key targets without a monthly talk
over key targets is one (R09: talked ≤ key targets); yuan per student, or students aided at
the highest tier over those assessed (nothing ties the two), is not, and may pass 1. Likewise
a total with a subtracted term is non-negative only if a rule says so. This is decided from
the rules, never from cell names, so a rule added to the catalogue is what makes a share.

Each bound is a linear programme over the cells x (one region's table): the rules' rows and
0 ≤ x ≤ 1. The rules are homogeneous (sums of cells against sums of cells), so the tables that
keep them form a cone, and N − D > 0 (or N < 0) has a solution at all iff it has one in the
unit box: max (N − D) over the box is 0 exactly when N ≤ D always holds. Solved with HiGHS
through ``scipy.optimize.linprog`` (Huangfu and Hall, "Parallelizing the dual revised simplex
method", Math. Prog. Comp. 10, 2018). The estimates themselves are never clipped: only what a
person reads is (invariant 4, docs/architecture.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import linprog

from protos.catalogue import Catalogue

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Range:
    """What the catalogue guarantees of a figure: ``low`` 0 or −∞, ``high`` 1 (a ratio that
    is a part of its denominator) or +∞."""

    low: float
    high: float

    @property
    def share(self) -> bool:
        """0 ≤ N ≤ D in every table that keeps the rules: a share, shown in percent."""
        return self.low == 0.0 and self.high == 1.0

    @property
    def kind(self) -> str:
        """How a ratio with this range is called: ``share`` (0–100%) or ``ratio``."""
        return "share" if self.share else "ratio"

    def clip(self, x: float) -> float:
        """``x`` as a person reads it: at ``low`` or above; a share at most 1 (a ratio that
        is no share is not clipped above). Display only; NaN stays NaN."""
        if math.isnan(x):
            return x
        return min(max(x, self.low), 1.0 if self.share else math.inf)


def text(x: float, kind: str, bounds: Range) -> str:
    """A figure as a person reads it: a share in percent within 0–100%, another ratio as a
    plain number, a count in whole units; clipped only as ``bounds`` allow (``kind``: share,
    ratio, total, or missing — a count of members, shown as it is)."""
    if kind == "missing":
        return f"{x:g}"
    x = bounds.clip(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if kind == "share":
        return f"{100 * x:.1f}%"
    if kind == "ratio":
        return f"{x:,.3f}"
    return f"{x:,.0f}"


def _largest(catalogue: Catalogue, objective: Mapping[str, float]) -> float:
    """max Σ objective·x over the tables that keep the rules, with every cell in [0, 1]."""
    index = {c: i for i, c in enumerate(catalogue.ids())}
    rows, lower, upper = [], [], []
    for rule in catalogue.rules:
        row = np.zeros(len(index))
        for cell in rule.lhs:
            row[index[cell]] += 1.0
        for cell in rule.rhs:
            row[index[cell]] -= 1.0
        rows.append(row)
        lower.append(0.0 if rule.op == "==" else -np.inf)
        upper.append(0.0)
    a = np.array(rows)
    cost = np.zeros(len(index))
    for cell, k in objective.items():
        cost[index[cell]] -= k  # linprog minimises
    equal = np.array(lower) == 0.0
    result = linprog(cost, A_ub=a[~equal] if (~equal).any() else None,
                     b_ub=np.zeros((~equal).sum()) if (~equal).any() else None,
                     A_eq=a[equal] if equal.any() else None,
                     b_eq=np.zeros(equal.sum()) if equal.any() else None,
                     bounds=(0.0, 1.0), method="highs")
    if result.status != 0:  # x = 0 always keeps homogeneous rules: this cannot happen
        raise ArithmeticError(f"linprog: {result.message}")
    return -result.fun


@lru_cache(maxsize=512)
def _range(catalogue: Catalogue, numerator: tuple[tuple[str, float], ...],
           denominator: tuple[tuple[str, float], ...]) -> Range:
    top = dict(numerator)
    low = 0.0 if _largest(catalogue, {c: -k for c, k in top.items()}) <= TOLERANCE \
        else -math.inf
    if not denominator:
        return Range(low, math.inf)
    difference = dict(top)
    for cell, k in denominator:
        difference[cell] = difference.get(cell, 0.0) - k
    nested = _largest(catalogue, difference) <= TOLERANCE
    return Range(low, 1.0 if nested else math.inf)


def implied(catalogue: Catalogue, numerator: Mapping[str, float],
            denominator: Mapping[str, float] | None = None) -> Range:
    """The range the catalogue's rules guarantee for N / D (or for N alone, a total).

    ``numerator`` and ``denominator``: cell id → coefficient (+1, −1 …), as an indicator or a
    warning rule holds them. Returns Range(0 or −∞, 1 or +∞); for a total the high end is +∞.
    """
    return _range(catalogue, tuple(sorted(numerator.items())),
                  tuple(sorted((denominator or {}).items())))
