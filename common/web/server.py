"""Serving the pages: loopback by default, TLS and a password for any other address.

The school's records are on its PC; a page served to the network would show names to anyone
who can reach it, and a bureau's figures are for its staff only. So an address other than loopback is refused unless the server has a TLS
certificate and a password is set, and the pages say which of the two ways they are served.
cheroot is the HTTP server (pure Python, threaded, TLS built in). Shared by the school's and
the bureaus' pages.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from common.errors import GuanaiError

logger = logging.getLogger(__name__)


class BindingRefused(GuanaiError):
    """An address beyond loopback without TLS or without a password."""


@dataclass(frozen=True)
class Tls:
    certificate: Path
    key: Path


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, tls: Tls | None, password_set: bool,
                  password_hint: str = "guanai node web-password") -> None:
    """Refuse to serve beyond loopback without both TLS and a password (BindingRefused).

    ``password_hint`` is the command that sets one (the bureaus' pages always have accounts,
    so they pass ``password_set=True``).
    """
    if is_loopback(host):
        return
    missing = [what for what, ok in (("TLS 证书 certificate (--tls-cert/--tls-key)", tls),
                                     (f"密码 password ({password_hint})", password_set))
               if not ok]
    if missing:
        raise BindingRefused(
            f"只能在本机 127.0.0.1 上提供页面，除非同时配置 TLS 和密码 — serving on {host} "
            f"(beyond this PC) needs TLS and a password; missing: {'; '.join(missing)}")


class RunningServer:
    """A server in a background thread; ``url`` is where it answers."""

    def __init__(self, server: wsgi.Server, scheme: str) -> None:
        self.server = server
        self.scheme = scheme
        self._thread = threading.Thread(target=server.serve, name="web", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.bind_addr[:2]
        host = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{host}:{port}"

    def stop(self) -> None:
        self.server.stop()
        self._thread.join(timeout=10)


def make_server(app: object, host: str = "127.0.0.1", port: int = 8765,
                tls: Tls | None = None, threads: int = 8) -> wsgi.Server:
    """A cheroot server for the WSGI ``app``, bound (port 0 picks a free one) but not serving."""
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="guanai")
    if tls is not None:
        server.ssl_adapter = BuiltinSSLAdapter(str(tls.certificate), str(tls.key))
    server.prepare()
    return server


def serve_until_signalled(running: RunningServer, ready: Callable[[], None]) -> None:
    """Block until SIGTERM or Ctrl-C, then stop ``running`` (the CLI's ``web`` commands).

    ``ready`` (the CLI saying where the pages are) is called once both signals are caught, so
    that whoever reads it may stop the pages at once and still get a clean stop (exit 0)."""
    # What start-up made lives as long as the process: out of the collector's sight, a full
    # collection no longer walks it during a page (as `guanai aggregator serve` does).
    gc.freeze()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    ready()
    stop.wait()
    running.stop()


def start(app: object, host: str = "127.0.0.1", port: int = 0, tls: Tls | None = None,
          threads: int = 8) -> RunningServer:
    """Serve ``app`` in a background thread (tests, the demo)."""
    return RunningServer(make_server(app, host, port, tls, threads),
                         "https" if tls else "http")
