"""The privacy budget: ρ per release by period kind, ρ per published level, and the annual cap
per student population.

A half-year costs each student the ρ of the school's own table plus the ρ of every level that
publishes a figure from the schools' secret shares (county, city, province: DESIGN §8,
docs/secure-aggregation.md): a student is in exactly one county, one city and one province, so
by zCDP composition (Bun & Steinke 2016, Lemma 2.3) the half-year costs the sum.

OpenDP's privacy filter lives in memory and, once a query would pass its cap, refuses every
later query for good (checked with OpenDP 0.16). A school releases in separate processes over a year, so the
node keeps its own persistent ledger and asks this module before each release: charge only if
the whole release fits under the cap, refuse without charging otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.configspec import Key
from common.errors import GuanaiError
from privacy.identity import LEVELS
from protos.periods import Period

# Chosen with `guanai plan` (docs/budget.md, docs/secure-aggregation.md): a half-year costs
# 0.5 in all, as it did when the school's table was the only release; most of it goes to the
# county figure (the warnings are judged there), a small share to the school's own table.
DEFAULT_RHO_HALF_YEAR = 0.05
DEFAULT_RHO_COUNTY = 0.3
DEFAULT_RHO_CITY = 0.05
DEFAULT_RHO_PROVINCE = 0.1
DEFAULT_RHO_ANNUAL = 0.25
DEFAULT_ANNUAL_CAP = 2.0
DEFAULT_DELTA = 1e-6
_TOLERANCE = 1e-9

# The `[budget]` keys of the published levels, the same in the node's and the aggregator's
# configuration (docs/configuration.md).
LEVEL_KEYS = {
    f"rho_{level}": Key("number", f"ρ (zCDP) of the {level}'s half-year figure published from "
                        "the schools' shares; 0: none.", default, minimum=0)
    for level, default in (("county", DEFAULT_RHO_COUNTY), ("city", DEFAULT_RHO_CITY),
                           ("province", DEFAULT_RHO_PROVINCE))
}


class BudgetExceeded(GuanaiError):
    """A release that would take the year's ρ past the annual cap; nothing was spent."""


@dataclass(frozen=True)
class BudgetPolicy:
    """A node's privacy budget, all in ρ of zero-concentrated DP (Bun & Steinke 2016): ρ of the
    school's own half-year table and of an annual table, the cap on the sum per calendar year,
    the δ at which the equivalent (ε, δ) is reported, and the ρ each published level (county,
    city, province) spends on a half-year figure made from the schools' shares (0: that level
    publishes none). Raises ``GuanaiError`` for a non-positive table ρ or cap, a negative
    level ρ, or a δ outside (0, 1)."""

    rho_half_year: float = DEFAULT_RHO_HALF_YEAR
    rho_annual: float = DEFAULT_RHO_ANNUAL
    annual_cap: float = DEFAULT_ANNUAL_CAP
    delta: float = DEFAULT_DELTA
    rho_county: float = DEFAULT_RHO_COUNTY
    rho_city: float = DEFAULT_RHO_CITY
    rho_province: float = DEFAULT_RHO_PROVINCE

    def __post_init__(self) -> None:
        for name in ("rho_half_year", "rho_annual", "annual_cap"):
            if not getattr(self, name) > 0:
                raise GuanaiError(f"budget.{name} must be a positive number of ρ (zCDP)")
        for level in LEVELS:
            if not getattr(self, f"rho_{level}") >= 0:
                raise GuanaiError(f"budget.rho_{level} must be 0 (no {level} figure) or a "
                                  "positive number of ρ (zCDP)")
        if not 0 < self.delta < 1:
            raise GuanaiError("budget.delta must lie strictly between 0 and 1")

    def within(self, federation: BudgetPolicy | None) -> BudgetPolicy:
        """This policy, lowered to the ``federation``'s where that is stricter (the table's ρ
        and the cap): a node releases within what its parent enforces (docs/aggregator.md). The
        levels' ρ are the federation's: the aggregators publish the levels' figures, so what
        they spend is what a student is charged."""
        if federation is None:
            return self
        return BudgetPolicy(min(self.rho_half_year, federation.rho_half_year),
                            min(self.rho_annual, federation.rho_annual),
                            min(self.annual_cap, federation.annual_cap), self.delta,
                            *(federation.rho_level(level) for level in LEVELS))

    def rho_for(self, period: Period) -> float:
        """The ρ (zCDP) of the school's own table for ``period``."""
        return self.rho_annual if period.annual else self.rho_half_year

    def rho_level(self, level: str) -> float:
        """The ρ (zCDP) a published half-year figure of ``level`` (county, city or province)
        spends on each student in it; 0 when that level publishes none."""
        if level not in LEVELS:
            raise GuanaiError(f"unknown level {level!r}: one of {', '.join(LEVELS)}")
        return getattr(self, f"rho_{level}")

    def levels_for(self, period: Period) -> dict[str, float]:
        """level → ρ of the figures published from the shares of ``period`` (none for an annual
        period, which releases no table)."""
        return {} if period.annual else {level: self.rho_level(level) for level in LEVELS}

    def charge_for(self, period: Period) -> float:
        """Everything ``period`` costs one student (ρ, zCDP): the school's own table plus every
        level's published figure (zCDP composition, Bun & Steinke 2016, Lemma 2.3)."""
        return self.rho_for(period) + sum(self.levels_for(period).values())

    def check(self, period: Period, spent_this_year: float, *, levels: bool = False) -> float:
        """The ρ a release of ``period`` charges, if it fits under the cap; else BudgetExceeded.

        Without ``levels`` the school's own table only; with ``levels`` (a release that also
        sends its shares to the published levels) the table and every level (``charge_for``).
        """
        rho = self.charge_for(period) if levels else self.rho_for(period)
        if spent_this_year + rho > self.annual_cap + _TOLERANCE:
            raise BudgetExceeded(
                f"隐私预算不足 budget exhausted: {period.year}年已用 ρ = {spent_this_year:g}, "
                f"this release needs {rho:g}, the annual cap is {self.annual_cap:g}. "
                "Nothing was spent; a further release must wait for next year or a larger cap."
            )
        return rho
