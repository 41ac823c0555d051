"""The privacy budget: ρ per release by period kind, and the annual cap per student population.

OpenDP's privacy filter lives in memory and, once a query would pass its cap, refuses every
later query for good (checked with OpenDP 0.16). A school releases in separate processes over a year, so the
node keeps its own persistent ledger and asks this module before each release: charge only if
the whole release fits under the cap, refuse without charging otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import GuanaiError
from protos.periods import Period

# Chosen with `guanai plan` (docs/budget.md): two half-year tables, the annual table and one
# correction fit under the cap.
DEFAULT_RHO_HALF_YEAR = 0.5
DEFAULT_RHO_ANNUAL = 0.25
DEFAULT_ANNUAL_CAP = 2.0
DEFAULT_DELTA = 1e-6
_TOLERANCE = 1e-9


class BudgetExceeded(GuanaiError):
    """A release that would take the year's ρ past the annual cap; nothing was spent."""


@dataclass(frozen=True)
class BudgetPolicy:
    """A node's privacy budget, all in ρ of zero-concentrated DP (Bun & Steinke 2016): ρ per
    half-year release and per annual release, the cap on the sum per calendar year, and the δ
    at which the equivalent (ε, δ) is reported. Raises ``GuanaiError`` for a non-positive ρ
    or a δ outside (0, 1)."""

    rho_half_year: float = DEFAULT_RHO_HALF_YEAR
    rho_annual: float = DEFAULT_RHO_ANNUAL
    annual_cap: float = DEFAULT_ANNUAL_CAP
    delta: float = DEFAULT_DELTA

    def __post_init__(self) -> None:
        for name in ("rho_half_year", "rho_annual", "annual_cap"):
            if not getattr(self, name) > 0:
                raise GuanaiError(f"budget.{name} must be a positive number of ρ (zCDP)")
        if not 0 < self.delta < 1:
            raise GuanaiError("budget.delta must lie strictly between 0 and 1")

    def rho_for(self, period: Period) -> float:
        """The ρ (zCDP) one release of ``period`` spends."""
        return self.rho_annual if period.annual else self.rho_half_year

    def check(self, period: Period, spent_this_year: float) -> float:
        """The ρ a release of ``period`` costs, if it fits under the cap; else BudgetExceeded."""
        rho = self.rho_for(period)
        if spent_this_year + rho > self.annual_cap + _TOLERANCE:
            raise BudgetExceeded(
                f"隐私预算不足 budget exhausted: {period.year}年已用 ρ = {spent_this_year:g}, "
                f"this release needs {rho:g}, the annual cap is {self.annual_cap:g}. "
                "Nothing was spent; a further release must wait for next year or a larger cap."
            )
        return rho
