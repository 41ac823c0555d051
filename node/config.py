"""The node's configuration file (TOML). Only what differs from the defaults needs writing.

    [budget]
    rho_half_year = 0.5   # ρ (zCDP) of a half-year table
    rho_annual = 0.25     # ρ of the annual table
    annual_cap = 2.0      # ρ per student population per year
    delta = 1e-6          # δ for reporting the (ε, δ) equivalent

    [schedule]            # `guanai node run` (node/schedule.py)
    check_every_minutes = 60
    warn_days = 30        # checks begin this many days before a deadline
    window_days = 10      # release and submission begin this many days before it
    retry_seconds = 60
    max_retry_minutes = 60
    refused_retry_hours = 24
    timeout_seconds = 60
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from node.schedule import ScheduleSettings
from privacy.budget import BudgetPolicy
from protos.errors import GuanaiError
from protos.tomlfile import read_toml


class ConfigError(GuanaiError):
    """A configuration file that is missing, unreadable or has a bad key."""


@dataclass(frozen=True)
class NodeConfig:
    budget: BudgetPolicy = field(default_factory=BudgetPolicy)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)


def load_config(path: Path | None) -> NodeConfig:
    if path is None:
        return NodeConfig()
    raw = read_toml(path, ConfigError, "configuration file")
    unknown = set(raw) - {"budget", "schedule"}
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}; allowed: [budget], "
                          "[schedule]")
    budget = _numbers(path, raw, "budget", BudgetPolicy)
    schedule = _numbers(path, raw, "schedule", ScheduleSettings)
    return NodeConfig(budget=BudgetPolicy(**{k: float(v) for k, v in budget.items()}),
                      schedule=ScheduleSettings(**schedule))


def _numbers(path: Path, raw: dict, section: str, kind: type) -> dict:
    values = raw.get(section, {})
    allowed = {f.name for f in fields(kind)}
    bad = set(values) - allowed
    if bad:
        raise ConfigError(f"{path}: unknown key(s) {section}.{sorted(bad)}; allowed: "
                          f"{sorted(allowed)}")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()):
        raise ConfigError(f"{path}: every {section} key takes a number")
    return values
