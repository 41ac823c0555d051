"""Why a connection to an aggregator fails when its TLS setup and ours do not match.

gRPC reports a failed TLS handshake as ``UNAVAILABLE: Socket closed`` or the like, which a
client would retry for ever, while the cause (no client certificate for a mutual-TLS county,
a server certificate from another CA, plaintext against a TLS server or TLS against a
plaintext one) shows only in the server's log. When a call fails UNAVAILABLE, every client
(Submit, Members, Query, Warnings: ``member.client.calling``) asks here once: one TCP
connection and one handshake with Python's ``ssl`` module (OpenSSL, the same roots and client
certificate as the channel) tell a configuration error from an aggregator that is down or
busy. A configuration error is said in Chinese and English and is not retried; anything else
is left to the caller (the submit loop retries it).
"""

from __future__ import annotations

import os
import socket
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from common.errors import GuanaiError
from privacy.identity import Identity

# The HTTP/2 connection preface: what a gRPC client sends first.
_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class HasClientTls(Protocol):
    certificate_chain: bytes
    private_key: bytes


class TlsMismatch(GuanaiError):
    """The member's TLS setup and the aggregator's do not match: a configuration error."""


def diagnose(target: Identity, client_tls: HasClientTls | None,
             timeout: float = 5.0) -> TlsMismatch | None:
    """A ``TlsMismatch`` explaining why no channel to ``target`` can work as configured, or
    None when the handshake is not the problem (unreachable, or it succeeds)."""
    host, _, port = target.address.rpartition(":")
    host = host.strip("[]")
    where = f"{target.id} at {target.address}"
    try:
        raw = socket.create_connection((host, int(port)), timeout=timeout)
    except (OSError, ValueError):
        return None  # down or unreachable: for the retry loop
    with raw:
        if target.tls_ca is None:
            return _plaintext_against_tls(raw, host, where)
        with _context(target.tls_ca, client_tls) as context:
            return _tls(context, raw, host, where, client_tls is not None)


def _plaintext_against_tls(raw: socket.socket, host: str, where: str) -> TlsMismatch | None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # only: does it speak TLS?
    try:
        with context.wrap_socket(raw, server_hostname=host or None):
            pass
    except (ssl.SSLError, OSError):
        return None  # it does not: plaintext matches plaintext
    return TlsMismatch(
        f"传输配置错误：对方汇总节点使用 TLS 加密，本端按明文连接 TLS mismatch: {where} speaks "
        "TLS, but its export has no CA certificate, so this side connects in plaintext. Import "
        "its export again with its TLS CA (`guanai aggregator export-keys --tls-ca`): a "
        "parent with `guanai node parent FILE` or `guanai aggregator parent FILE`")


def _tls(context: ssl.SSLContext, raw: socket.socket, host: str, where: str,
         has_certificate: bool) -> TlsMismatch | None:
    try:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.settimeout(raw.gettimeout())
            tls.sendall(_PREFACE)
            # TLS 1.3: a server that refuses the client certificate (or its absence) closes
            # the connection right after the handshake, where a gRPC server sends its settings.
            if tls.recv(1) == b"":
                return _refused_certificate(where, has_certificate)
    except ssl.SSLCertVerificationError as exc:
        return TlsMismatch(
            f"传输配置错误：对方汇总节点的证书不是由导出文件中的 CA 签发 TLS mismatch: the "
            f"certificate of {where} is not signed by the CA in its export "
            f"({exc.verify_message}); import its current export, or ask its operator which CA "
            "signed its certificate")
    except ssl.SSLError as exc:
        reason = (exc.reason or str(exc)).upper()
        if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER" in reason or "PACKET" in reason:
            return TlsMismatch(
                f"传输配置错误：对方汇总节点未启用 TLS TLS mismatch: {where} does not speak TLS, "
                "but its export names a CA, so this side insists on TLS; import its current "
                "export")
        if any(word in reason for word in ("HANDSHAKE_FAILURE", "UNKNOWN_CA", "CERTIFICATE")):
            return _refused_certificate(where, has_certificate)
        return None
    except OSError:
        return None
    return None


def _refused_certificate(where: str, has_certificate: bool) -> TlsMismatch:
    if not has_certificate:
        return TlsMismatch(
            f"传输配置错误：对方汇总节点要求客户端证书 TLS mismatch: {where} requires mutual TLS "
            "and this side has no client certificate; configure one (`--client-cert` and "
            "`--client-key`; in a configuration file `client_cert` and `client_key` of [submit] "
            "or [rollup]) issued by the CA that aggregator trusts")
    return TlsMismatch(
        f"传输配置错误：对方汇总节点不接受本端的客户端证书 TLS mismatch: {where} refuses this "
        "side's client certificate (issued by a CA it does not trust, expired, or not for this "
        "key); ask that aggregator's operator for one from its CA")


@contextmanager
def _context(ca: str, client_tls: HasClientTls | None) -> Iterator[ssl.SSLContext]:
    context = ssl.create_default_context(cadata=ca)
    context.set_alpn_protocols(["h2"])
    if client_tls is None:
        yield context
        return
    # ssl reads a certificate and key from files only: a private folder, gone right after.
    with tempfile.TemporaryDirectory(prefix="guanai-tls-") as folder:
        chain, key = Path(folder) / "chain.pem", Path(folder) / "key.pem"
        for path, data in ((chain, client_tls.certificate_chain), (key, client_tls.private_key)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
        context.load_cert_chain(chain, key)
        yield context
