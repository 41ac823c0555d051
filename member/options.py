"""How a person sets up sending upward: one set of options and configuration keys.

A school's `guanai node submit` and a county's `guanai aggregator rollup` send the same way
(member/send.py), so they take the same command-line options and the same configuration keys
(``[submit]`` in a node's file, ``[rollup]`` in an aggregator's), with the same defaults.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from common.configspec import Key
from common.errors import GuanaiError
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
                     timeout: float, client_tls: ClientTls | None) -> Sending:
        """The options ``send_options`` adds (the certificate already read and checked by
        ``client_tls_options``)."""
        return cls(attempts, Backoff(initial=backoff, maximum=max_backoff), timeout, client_tls)

    def keywords(self) -> dict:
        """As keyword arguments: attempts, backoff, timeout, client_tls."""
        return {"attempts": self.attempts, "backoff": self.backoff, "timeout": self.timeout,
                "client_tls": self.client_tls}


def send_options(command: Callable) -> Callable:
    """Add the options of SEND_SECTION to a click command, with the same defaults and help."""
    options = [
        click.option("--attempts", type=click.IntRange(min=1),
                     help="尝试次数 " + SEND_SECTION["attempts"].help),
        click.option("--backoff", type=click.FloatRange(min=0), show_default=True,
                     default=SEND_SECTION["backoff"].default,
                     help="重试间隔 Seconds before the first retry; doubles each time, with jitter."),
        click.option("--max-backoff", type=click.FloatRange(min=0), show_default=True,
                     default=SEND_SECTION["max_backoff"].default,
                     help="最长重试间隔 " + SEND_SECTION["max_backoff"].help),
        click.option("--timeout", type=click.FloatRange(min=0.1), show_default=True,
                     default=SEND_SECTION["timeout"].default, help="超时秒数 " + SEND_SECTION["timeout"].help),
    ]
    for option in reversed(options):
        command = option(command)
    return client_tls_options(command)


def client_tls_options(command: Callable) -> Callable:
    """Add ``--client-cert`` and ``--client-key`` to a click command: every command that calls
    an aggregator (submit, rollup, warnings, rotations, query, the web pages) takes its client
    certificate this one way. The command receives ``client_tls`` (``ClientTls``, both files
    read and checked when the command starts, or None) instead of the two paths; one without
    the other, a key readable by others, a file that is not PEM or a key of another
    certificate (``ClientTls.from_files``) is a click.UsageError, said Chinese first, before
    anything is done."""

    @functools.wraps(command)
    def with_client_tls(*args: object, client_cert: Path | None = None,
                        client_key: Path | None = None, **kwargs: object) -> object:
        try:
            client_tls = ClientTls.from_files(client_cert, client_key)
        except GuanaiError as exc:
            raise click.UsageError(str(exc)) from None
        return command(*args, client_tls=client_tls, **kwargs)

    for option in reversed(CLIENT_TLS_OPTIONS):
        with_client_tls = option(with_client_tls)
    return with_client_tls


CLIENT_TLS_OPTIONS = [
    click.option("--client-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="客户端证书 Client certificate (PEM), for an aggregator that requires "
                      "mutual TLS; with --client-key."),
    click.option("--client-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="客户端私钥 " + SEND_SECTION["client_key"].help),
]
