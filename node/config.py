"""The node's configuration file (TOML). Only what differs from the defaults needs writing.

    [budget]
    rho_half_year = 0.5   # ρ (zCDP) of a half-year table
    rho_annual = 0.25     # ρ of the annual table
    annual_cap = 2.0      # ρ per student population per year
    delta = 1e-6          # δ for reporting the (ε, δ) equivalent
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from privacy.budget import BudgetPolicy
from protos.errors import GuanaiError
from protos.tomlfile import read_toml


class ConfigError(GuanaiError):
    """A configuration file that is missing, unreadable or has a bad key."""


@dataclass(frozen=True)
class NodeConfig:
    budget: BudgetPolicy = field(default_factory=BudgetPolicy)


def load_config(path: Path | None) -> NodeConfig:
    if path is None:
        return NodeConfig()
    raw = read_toml(path, ConfigError, "configuration file")
    unknown = set(raw) - {"budget"}
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}; allowed: [budget]")
    budget = raw.get("budget", {})
    allowed = {f.name for f in fields(BudgetPolicy)}
    bad = set(budget) - allowed
    if bad:
        raise ConfigError(f"{path}: unknown key(s) budget.{sorted(bad)}; allowed: {sorted(allowed)}")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in budget.values()):
        raise ConfigError(f"{path}: every budget key takes a number")
    return NodeConfig(budget=BudgetPolicy(**{k: float(v) for k, v in budget.items()}))
