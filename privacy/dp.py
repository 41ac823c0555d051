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
    noise = noise_vector(catalogue, plan, stages)
    values = [0 if c.group and stages and not c.stages & stages else v + z
              for c, v, z in zip(catalogue.cells, true_values, noise, strict=True)]
    variance = variances(catalogue, plan, stages)
    spent = sum(_vector_gaussian(n.scale).map(n.sensitivity) for n in plan.values())
    if spent > rho * (1 + 1e-9):
        raise ReleaseError(f"the release would spend ρ = {spent}, more than the {rho} allowed")
    return Release(values, variance, plan, rho)


def noise_vector(catalogue: Catalogue, plan: dict[str, GroupNoise],
                 stages: frozenset[str] | None = None) -> list[int]:
    """One draw of the noise of ``plan`` (``noise_plan``): an integer per catalogue cell, in
    cell order, independent discrete Gaussian of the group's σ in every cell of a group of
    ``plan`` open to ``stages`` (None: every stage), 0 in every other cell (public, structural
    zero, or a group without noise).

    Drawn by OpenDP's ``make_gaussian`` on a zero vector (``add_noise``): the noise is
    independent of the values it is added to, so adding it afterwards is the same mechanism,
    and it can be added to values OpenDP cannot hold (sums of secret shares modulo 2^64).
    """
    noise = [0] * len(catalogue.cells)
    for group, groupnoise in plan.items():
        cells = catalogue.group_cells(group, stages)
        for cell, z in zip(cells, add_noise([0] * len(cells), groupnoise.scale), strict=True):
            noise[cell.index] = z
    return noise


def variances(catalogue: Catalogue, plan: dict[str, GroupNoise],
              stages: frozenset[str] | None = None) -> list[float]:
    """σ² of ``noise_vector``'s noise per catalogue cell (cell units squared), 0 where none."""
    variance = [0.0] * len(catalogue.cells)
    for group, groupnoise in plan.items():
        for cell in catalogue.group_cells(group, stages):
            variance[cell.index] = groupnoise.scale**2
    return variance


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


# What an honest party's noise exceeds less often than this is implausible (issue 15): the
# inspector flags a party whose noise lies outside the bounds below.
IMPLAUSIBLE = 1e-9


def largest_plausible(scale: float, cells: int, failure: float = IMPLAUSIBLE) -> float:
    """The bound t (cell units) that the largest |noise| of ``cells`` independent discrete
    Gaussian draws of σ = ``scale`` reaches with probability below ``failure``.

    The discrete Gaussian is σ²-subgaussian, P[|Z| ≥ t] ≤ 2·exp(−t²/2σ²) (Canonne, Kamath &
    Steinke 2020, "The Discrete Gaussian for Differential Privacy", §2), and a union bound over
    the cells gives t = σ·√(2·ln(2·cells/failure)). Raises ``ValueError`` for cells < 1.
    """
    if cells < 1:
        raise ValueError("at least one cell")
    return scale * math.sqrt(2 * math.log(2 * cells / failure))


def _theta(s: float) -> float:
    """Σ over integers x of exp(−s·x²) (s > 0): summed directly for s ≥ 1, else by Poisson
    summation, √(π/s)·Σ_k exp(−π²k²/s), whose terms fall fast when s is small."""
    if s >= 1:
        terms = int(math.sqrt(40 / s)) + 2
        return 1 + 2 * sum(math.exp(-s * x * x) for x in range(1, terms))
    terms = int(math.sqrt(40 * s) / math.pi) + 2
    return math.sqrt(math.pi / s) * (1 + 2 * sum(math.exp(-math.pi**2 * k * k / s)
                                                 for k in range(1, terms)))


def least_plausible_energy(scale: float, cells: int, failure: float = IMPLAUSIBLE) -> float:
    """A bound a on Σ Z_i² (cell units²) of ``cells`` independent discrete Gaussian draws of
    σ = ``scale`` with P[Σ Z_i² ≤ a] below ``failure``: noise this small is implausible, e.g. a
    party that declares σ and adds none.

    Chernoff's bound P[Σ Z² ≤ a] ≤ e^{λa}·E[e^{−λZ²}]^n for every λ > 0, with the exact
    E[e^{−λZ²}] = θ(s + λ)/θ(s), s = 1/2σ², θ the Jacobi theta sum over the integers (the
    discrete Gaussian's normaliser; Canonne, Kamath & Steinke 2020, §2); minimised over λ on a
    grid and solved for a by bisection, so the bound is rigorous, not an approximation.
    """
    if cells < 1:
        raise ValueError("at least one cell")
    s = 1 / (2 * scale * scale)
    base = math.log(_theta(s))
    lambdas = [s * 10 ** (k / 20) for k in range(-80, 121)]
    logs = [cells * (math.log(_theta(s + lam)) - base) for lam in lambdas]

    def log_bound(a: float) -> float:
        return min(lam * a + lg for lam, lg in zip(lambdas, logs, strict=True))

    low, high, target = 0.0, cells * scale * scale, math.log(failure)
    if log_bound(low) > target:
        return 0.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if log_bound(middle) <= target else (low, middle)
    return low


class ImplausibleNoise(GuanaiError):
    """Noise an honest party of the declared scale would draw less than once in 10^9."""


def check_plausible(noise: list[int], scale: float, what: str) -> None:
    """Raise ``ImplausibleNoise`` unless ``noise`` (integers, cell units) is plausible as
    independent discrete Gaussian draws of σ = ``scale``: its largest |value| below
    ``largest_plausible`` and its Σ z² above ``least_plausible_energy``, so that an honest party
    fails either with probability below 2·10^-9 per check. ``what`` names the noise in the
    message (e.g. "helper, county 610102, monitored")."""
    if not noise:
        return
    top = max(abs(z) for z in noise)
    if top >= largest_plausible(scale, len(noise)):
        raise ImplausibleNoise(f"噪声过大 implausible noise: {what} has |noise| = {top} in a cell, "
                               f"beyond {largest_plausible(scale, len(noise)):.4g} that an honest "
                               f"σ = {scale:.4g} reaches less than once in 10^9")
    energy = sum(z * z for z in noise)
    if energy < least_plausible_energy(scale, len(noise)):
        raise ImplausibleNoise(f"噪声过小 implausible noise: {what} has Σ noise² = {energy} over "
                               f"{len(noise)} cells, below what an honest σ = {scale:.4g} gives "
                               "more than once in 10^9: the party added less noise than it "
                               "declared")
