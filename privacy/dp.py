"""Differentially private release of the statistics table, with OpenDP.

The privacy unit is one student with all their records in the period. Each DP group of the
catalogue (students, events, yuan) is released with the discrete Gaussian mechanism under
zero-concentrated DP, its scale found by OpenDP for the group's share of ρ and its L2
sensitivity. Public cells are copied. Noise is never clipped here (invariant 4, docs/architecture.md).
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
    """The noise of one DP group in a release.

    ``scale`` is σ of the discrete Gaussian in the group's cell units (students, events or
    yuan); ``sensitivity`` the group's L2 sensitivity for one student added or removed (cell
    units); ``rho`` the group's share of the release's ρ (zCDP).
    """

    group: str
    scale: float
    sensitivity: float
    rho: float


def _vector_gaussian(scale: float) -> dp.Measurement:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=float)
    return dp.m.make_gaussian(*space, scale=scale)


@cache
def group_scale(sensitivity: float, rho: float) -> float:
    """The smallest discrete Gaussian scale σ (cell units) that OpenDP certifies spends at most
    ``rho`` (ρ-zCDP) on a vector of L2 ``sensitivity`` (cell units).

    Follows OpenDP's ``make_gaussian`` on ``vector_domain(atom_domain(T=int))`` with
    ``l2_distance`` and ``binary_search_param`` (OpenDP 0.16 user guide, "Gaussian mechanism").
    Raises ``ReleaseError`` unless both are positive.
    """
    if rho <= 0 or sensitivity <= 0:
        raise ReleaseError(f"ρ ({rho}) and sensitivity ({sensitivity}) must be positive")
    return dp.binary_search_param(_vector_gaussian, d_in=sensitivity, d_out=rho, T=float)


def noise_plan(catalogue: Catalogue, rho: float,
               stages: frozenset[str] | None = None) -> dict[str, GroupNoise]:
    """Scale, sensitivity and ρ share of every DP group for a release spending ``rho`` (zCDP).

    Returns group id → ``GroupNoise``, in the catalogue's group order; each group gets
    ``rho × group.share``. ``stages`` are the stages the school teaches: cells open to none of
    them are structural zeros, and a group with no open cell needs no noise (it is absent).
    Raises ``ReleaseError`` for ``rho`` ≤ 0.
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
    """``values`` (integers, any length) each with independent discrete Gaussian noise of σ =
    ``scale`` added, by OpenDP's ``make_gaussian``; same length and order. Never seeded."""
    return [int(v) for v in _vector_gaussian(scale)(values)]


@dataclass(frozen=True)
class Release:
    """A noisy table: ``values`` and ``noise_variance`` (σ², 0 for public cells and structural
    zeros) in catalogue cell order, the noise of each group, and the ρ spent."""

    values: list[int]
    noise_variance: list[float]
    noise: dict[str, GroupNoise]
    rho: float


def release(catalogue: Catalogue, true_values: list[int], rho: float,
            stages: frozenset[str] | None = None) -> Release:
    """Add discrete Gaussian noise to every non-public cell; spend at most ``rho`` (zCDP).

    ``true_values`` holds one integer per catalogue cell, in catalogue order (students, events
    or yuan by the cell's unit). Cells open to none of the school's ``stages`` are released as
    0 without noise: no student of the school can be counted there, and the school's type is
    public. The groups compose additively in ρ (zCDP composition, Bun & Steinke 2016, Lemma
    2.3); the ρ OpenDP reports for each group's measurement is summed and checked. Raises
    ``ReleaseError`` for a vector of the wrong length or a spend above ``rho``.
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
    """The ε of (ε, δ)-DP implied by ρ-zCDP, as OpenDP's ``make_zCDP_to_approxDP`` and
    ``make_fix_delta`` convert it (0 for ρ ≤ 0); ``delta`` is a probability in (0, 1)."""
    if rho <= 0:
        return 0.0
    unit = dp.m.make_gaussian(dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float),
                              scale=1.0)
    profile = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(unit), delta)
    # A unit-scale Gaussian at distance d spends ρ = d²/2.
    return profile.map(math.sqrt(2 * rho))[0]


def accuracy(scale: float, alpha: float = 0.05, members: int = 1) -> float:
    """The error bound (cell units) exceeded with probability ``alpha``, for one release of
    noise σ = ``scale`` or a sum of ``members`` such releases.

    One release uses OpenDP's ``discrete_gaussian_scale_to_accuracy``; a sum of ``members``
    independent releases is close to a continuous Gaussian of scale √members·σ
    (``gaussian_scale_to_accuracy``).
    """
    if scale == 0:
        return 0.0
    if members == 1:
        return dp.discrete_gaussian_scale_to_accuracy(scale, alpha)
    return dp.gaussian_scale_to_accuracy(math.sqrt(members) * scale, alpha)
