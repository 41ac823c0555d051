"""Checking a configuration file against its declared keys, so a mistake is caught at start.

A configuration is a TOML file of sections; each section declares its keys (``Key``): what a
value must be, its default and a line of help, which docs/configuration.md repeats. Checking
fills in the defaults and refuses, in one message naming the key and what is allowed, an
unknown section or key, a value of the wrong kind, out of range or not among the choices.

Secrets are never written inline: a key file is named by path (relative to the configuration
file's folder), and a value that looks like key material is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import click
from click.core import ParameterSource

from common import logs
from common.errors import GuanaiError

_ADDRESS = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.\-]+):(?P<port>\d{1,5})$")
_SECRET_MARKERS = ("-----BEGIN", "guanai-ed25519-", "guanai-x25519-")


class ConfigError(GuanaiError):
    """A configuration file that is missing, unreadable or has a bad key."""


@dataclass(frozen=True)
class Key:
    """One configuration key: its kind, default, allowed values and help.

    ``kind`` is one of: ``number`` (int or float), ``integer``, ``string``, ``path``,
    ``address`` (host:port), ``strings`` (a list of strings), ``dates`` (a table of
    name = date).
    """

    kind: str
    help: str
    default: object = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = {
            "number": "a number", "integer": "a whole number", "string": "a string",
            "path": "a file path (relative to this file's folder), never the secret itself",
            "address": "host:port, e.g. 0.0.0.0:50051", "strings": "a list of strings",
            "dates": "a table of name = date (YYYY-MM-DD)",
        }[self.kind]
        return what + (f" ≥ {self.minimum:g}" if self.minimum is not None else "")


Spec = dict[str, dict[str, Key]]


@dataclass(frozen=True)
class Checked:
    """A checked configuration: every declared key of every section, defaults filled in."""

    source: Path | None
    values: dict[str, dict[str, object]] = field(default_factory=dict)

    def __getitem__(self, dotted: str) -> object:
        section, key = dotted.split(".", 1)
        return self.values[section][key]


def defaults(spec: Spec) -> Checked:
    return Checked(None, {s: {k: key.default for k, key in keys.items()} for s, keys in spec.items()})


def check(raw: dict, spec: Spec, source: Path) -> Checked:
    """The checked configuration; ConfigError naming ``section.key`` and what is allowed."""
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise ConfigError(f"{source}: unknown section [{unknown[0]}]; allowed: "
                          + ", ".join(f"[{s}]" for s in spec))
    values: dict[str, dict[str, object]] = {}
    for section, keys in spec.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise ConfigError(f"{source}: {section} must be a section [{section}]")
        bad = sorted(set(given) - set(keys))
        if bad:
            raise ConfigError(f"{source}: unknown key {section}.{bad[0]}; allowed in [{section}]: "
                              + ", ".join(keys))
        values[section] = {
            name: _value(given[name], key, f"{section}.{name}", source) if name in given
            else key.default
            for name, key in keys.items()
        }
    return Checked(source, values)


def _value(value: object, key: Key, name: str, source: Path) -> object:
    converted = _CONVERT[key.kind](value, source)
    if converted is None or (key.choices and converted not in key.choices) or (
        key.minimum is not None and converted < key.minimum
    ):
        shown = "a secret" if _looks_secret(value) else repr(value)
        raise ConfigError(f"{source}: {name} = {shown} is not allowed; expected {key.allowed()}")
    return converted


def _looks_secret(value: object) -> bool:
    return isinstance(value, str) and any(m in value for m in _SECRET_MARKERS)


def _number(value: object, _source: Path) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def _integer(value: object, _source: Path) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _string(value: object, _source: Path) -> str | None:
    return value if isinstance(value, str) and value else None


def _path(value: object, source: Path) -> Path | None:
    if not isinstance(value, str) or not value or _looks_secret(value) or "\n" in value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(source).parent / path


def _address(value: object, _source: Path) -> str | None:
    match = _ADDRESS.match(value) if isinstance(value, str) else None
    return value if match and int(match["port"]) <= 65535 else None


def _strings(value: object, _source: Path) -> tuple[str, ...] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return None


def _dates(value: object, _source: Path) -> dict[str, date] | None:
    if isinstance(value, dict) and all(type(v) is date for v in value.values()):
        return dict(value)
    return None


_CONVERT: dict[str, Callable[[object, Path], object]] = {
    "number": _number, "integer": _integer, "string": _string, "path": _path,
    "address": _address, "strings": _strings, "dates": _dates,
}

LOG_SECTION = {
    "format": Key("string", "Log lines as plain text or one JSON object per line.", "text",
                  choices=("text", "json")),
    "level": Key("string", "The least severe messages written.", "info",
                 choices=("debug", "info", "warning", "error")),
}


class Loaded(Protocol):
    checked: Checked

    def default_map(self) -> dict: ...


def config_option(envvar: str | None, load: Callable[[Path], Loaded],
                  command: str | None = None) -> Callable:
    """A ``--config FILE`` option read before the others, whose defaults the file provides.

    On a group, the file's values are the defaults of the group's and its commands' options;
    on one ``command`` of the group, of that command's options, and the file's store path
    replaces the group's ``--db`` unless that was given. Options given on the command line
    (or by their environment variable) still win; the file's [log] section applies unless
    ``guanai --log-format`` or ``-v`` said otherwise.
    """
    def apply(ctx: click.Context, _param: click.Parameter, path: Path | None) -> None:
        if path is None:
            return
        loaded = load(path)
        mapping = loaded.default_map()
        if command is not None:
            parent = ctx.parent
            if "db" in mapping and parent is not None and parent.get_parameter_source("db") in (
                    None, ParameterSource.DEFAULT):
                ctx.obj = Path(mapping["db"])
            mapping = mapping.get(command, {})
        ctx.default_map = {**(ctx.default_map or {}), **mapping}
        _apply_log_settings(ctx, loaded.checked)

    return click.option(
        "--config", type=click.Path(dir_okay=False, path_type=Path), envvar=envvar,
        is_eager=True, expose_value=False, callback=apply,
        help="Configuration file (TOML; docs/configuration.md)"
             + (f"; also ${envvar}." if envvar else "."))


def _apply_log_settings(ctx: click.Context, checked: Checked) -> None:
    root = ctx.find_root()
    chosen = root.get_parameter_source("log_format") not in (None, ParameterSource.DEFAULT)
    fmt = root.params.get("log_format") if chosen else checked["log.format"]
    level = "debug" if root.params.get("verbose") else checked["log.level"]
    logs.configure(fmt, level)
