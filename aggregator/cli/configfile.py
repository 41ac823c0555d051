"""The aggregator's configuration file (TOML), checked key by key at start.

Who the aggregator is (region, level, parent) lives in its store (``aggregator.keys.own_identity``); how
it runs lives here: where its store is, where it listens, its TLS files, its metrics port, the
catalogue versions it accepts, how it sends rollups, how it logs. Every key is documented in
docs/configuration.md and stands for a command line option, which still wins over the file.
Its signing and sealing keys are the files ``<db>.signing.key`` and ``<db>.sealing.key``
beside the store; TLS keys are named by path: no secret is ever written in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aggregator.intake.catalogues import CataloguePolicy, CataloguePolicyError
from common import configspec
from common.configspec import LOG_SECTION, Checked, ConfigError, Key, Spec, check
from common.tomlfile import read_toml
from member.options import SEND_SECTION
from privacy.budget import DEFAULT_RHO_HALF_YEAR, LEVEL_KEYS
from protos import catalogue
from protos.catalogue import CatalogueError

SPEC: Spec = {
    "aggregator": {
        "db": Key("path", "The aggregator's store (SQLite); its keys are <db>.signing.key and "
                  "<db>.sealing.key beside it."),
    },
    "server": {
        "listen": Key("address", "host:port of the gRPC service.", "127.0.0.1:50051"),
        "max_message_mb": Key("number", "Largest request accepted, in MiB.", 64.0,
                              minimum=0.001),
        "grace": Key("number", "Seconds to finish submissions in flight when stopping.", 10.0,
                     minimum=0),
    },
    "tls": {
        "cert": Key("path", "Server certificate chain (PEM); enables TLS."),
        "key": Key("path", "The server certificate's private key (PEM), mode 0600."),
        "client_ca": Key("path", "CA (PEM) of members' client certificates; enables mutual TLS."),
    },
    "web": {
        "listen": Key("address", "host:port of the bureau's web pages (`guanai aggregator web`); "
                      "beyond loopback only with tls.cert and tls.key.", "127.0.0.1:8080"),
    },
    "metrics": {
        "listen": Key("address", "host:port serving GET /metrics (Prometheus text format); "
                      "absent: no metrics."),
    },
    "catalogue": {
        "accept": Key("strings", "Catalogue versions accepted from members (absent: every "
                      "version known)."),
        "accept_until": Key("dates", "Last day each old version is accepted: the end of its "
                            "transition.", {}),
        "directory": Key("path", "A folder of further catalogue files (<version>.toml)."),
    },
    "budget": {
        "rho_half_year": Key("number", "The federation's ρ (zCDP) per half-year school table: "
                             "a table with less noise is refused.", DEFAULT_RHO_HALF_YEAR,
                             minimum=0),
        "rho_annual": Key("number", "ρ per annual table.", 0.25, minimum=0),
        "annual_cap": Key("number", "ρ per school and year, every revision held counted: a "
                          "table past it is refused.", 2.0, minimum=0),
        **LEVEL_KEYS,
    },
    "rollup": SEND_SECTION,
    "log": LOG_SECTION,
}


@dataclass(frozen=True)
class AggregatorConfig:
    checked: Checked

    @property
    def catalogues(self) -> CataloguePolicy:
        return CataloguePolicy(self.checked["catalogue.accept"],
                               self.checked["catalogue.accept_until"])

    def default_map(self) -> dict:
        """The file's values as defaults of the ``guanai aggregator`` options they stand for."""
        c = self.checked
        serve = {
            "listen": c["server.listen"], "max_message_mb": c["server.max_message_mb"],
            "grace": c["server.grace"], "tls_cert": c["tls.cert"], "tls_key": c["tls.key"],
            "tls_client_ca": c["tls.client_ca"], "metrics_listen": c["metrics.listen"],
            "accept_catalogue": c["catalogue.accept"],
            "accept_until": [f"{v}={d.isoformat()}" for v, d in c["catalogue.accept_until"].items()],
            **{k: c[f"budget.{k}"] for k in SPEC["budget"]},
        }
        rollup = {k: c[f"rollup.{k}"] for k in SPEC["rollup"]}
        # the pages send as `rollup` does (the rollup, warnings and answers): the same
        # client certificate, for a parent or members that require mutual TLS
        web = {"listen": c["web.listen"], "tls_cert": c["tls.cert"], "tls_key": c["tls.key"],
               "client_cert": c["rollup.client_cert"], "client_key": c["rollup.client_key"]}
        publish = {**rollup, **{k: c[f"budget.{k}"] for k in LEVEL_KEYS}}
        mapping = {"serve": _plain(serve), "rollup": _plain(rollup), "publish": _plain(publish),
                   "web": _plain(web)}
        if c["aggregator.db"] is not None:
            mapping["db"] = str(c["aggregator.db"])
        return mapping


def _plain(options: dict) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in options.items()
            if v is not None and v != []}


def load_config(path: Path) -> AggregatorConfig:
    """The checked configuration; ConfigError naming the bad key and what is allowed."""
    checked = check(read_toml(path, ConfigError, "configuration file"), SPEC, Path(path))
    for prefix in ("tls", "rollup"):
        cert, key = ("cert", "key") if prefix == "tls" else ("client_cert", "client_key")
        if (checked[f"{prefix}.{cert}"] is None) != (checked[f"{prefix}.{key}"] is None):
            raise ConfigError(f"{path}: {prefix}.{cert} and {prefix}.{key} go together")
    if checked["tls.client_ca"] is not None and checked["tls.cert"] is None:
        raise ConfigError(f"{path}: tls.client_ca (mutual TLS) needs tls.cert and tls.key")
    config = AggregatorConfig(checked)
    try:
        if checked["catalogue.directory"] is not None:
            catalogue.add_directory(checked["catalogue.directory"])
        config.catalogues  # noqa: B018 (checks the versions exist)
    except (CatalogueError, CataloguePolicyError) as exc:
        raise ConfigError(f"{path}: catalogue: {exc}") from None
    return config


def config_option(command: str | None = None) -> Callable:
    """``guanai aggregator --config FILE`` (or ``… serve --config FILE``): the file's values
    become the options' defaults."""
    envvar = None if command else "GUANAI_AGGREGATOR_CONFIG"
    return configspec.config_option(envvar, load_config, command)
