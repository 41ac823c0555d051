"""Confidence intervals for sums and ratios of released cells, from the declared noise alone.

Every released cell carries its noise variance, and the noise of different cells (and of
different schools) is independent. A linear combination of cells therefore has variance
Σ c²·var; a ratio of two linear combinations gets Fieller's interval, which is exact for
Gaussian noise, accounts for cells shared by numerator and denominator, and — unlike the delta
method — honestly becomes unbounded when the denominator cannot be told apart from zero.
This is post-processing: it spends no privacy budget. Nothing here clamps or rounds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

Combination = Mapping[str, float]  # cell id → coefficient


@lru_cache(maxsize=64)  # a query asks one confidence for a thousand figures
def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile: 1.96 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Interval:
    value: float
    low: float  # may be -inf
    high: float  # may be +inf

    def above(self, threshold: float) -> bool:
        return self.low > threshold

    def below(self, threshold: float) -> bool:
        return self.high < threshold

    def covers(self, truth: float) -> bool:
        return self.low <= truth <= self.high


def combine(combination: Combination, values: Mapping[str, float],
            variances: Mapping[str, float]) -> tuple[float, float]:
    """Value and noise variance of Σ coefficient·cell (one pass: a trend makes thousands)."""
    value = variance = 0.0
    for cell, c in combination.items():
        value += c * values[cell]
        variance += c * c * variances[cell]
    return value, variance


def total(combination: Combination, values: Mapping[str, float],
          variances: Mapping[str, float], confidence: float = 0.95) -> Interval:
    value, variance = combine(combination, values, variances)
    half = z_value(confidence) * math.sqrt(variance)
    return Interval(value, value - half, value + half)


def ratio(numerator: Combination, denominator: Combination, values: Mapping[str, float],
          variances: Mapping[str, float], confidence: float = 0.95) -> Interval:
    """Fieller's interval for N/D: every r with (N − rD)² ≤ z²·(vN − 2r·cov + r²·vD)."""
    n, var_n = combine(numerator, values, variances)
    d, var_d = combine(denominator, values, variances)
    cov = sum(c * denominator.get(cell, 0.0) * variances[cell] for cell, c in numerator.items())
    z2 = z_value(confidence) ** 2
    point = n / d if d else math.nan
    # (d² − z²vD)·r² − 2(nd − z²cov)·r + (n² − z²vN) ≤ 0
    a = d * d - z2 * var_d
    b = n * d - z2 * cov
    c = n * n - z2 * var_n
    if a <= 0:  # the denominator is not distinguishable from zero: no finite interval
        return Interval(point, -math.inf, math.inf)
    root = math.sqrt(max(b * b - a * c, 0.0))
    return Interval(point, (b - root) / a, (b + root) / a)
