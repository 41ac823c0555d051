"""How a person sets up sending upward: one set of options and configuration keys.

A school's `guanai node submit` and a county's `guanai aggregator rollup` send the same way
(member/send.py), so they take the same command-line options and the same configuration keys
(``[submit]`` in a node's file, ``[rollup]`` in an aggregator's), with the same defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from common.configspec import Key
from member.client import Backoff, ClientTls

DEFAULT_TIMEOUT = 120.0  # seconds: a rollup carries its members' reports

SEND_SECTION: dict[str, Key] = {
    "attempts": Key("integer", "Give up after so many attempts (absent: keep trying).",
                    minimum=1),
    "backoff": Key("number", "Seconds before the first retry; doubles each time.", 1.0,
                   minimum=0),
    "max_backoff": Key("number", "Longest pause between retries, in seconds.", 300.0,
                       minimum=0),
    "timeout": Key("number", "Deadline of each attempt, in seconds.", DEFAULT_TIMEOUT,
                   minimum=0.1),
    "client_cert": Key("path", "Client certificate (PEM), for a parent requiring mTLS."),
    "client_key": Key("path", "Its private key (PEM), mode 0600."),
}


@dataclass(frozen=True)
class Sending:
    """How to send: the keyword arguments of member/send.py's ``send``, from the options."""

    attempts: int | None
    backoff: Backoff
    timeout: float
    client_tls: ClientTls | None

    @classmethod
    def from_options(cls, attempts: int | None, backoff: float, max_backoff: float,
                     timeout: float, client_cert: Path | None,
                     client_key: Path | None) -> Sending:
        """The options ``send_options`` adds, checked; ``GuanaiError`` if only one of the
        certificate and its key is given."""
        return cls(attempts, Backoff(initial=backoff, maximum=max_backoff), timeout,
                   ClientTls.from_files(client_cert, client_key))

    def keywords(self) -> dict:
        """As keyword arguments: attempts, backoff, timeout, client_tls."""
        return {"attempts": self.attempts, "backoff": self.backoff, "timeout": self.timeout,
                "client_tls": self.client_tls}


def send_options(command: Callable) -> Callable:
    """Add the options of SEND_SECTION to a click command, with the same defaults and help."""
    options = [
        click.option("--attempts", type=click.IntRange(min=1),
                     help=SEND_SECTION["attempts"].help),
        click.option("--backoff", type=click.FloatRange(min=0), show_default=True,
                     default=SEND_SECTION["backoff"].default,
                     help="Seconds before the first retry; doubles each time, with jitter."),
        click.option("--max-backoff", type=click.FloatRange(min=0), show_default=True,
                     default=SEND_SECTION["max_backoff"].default,
                     help=SEND_SECTION["max_backoff"].help),
        click.option("--timeout", type=click.FloatRange(min=0.1), show_default=True,
                     default=SEND_SECTION["timeout"].default, help=SEND_SECTION["timeout"].help),
        click.option("--client-cert", type=click.Path(exists=True, dir_okay=False,
                                                      path_type=Path),
                     help="Client certificate (PEM) for a parent that requires mutual TLS."),
        click.option("--client-key", type=click.Path(exists=True, dir_okay=False,
                                                     path_type=Path),
                     help=SEND_SECTION["client_key"].help),
    ]
    for option in reversed(options):
        command = option(command)
    return command
