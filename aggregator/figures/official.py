"""The official form of the statistics table: non-negative integers that add up across levels.

The figures an aggregator holds are unbiased estimates (sums of differentially private
releases): some cells are negative, none is a whole number of anything once variances are
pooled, and a county's figures need not obey the table's own rules (勾稽关系). Officials sign
tables, not estimates, so the table they sign is post-processed (DESIGN §9), top down as the
US Census Bureau's TopDown algorithm does (Abowd et al., "The 2020 Census Disclosure Avoidance
System TopDown Algorithm", Harvard Data Science Review, 2022):

1. The top region's table is the weighted least-squares projection of its estimate onto the
   table's constraints — every cell ≥ 0, the catalogue's rules, public (exact) cells kept —
   with weights 1/variance (a convex quadratic programme on sparse matrices, solved by
   Clarabel's interior-point method: HiGHS's active-set QP solver took minutes a solve at a
   province of 107 counties, one iteration per cell at its bound 0).
   It is then rounded to integers that keep every rule ("controlled rounding", Cox and Ernst,
   "Controlled rounding", INFOR 20(4), 1982; solved as a small integer programme by HiGHS
   through ``scipy.optimize.milp``), each cell within one unit of its projected value where
   the rules allow.
2. Each level below is projected the same way with one more constraint: its regions add up to
   their parent's official integers, cell by cell, in the projection and in the rounding.

Because each parent is fixed before its children, a province's total stays as close to its
raw estimate as the province's own noise allows: clipping many small counties at zero does not
push it up (which projecting the counties alone and summing would). This is post-processing:
it spends no privacy budget. The analysis form (estimates, variances, intervals) is untouched.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import clarabel
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csc_matrix, diags, hstack, identity, vstack

from aggregator.warnings.rules import Figures
from common.errors import GuanaiError
from protos.catalogue import Catalogue


class OfficialError(GuanaiError):
    """Estimates that cannot be made into an official table (no table meets the constraints)."""


class SolveError(OfficialError):
    """The solver failed on a problem that may well have a solution."""


@dataclass(frozen=True)
class Official:
    """One region's official table: ``values`` (cell id → non-negative integer) and the
    continuous projection it was rounded from (``projected``, same keys)."""

    region: str
    values: dict[str, int]
    projected: dict[str, float]


@dataclass
class _Rows:
    """Sparse linear constraints lower ≤ A·v ≤ upper over the problem's variables."""

    rows: list[int]
    cols: list[int]
    coef: list[float]
    lower: list[float]
    upper: list[float]

    @classmethod
    def empty(cls) -> _Rows:
        return cls([], [], [], [], [])

    def add(self, terms: Sequence[tuple[int, float]], lower: float, upper: float) -> None:
        row = len(self.lower)
        for col, coef in terms:
            self.rows.append(row)
            self.cols.append(col)
            self.coef.append(coef)
        self.lower.append(lower)
        self.upper.append(upper)

    def matrix(self, columns: int) -> csc_matrix:
        return coo_matrix((self.coef, (self.rows, self.cols)),
                          shape=(len(self.lower), columns)).tocsc()


class _Problem:
    """The variables of k regions × n cells, the constraints on them, and their estimates."""

    def __init__(self, catalogue: Catalogue, regions: Sequence[Figures]) -> None:
        self.catalogue = catalogue
        self.ids = catalogue.ids()
        self.regions = list(regions)
        n = len(self.ids)
        self.n = n
        self.y = np.array([[f.values[c] for c in self.ids] for f in regions], float).ravel()
        self.v = np.array([[f.variances[c] for c in self.ids] for f in regions], float).ravel()
        self.fixed = self.v <= 0  # public cells (no student's) and structural zeros: exact
        self.index = {c: i for i, c in enumerate(self.ids)}

    def col(self, region: int, cell: str) -> int:
        return region * self.n + self.index[cell]

    def rules(self, regions: Sequence[int]) -> _Rows:
        """The catalogue's rules (勾稽关系) for these regions."""
        rows = _Rows.empty()
        for r in regions:
            for rule in self.catalogue.rules:
                terms: dict[int, float] = {}
                for cell in rule.lhs:
                    terms[self.col(r, cell)] = terms.get(self.col(r, cell), 0.0) + 1.0
                for cell in rule.rhs:
                    terms[self.col(r, cell)] = terms.get(self.col(r, cell), 0.0) - 1.0
                lower = 0.0 if rule.op == "==" else -math.inf
                rows.add([(c, k) for c, k in terms.items() if k], lower, 0.0)
        return rows

    def sums(self, parts: Sequence[int], totals: np.ndarray) -> _Rows:
        """Every cell of the regions ``parts`` adds up to ``totals`` (the parent's)."""
        rows = _Rows.empty()
        for i in range(self.n):
            rows.add([(self.col(r, self.ids[i]), 1.0) for r in parts],
                     float(totals[i]), float(totals[i]))
        return rows

    def made_of(self, whole: int, parts: Sequence[int]) -> _Rows:
        """Every cell of region ``whole`` is the sum of the regions ``parts``."""
        rows = _Rows.empty()
        for i in range(self.n):
            rows.add([(self.col(whole, self.ids[i]), 1.0)]
                     + [(self.col(r, self.ids[i]), -1.0) for r in parts], 0.0, 0.0)
        return rows


def _merge(*parts: _Rows) -> _Rows:
    merged = _Rows.empty()
    for part in parts:
        base = len(merged.lower)
        merged.rows += [base + r for r in part.rows]
        merged.cols += part.cols
        merged.coef += part.coef
        merged.lower += part.lower
        merged.upper += part.upper
    return merged


# Clarabel's duality gap (relative to the objective, absolute) and feasibility tolerances,
# tightest first. The objective (Σ u², near a million at a province) dwarfs one cell's share
# of it, and a cell's distance from the optimum is at most √gap in u: 1e-8 of the objective
# (Clarabel's default) leaves a province's cells a unit away; 1e-14 of it keeps them within
# 1e-4 sd, as HiGHS's tolerance did. On small, degenerate problems (a parent's sums and its
# leaves' rules depend on each other) the tightest can stall, or even report infeasible: a
# looser one is then tried, where the objective is small and a relative gap costs little.
_TOLERANCES = ((1e-14, 1e-12, 1e-10), (1e-12, 1e-10, 1e-8), (1e-8, 1e-8, 1e-8))


def _project(problem: _Problem, constraints: _Rows, weight: np.ndarray) -> np.ndarray:
    """argmin Σ weight·(x − y)²/v subject to the constraints, x ≥ 0, fixed cells kept (QP).

    Solved in standardised variables u = (x − y)/sd, so that cells counted in students and in
    yuan are equally well conditioned: minimise Σ weight·u², with A·x = A·(y + sd·u). Fixed
    cells (sd = 0) have u = 0 and leave the problem. Solved by Clarabel's interior-point
    method on sparse matrices (Goulart and Chen, "Clarabel: An interior-point solver for conic
    programs with quadratic objectives", arXiv:2405.12762, 2024): its iterations do not grow
    with the number of cells at their bound 0, as an active-set method's do (a province's
    counties: thousands of cells at 0, minutes with HiGHS's QP solver, seconds here).

    ``weight`` has one entry per variable (region × cell). Returns x (same shape as y),
    clipped at 0 against the solver's tolerance. Raises OfficialError if no table meets the
    constraints, SolveError if the solver stops without an answer.
    """
    size = len(problem.y)
    free = ~problem.fixed
    sd = np.sqrt(np.where(free, problem.v, 0.0))
    a = constraints.matrix(size)
    offset = a @ problem.y
    scaled = (a @ diags(sd)).tocsr()
    # each row divided by its largest coefficient: rows in yuan and in students alike near 1
    norm = np.abs(scaled).max(axis=1).toarray().ravel()
    norm[norm == 0] = 1.0
    scaled = (diags(1 / norm) @ scaled).tocsc()[:, free]
    lower = (np.array(constraints.lower) - offset) / norm
    upper = (np.array(constraints.upper) - offset) / norm
    # sums of whole numbers: float dust is zero
    lower[np.abs(lower) < 1e-9] = 0.0
    upper[np.abs(upper) < 1e-9] = 0.0
    # a row on fixed cells alone is kept or broken whatever the solver does: check it here
    # (the solver stalls on such empty rows)
    empty = np.diff(scaled.tocsr().indptr) == 0
    if np.any(empty & ((lower > 1e-6) | (upper < -1e-6))):
        raise OfficialError("无法形成正式表 no table meets the constraints "
                            "(the exact cells break a rule)")
    equal = ~empty & (np.array(constraints.lower) == np.array(constraints.upper))
    above = ~empty & ~equal & np.isfinite(upper)
    below = ~empty & ~equal & np.isfinite(lower)
    count = int(free.sum())
    # Clarabel's form: A·u + s = b with s in a cone — zero cone for =, non-negative for ≤
    rows = vstack([scaled[equal], scaled[above], -scaled[below], -identity(count)]).tocsc()
    bound = np.concatenate([upper[equal], upper[above], -lower[below],
                            problem.y[free] / sd[free]])
    cones = [clarabel.ZeroConeT(int(equal.sum())),
             clarabel.NonnegativeConeT(int(above.sum() + below.sum()) + count)]
    hessian = diags(2.0 * weight[free]).tocsc()
    for gap_rel, gap_abs, feasible in _TOLERANCES:
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        settings.tol_gap_rel, settings.tol_gap_abs = gap_rel, gap_abs
        settings.tol_feas = feasible
        solution = clarabel.DefaultSolver(hessian, np.zeros(count), rows, bound, cones,
                                          settings).solve()
        status = solution.status
        if status in (clarabel.SolverStatus.Solved, clarabel.SolverStatus.AlmostSolved):
            break
    else:
        if status in (clarabel.SolverStatus.PrimalInfeasible,
                      clarabel.SolverStatus.AlmostPrimalInfeasible):
            raise OfficialError(f"无法形成正式表 no table meets the constraints ({status})")
        raise SolveError(f"投影未能求解 the projection could not be solved ({status})")
    u = np.zeros(size)
    u[free] = np.array(solution.x)
    return np.maximum(problem.y + sd * u, 0.0)


@contextmanager
def _quiet() -> Iterator[None]:
    """The process's standard output sent to the null device for a while. The HiGHS inside
    scipy prints debugging lines there for some integer programmes ("HighsMipSolverData::
    transformNewIntegerFeasibleSolution tmpSolver.run();"), whatever its options; they would
    corrupt a command's CSV or JSON. One at a time: a service's threads share the process's
    output, and one restoring it while another has it sent away would lose it."""
    with _QUIET:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


_QUIET = threading.Lock()


MILP_SOLVE_ERROR = 4  # scipy.optimize.milp's status for HiGHS's other errors


def _round(problem: _Problem, projected: np.ndarray, constraints: _Rows,
           weight: np.ndarray) -> np.ndarray:
    """Integers within one unit of ``projected`` (two where the rules need it) that keep the
    constraints, as close as possible in total absolute difference (HiGHS MILP)."""
    size = len(projected)
    floor = np.floor(projected + 1e-9)
    # variables: z (integers), t ≥ |z − projected|
    low = np.where(problem.fixed, np.round(projected), np.maximum(floor - 1, 0))
    high = np.where(problem.fixed, np.round(projected), floor + 2)
    a = constraints.matrix(size)
    eye = csc_matrix((np.ones(size), (np.arange(size), np.arange(size))), shape=(size, size))
    zeros = csc_matrix((a.shape[0], size))
    rows = vstack([hstack([a, zeros]), hstack([eye, -eye]), hstack([eye, eye])]).tocsc()
    lower = np.concatenate([constraints.lower, np.full(size, -np.inf), projected])
    upper = np.concatenate([constraints.upper, projected, np.full(size, np.inf)])
    cost = np.concatenate([np.zeros(size), weight])
    for presolve in (True, False):
        with _quiet():
            result = milp(cost, constraints=LinearConstraint(rows, lower, upper),
                          integrality=np.concatenate([np.ones(size), np.zeros(size)]),
                          bounds=Bounds(np.concatenate([low, np.zeros(size)]),
                                        np.concatenate([high, np.full(size, np.inf)])),
                          options={"time_limit": 60.0, "presolve": presolve})
        # status 4: HiGHS stopped with a "solve error" (numerical trouble in its presolve,
        # seen once in the suite's random draws), not a proof of infeasibility: solve once more
        # without presolve before giving up
        if result.x is not None or result.status != MILP_SOLVE_ERROR:
            break
    if result.x is None:
        raise OfficialError(f"无法取整 no integer table keeps the rules ({result.message})")
    return np.round(result.x[:size])


LEAF_WEIGHT = 1e-2  # the regions below only keep the table feasible; they are solved later


def _leaves(unit: str, parts: Mapping[str, Sequence[str]]) -> list[str]:
    below = parts.get(unit, ())
    return [leaf for part in below for leaf in _leaves(part, parts)] if below else [unit]


def _solve(catalogue: Catalogue, figures: Mapping[str, Figures], regions: Sequence[str],
           parts: Mapping[str, Sequence[str]],
           parent: np.ndarray | None) -> list[Official]:
    """The official tables of ``regions`` (adding up to ``parent``'s official integers, cell
    by cell, if given). The lowest regions below each (its leaves) are solved with them at a
    small weight, so that a table is chosen only if its leaves can still meet the rules.

    Both the projection and the rounding add up to the parent's integers: they keep the rules
    exactly, whereas the parent's continuous projection keeps them only to the solver's
    tolerance, and children held to it can be infeasible by that much (HiGHS then stops with
    a solve error: seen with enrolment, an estimate, at its rule R01's edge)."""
    below = {r: _leaves(r, parts) for r in regions}
    units = list(regions) + [leaf for r in regions for leaf in below[r] if leaf != r]
    at = {u: i for i, u in enumerate(units)}
    problem = _Problem(catalogue, [figures[u] for u in units])
    n = problem.n
    weight = np.repeat([1.0 if i < len(regions) else LEAF_WEIGHT for i in range(len(units))], n)
    # the rules are stated for the leaves only: a sum of tables that keep them keeps them too,
    # and stating them twice gives the QP solver dependent rows, on which it can stall
    lowest = [i for i, u in enumerate(units) if i >= len(regions) or below[u] == [u]]
    rules = _merge(problem.rules(lowest),
                   *(problem.made_of(at[r], [at[leaf] for leaf in below[r]])
                     for r in regions if below[r] != [r]))
    top = range(len(regions))
    constraints = _merge(rules, problem.sums(top, parent)) if parent is not None else rules
    projected = _project(problem, constraints, weight)
    rounded = _round(problem, projected, constraints, weight)
    return [Official(r, dict(zip(problem.ids, map(int, rounded[i * n:(i + 1) * n]), strict=True)),
                     dict(zip(problem.ids, map(float, projected[i * n:(i + 1) * n]), strict=True)))
            for i, r in enumerate(regions)]


def official_tables(catalogue: Catalogue, figures: Mapping[str, Figures],
                    parts: Mapping[str, Sequence[str]], top: str) -> dict[str, Official]:
    """The official tables of ``top`` and of every region below it in ``parts``.

    ``figures``: region → its estimates (values and noise variances per cell id, as
    aggregator/figures/holdings.py gives them); ``parts``: region → the regions whose
    figures add up to it (a province's cities and direct schools, a city's counties, …),
    each of which must be in ``figures``. Returns region → Official, for ``top`` and every
    region reached through ``parts``. Raises OfficialError if no table meets the rules.
    """
    tables = {top: _solve(catalogue, figures, [top], parts, None)[0]}
    queue = [top]
    ids = catalogue.ids()
    while queue:
        parent = tables[queue.pop(0)]
        children = list(parts.get(parent.region, ()))
        if not children:
            continue
        totals = np.array([parent.values[c] for c in ids], float)
        for official in _solve(catalogue, figures, children, parts, totals):
            tables[official.region] = official
            queue.append(official.region)
    return tables


def share(numerator: int, denominator: int) -> float | None:
    """A share of two official figures, in [0, 1]; None when the denominator is 0."""
    if denominator <= 0:
        return None
    return min(1.0, max(0.0, numerator / denominator))
