"""The federation's privacy policy, enforced where tables arrive (DESIGN §4 invariant 10).

A school's node keeps its own budget ledger (privacy/budget.py), but a node that is
misconfigured or dishonest could release a table with hardly any noise, or a tenth revision
in a half-year. So the aggregator checks every school table it takes — sent by the school or
forwarded inside a member's rollup — against the policy it is configured with (the
``[budget]`` section, the same keys as the node's):

- the ρ a table spends is computed from what it declares and the catalogue, never read from
  its ``budget`` field: ρ = Σ over groups of Δ_g² / (2 σ_g²), Δ_g the group's L2 sensitivity
  for the school's stages (protos/catalogue.py), σ_g its declared discrete Gaussian scale —
  the zCDP cost of the discrete Gaussian (Canonne, Kamath, Steinke 2020, Thm 14);
- that ρ may not exceed the policy's ρ for the period (half-year);
- the ρ of every revision held for the school in the year (both halves, the returned ones
  included: each was released) plus this one may not exceed the annual cap; each half-year
  revision also counts the ρ of every level's figure published from the schools' shares
  (county, city, province: the policy's ``rho_county`` …, docs/secure-aggregation.md), since
  each revision sends new shares that those figures sum.

Both refusals are NOT_NOW (FAILED_PRECONDITION) and say what was allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from privacy.budget import BudgetPolicy
from protos.catalogue import load
from protos.periods import Period
from protos.refusals import Kind, Refused
from protos.regions import school_stages
from protos.report_pb2 import Report

# The node's scale comes from OpenDP's binary search, which stops within a hair of ρ.
_TOLERANCE = 1e-6


def release_rho(report: Report) -> float:
    """ρ (zCDP) that a school table spends, from its declared scales and the catalogue.

    ``report`` must have passed protos/validation.py's ``check_values`` (every noise group
    present, scales positive and finite). 0.0 for a table of another kind.
    """
    if report.kind != Report.SCHOOL:
        return 0.0
    sensitivity = _sensitivities(report.catalogue_version, school_stages(report.sender_id))
    return sum(sensitivity[n.group] ** 2 / (2 * n.scale * n.scale) for n in report.noise)


@cache
def _sensitivities(version: str, stages: tuple[str, ...]) -> dict[str, float]:
    """Each DP group's L2 sensitivity for a school of ``stages`` (catalogue ``version``)."""
    catalogue = load(version)
    return {g: catalogue.sensitivity(g, frozenset(stages)) for g in catalogue.groups}


def check_release(report: Report, policy: BudgetPolicy) -> float:
    """The ρ the table spends, if within the policy's ρ for its period; Refused(NOT_NOW) if not."""
    rho = release_rho(report)
    allowed = policy.rho_for(Period.parse(report.period))
    if rho > allowed * (1 + _TOLERANCE):
        raise Refused(Kind.NOT_NOW,
                      f"噪声不足 too little noise: {report.sender_id} {report.period} revision "
                      f"{report.revision} spends ρ = {rho:.6g} by its declared noise scales, "
                      f"this federation allows ρ = {allowed:g} per table "
                      f"({_scales(report, allowed)}); release it again with the federation's "
                      "budget (`[budget]` of the node's configuration)")
    return rho


def charged_rho(report: Report, policy: BudgetPolicy) -> float:
    """ρ (zCDP) a school table charges its students: its own (``release_rho``) plus the ρ of
    every level that publishes the period from the schools' shares (0.0 for other kinds)."""
    if report.kind != Report.SCHOOL:
        return 0.0
    return release_rho(report) + sum(policy.levels_for(Period.parse(report.period)).values())


def check_year(report: Report, held: Iterable[Report], policy: BudgetPolicy) -> None:
    """Refused(NOT_NOW) unless this table and every revision ``held`` for the school in its
    year (any half) stay within the policy's annual cap, every level's figure counted."""
    check_release(report, policy)
    rho = charged_rho(report, policy)
    spent = sum(charged_rho(r, policy) for r in held)
    if spent + rho > policy.annual_cap * (1 + _TOLERANCE):
        raise Refused(Kind.NOT_NOW,
                      f"隐私预算超限 over the annual budget: {report.sender_id} has spent "
                      f"ρ = {spent:.6g} in {Period.parse(report.period).year} by the tables held "
                      f"here and the figures published from them, this one spends {rho:.6g}, "
                      f"the cap is ρ = {policy.annual_cap:g} "
                      "per school and year; no further table of this school can be taken "
                      "this year")


def _scales(report: Report, rho: float) -> str:
    """The least scale of each group, if each spent its catalogue share of ``rho``."""
    catalogue = load(report.catalogue_version)
    sensitivity = _sensitivities(report.catalogue_version, school_stages(report.sender_id))
    least = []
    for n in report.noise:
        share = rho * catalogue.groups[n.group].share
        least.append(f"{n.group} σ ≥ {sensitivity[n.group] / (2 * share) ** 0.5:.4g}")
    return "least scales: " + ", ".join(least)
