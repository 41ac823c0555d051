"""The node's configuration file (TOML), checked key by key at start (docs/configuration.md).

Only what differs from the defaults needs writing; every command line option still wins over
the file. The signing key is a file beside the store (``<db>.signing.key``), never inline.

    [node]
    db = "/var/lib/guanai/node.db"

    [budget]
    rho_half_year = 0.05  # ρ (zCDP) of the school's own half-year table
    rho_county = 0.3      # ρ of the county's figure published from the shares
    rho_city = 0.05       # … the city's
    rho_province = 0.1    # … the province's (a half-year costs 0.5 in all)
    rho_annual = 0.25     # ρ of the annual table
    annual_cap = 2.0      # ρ per student population per year
    delta = 1e-6          # δ for reporting the (ε, δ) equivalent

    [schedule]            # `guanai node run` (node/schedule.py)
    check_every_minutes = 60
    warn_days = 30        # checks begin this many days before a deadline
    window_days = 10      # release and submission begin this many days before it

    [catalogue]
    version = "v1"        # the catalogue the node releases with

    [submit]
    attempts = 10         # give up after so many attempts (default: keep trying)

    [log]
    format = "json"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from common import configspec
from common.configspec import LOG_SECTION, Checked, ConfigError, Key, Spec, check, defaults
from common.errors import GuanaiError
from common.tomlfile import read_toml
from member.options import SEND_SECTION
from node.schedule import ScheduleSettings
from privacy.budget import DEFAULT_RHO_HALF_YEAR, LEVEL_KEYS, BudgetPolicy
from protos import catalogue

__all__ = ["ConfigError", "NodeConfig", "SPEC", "load_config", "config_option"]

_RHO = "ρ (zCDP) of a {} table."
SPEC: Spec = {
    "node": {
        "db": Key("path", "The school's store (SQLite); its signing key is <db>.signing.key."),
    },
    "budget": {
        "rho_half_year": Key("number", _RHO.format("half-year"), DEFAULT_RHO_HALF_YEAR, minimum=0),
        "rho_annual": Key("number", _RHO.format("annual"), 0.25, minimum=0),
        "annual_cap": Key("number", "ρ per student population per year.", 2.0, minimum=0),
        "delta": Key("number", "δ for the (ε, δ) equivalent reported.", 1e-6, minimum=0),
        **LEVEL_KEYS,
    },
    "schedule": {
        "check_every_minutes": Key("number", "How often `guanai node run` wakes to look.", 60.0,
                                   minimum=0),
        "warn_days": Key("integer", "Checks (validation, budget) begin this many days before "
                         "a deadline.", 30, minimum=1),
        "window_days": Key("integer", "Release and submission begin this many days before it.",
                           10, minimum=1),
        "retry_seconds": Key("number", "First retry of a failed delivery (doubling, jitter).",
                             60.0, minimum=0),
        "max_retry_minutes": Key("number", "Longest pause between retries.", 60.0, minimum=0),
        "refused_retry_hours": Key("number", "A refused submission is tried again after this.",
                                   24.0, minimum=0),
        "timeout_seconds": Key("number", "Deadline of each call to the parent.", 60.0,
                               minimum=0),
    },
    "catalogue": {
        "version": Key("string", "Catalogue version of the released table (目录版本).",
                       catalogue.LATEST_VERSION),
        "directory": Key("path", "A folder of further catalogue files (<version>.toml)."),
    },
    "submit": SEND_SECTION,
    "log": LOG_SECTION,
}


@dataclass(frozen=True)
class NodeConfig:
    budget: BudgetPolicy = field(default_factory=BudgetPolicy)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    checked: Checked = field(default_factory=lambda: defaults(SPEC))

    @property
    def catalogue_version(self) -> str:
        return self.checked["catalogue.version"]

    def default_map(self) -> dict:
        """The file's values as defaults of the ``guanai node`` options they stand for."""
        submit = {k: v for k, v in self.checked.values["submit"].items() if v is not None}
        mapping: dict = {"submit": {k: str(v) if isinstance(v, Path) else v
                                    for k, v in submit.items()}}
        if self.checked.source is not None:
            for command in ("release", "run"):
                mapping[command] = {"config": str(self.checked.source)}
        if self.checked["node.db"] is not None:
            mapping["db"] = str(self.checked["node.db"])
        return mapping


@contextmanager
def _about(path: Path, key: str) -> Iterator[None]:
    """Any GuanaiError inside becomes a ConfigError naming the file and the key."""
    try:
        yield
    except GuanaiError as exc:
        raise ConfigError(f"{path}: {key}: {exc}") from None


def load_config(path: Path | None) -> NodeConfig:
    if path is None:
        return NodeConfig()
    checked = check(read_toml(path, ConfigError, "configuration file"), SPEC, Path(path))
    if (checked["submit.client_cert"] is None) != (checked["submit.client_key"] is None):
        raise ConfigError(f"{path}: submit.client_cert and submit.client_key go together")
    with _about(path, "catalogue.directory"):
        if checked["catalogue.directory"] is not None:
            catalogue.add_directory(checked["catalogue.directory"])
    with _about(path, "catalogue.version"):
        catalogue.load(checked["catalogue.version"])
    with _about(path, "budget"):
        budget = BudgetPolicy(**checked.values["budget"])
    with _about(path, "schedule"):
        schedule = ScheduleSettings(**checked.values["schedule"])
    return NodeConfig(budget=budget, schedule=schedule, checked=checked)


def config_option(envvar: str = "GUANAI_NODE_CONFIG") -> Callable:
    """``guanai node --config FILE``: the file's values become the options' defaults."""
    return configspec.config_option(envvar, load_config)
