"""Differentially private release of the statistics table, with OpenDP.

The privacy unit is one student with all their records in the period. Each DP group of the
catalogue (students, events, yuan) is released with the discrete Gaussian mechanism under
zero-concentrated DP, its scale found by OpenDP for the group's share of ρ and its L2
sensitivity. Public cells are copied. Noise is never clipped here (DESIGN §4.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import opendp.prelude as dp

from common.errors import GuanaiError
from protos.catalogue import Catalogue

dp.enable_features("contrib")

MECHANISM = "discrete_gaussian"


class ReleaseError(GuanaiError):
    """A release that cannot be made as asked (bad vector or budget)."""


@dataclass(frozen=True)
class GroupNoise:
    group: str
    scale: float
    sensitivity: float
    rho: float


def _vector_gaussian(scale: float) -> dp.Measurement:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=float)
    return dp.m.make_gaussian(*space, scale=scale)


@cache
def group_scale(sensitivity: float, rho: float) -> float:
    """The smallest discrete Gaussian scale that OpenDP certifies within ρ at this sensitivity."""
    if rho <= 0 or sensitivity <= 0:
        raise ReleaseError(f"ρ ({rho}) and sensitivity ({sensitivity}) must be positive")
    return dp.binary_search_param(_vector_gaussian, d_in=sensitivity, d_out=rho, T=float)


def noise_plan(catalogue: Catalogue, rho: float,
               stages: frozenset[str] | None = None) -> dict[str, GroupNoise]:
    """Scale, sensitivity and ρ share of every DP group for a release spending ``rho``.

    ``stages`` are the stages the school teaches: cells open to none of them are structural
    zeros, and a group with no open cell needs no noise.
    """
    plan = {}
    for group in catalogue.groups.values():
        sensitivity = catalogue.sensitivity(group.id, stages)
        if sensitivity == 0:
            continue
        share = rho * group.share
        plan[group.id] = GroupNoise(group.id, group_scale(sensitivity, share), sensitivity, share)
    return plan


def add_noise(values: list[int], scale: float) -> list[int]:
    """Independent discrete Gaussian noise of ``scale`` on every value (OpenDP)."""
    return [int(v) for v in _vector_gaussian(scale)(values)]


@dataclass(frozen=True)
class Release:
    values: list[int]
    noise_variance: list[float]
    noise: dict[str, GroupNoise]
    rho: float


def release(catalogue: Catalogue, true_values: list[int], rho: float,
            stages: frozenset[str] | None = None) -> Release:
    """Add discrete Gaussian noise to every non-public cell; spend at most ``rho`` (zCDP).

    Cells open to none of the school's ``stages`` are released as 0 without noise: no student
    of the school can be counted there, and the school's type is public.
    """
    if len(true_values) != len(catalogue.cells):
        raise ReleaseError(
            f"the table has {len(true_values)} cells, catalogue {catalogue.version} has "
            f"{len(catalogue.cells)}"
        )
    plan = noise_plan(catalogue, rho, stages)
    values = [0 if c.group and stages and not c.stages & stages else v
              for c, v in zip(catalogue.cells, true_values, strict=True)]
    variance = [0.0] * len(values)
    spent = 0.0
    for group, noise in plan.items():
        cells = catalogue.group_cells(group, stages)
        noisy = add_noise([int(true_values[cell.index]) for cell in cells], noise.scale)
        spent += _vector_gaussian(noise.scale).map(noise.sensitivity)
        for cell, value in zip(cells, noisy, strict=True):
            values[cell.index] = int(value)
            variance[cell.index] = noise.scale**2
    if spent > rho * (1 + 1e-9):
        raise ReleaseError(f"the release would spend ρ = {spent}, more than the {rho} allowed")
    return Release(values, variance, plan, rho)


def epsilon_delta(rho: float, delta: float) -> float:
    """The ε of (ε, δ)-DP implied by ρ-zCDP, as OpenDP converts it."""
    if rho <= 0:
        return 0.0
    unit = dp.m.make_gaussian(dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float),
                              scale=1.0)
    profile = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(unit), delta)
    # A unit-scale Gaussian at distance d spends ρ = d²/2.
    return profile.map(math.sqrt(2 * rho))[0]


def accuracy(scale: float, alpha: float = 0.05, members: int = 1) -> float:
    """The error bound exceeded with probability ``alpha``, for one release or a sum of many.

    One release uses OpenDP's discrete Gaussian accuracy; a sum of ``members`` independent
    releases is close to a continuous Gaussian of scale √members·σ.
    """
    if scale == 0:
        return 0.0
    if members == 1:
        return dp.discrete_gaussian_scale_to_accuracy(scale, alpha)
    return dp.gaussian_scale_to_accuracy(math.sqrt(members) * scale, alpha)
