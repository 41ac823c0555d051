"""The official form of the statistics table: non-negative integers that add up across levels.

The figures an aggregator holds are unbiased estimates (sums of differentially private
releases): some cells are negative, none is a whole number of anything once variances are
pooled, and a county's figures need not obey the table's own rules (勾稽关系). Officials sign
tables, not estimates, so the table they sign is post-processed (DESIGN §9), top down as the
US Census Bureau's TopDown algorithm does (Abowd et al., "The 2020 Census Disclosure Avoidance
System TopDown Algorithm", Harvard Data Science Review, 2022):

1. The top region's table is the weighted least-squares projection of its estimate onto the
   table's constraints — every cell ≥ 0, the catalogue's rules, public (exact) cells kept —
   with weights 1/variance (a convex quadratic programme, solved by HiGHS through ``highspy``).
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csc_matrix, hstack, vstack

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


def _highs() -> highspy.Highs:
    """A quiet HiGHS solver. HiGHS prints its banner on the process's standard output the
    first time one is made, whatever its options; that would corrupt a command's CSV or JSON,
    so the first one is made with the standard output sent to the null device."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        solver = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                solver = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    solver.setOptionValue("output_flag", False)
    return solver


_BANNER_SHOWN = False


def _project(problem: _Problem, constraints: _Rows, weight: np.ndarray) -> np.ndarray:
    """argmin Σ weight·(x − y)²/v subject to the constraints, x ≥ 0, fixed cells kept (QP).

    Solved in standardised variables u = (x − y)/sd, so that cells counted in students and in
    yuan are equally well conditioned: minimise Σ u², with A·x = A·(y + sd·u).
    """
    size = len(problem.y)
    sd = np.sqrt(np.where(problem.fixed, 0.0, problem.v))
    a = constraints.matrix(size)
    offset = a @ problem.y
    scaled = (a @ csc_matrix((sd, (np.arange(size), np.arange(size))), shape=(size, size))).tocsr()
    # each row divided by its largest coefficient: rows in yuan and in students alike near 1
    norm = np.abs(scaled).max(axis=1).toarray().ravel()
    norm[norm == 0] = 1.0
    scaled = (csc_matrix((1 / norm, (np.arange(len(norm)), np.arange(len(norm)))),
                         shape=(len(norm), len(norm))) @ scaled).tocsc()
    free = ~problem.fixed
    lower_u = np.where(free, -problem.y / np.where(free, sd, 1.0), 0.0)
    upper_u = np.where(free, highspy.kHighsInf, 0.0)

    lp = highspy.HighsLp()
    lp.num_col_ = size
    lp.num_row_ = len(constraints.lower)
    lp.col_cost_ = np.zeros(size)
    lp.col_lower_ = lower_u
    lp.col_upper_ = upper_u
    inf = highspy.kHighsInf
    def bound(x: float, o: float, k: float, none: float) -> float:
        if not math.isfinite(x):
            return none
        b = (x - o) / k
        return 0.0 if abs(b) < 1e-9 else b  # sums of whole numbers: float dust is zero

    lp.row_lower_ = np.array([bound(lo, o, k, -inf)
                              for lo, o, k in zip(constraints.lower, offset, norm, strict=True)])
    lp.row_upper_ = np.array([bound(up, o, k, inf)
                              for up, o, k in zip(constraints.upper, offset, norm, strict=True)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = scaled.indptr
    lp.a_matrix_.index_ = scaled.indices
    lp.a_matrix_.value_ = scaled.data
    model = highspy.HighsModel()
    model.lp_ = lp
    model.hessian_.dim_ = size
    model.hessian_.format_ = highspy.HessianFormat.kTriangular
    model.hessian_.start_ = np.arange(size + 1)
    model.hessian_.index_ = np.arange(size)
    model.hessian_.value_ = np.where(free, 2.0 * weight, 1.0)
    solver = _highs()
    # in standard deviations: 1e-4 of one is far below a unit, and the rounding that follows
    # keeps every constraint exactly
    solver.setOptionValue("primal_feasibility_tolerance", 1e-4)
    solver.passModel(model)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kSolveError:
        raise SolveError("HiGHS could not solve the projection")
    if status != highspy.HighsModelStatus.kOptimal:
        raise OfficialError(f"无法形成正式表 no table meets the constraints "
                            f"({solver.modelStatusToString(solver.getModelStatus())})")
    u = np.array(solver.getSolution().col_value)
    return np.maximum(problem.y + sd * u, 0.0)


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
    result = milp(cost, constraints=LinearConstraint(rows, lower, upper),
                  integrality=np.concatenate([np.ones(size), np.zeros(size)]),
                  bounds=Bounds(np.concatenate([low, np.zeros(size)]),
                                np.concatenate([high, np.full(size, np.inf)])),
                  options={"time_limit": 60.0})
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
    try:
        projected = _project(problem, constraints, weight)
    except SolveError:  # HiGHS's QP solver can stall on uneven weights: try even ones
        projected = _project(problem, constraints, np.ones_like(weight))
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
