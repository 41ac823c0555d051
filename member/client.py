"""Talking to an aggregator: a channel from its exported identity, and submit until a receipt.

Used by school nodes and by aggregators sending rollups to their parent. A refusal with a
status code that retrying cannot change (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED,
ALREADY_EXISTS, FAILED_PRECONDITION, …) stops at once; an unreachable, busy or failing
aggregator is tried again after an exponentially growing delay with full jitter, so that
thousands of schools do not come back in step. An UNAVAILABLE that a TLS handshake explains
(member/handshake.py: no client certificate, another CA, plaintext against TLS or the reverse)
is a configuration error, said in Chinese and English and not retried: ``TlsMisconfigured``.
Every client of an aggregator — Submit here, Members (member/standing.py), Query
(aggregator/grpc/query_client.py), Warnings (aggregator/warnings/delivery.py) — opens its
channel with ``calling``, so each gets that diagnosis the same way.
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from common.errors import GuanaiError
from member.handshake import diagnose
from privacy.identity import Identity
from privacy.keys import read_private_file
from protos.aggregator_pb2 import Receipt, Submission
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.helper_pb2_grpc import HelperStub

RETRYABLE = frozenset({
    grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED, grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED,
})
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class SubmitRefused(GuanaiError):
    """The aggregator refused the submission for a reason retrying cannot change."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"汇总节点拒收 refused by the aggregator ({code.name}): {details}")
        self.code = code
        self.details = details


class TlsMisconfigured(SubmitRefused):
    """This side's TLS setup and the aggregator's do not match: retrying cannot help until
    someone changes a configuration (member/handshake.py says what). Raised by any client
    (``calling``); a SubmitRefused, so that a submission keeps its place in the outbox."""

    def __init__(self, details: str) -> None:
        GuanaiError.__init__(self, details)
        self.code = grpc.StatusCode.UNAVAILABLE
        self.details = details


class SubmitGaveUp(GuanaiError):
    """No receipt within the attempts allowed; the submission stays queued."""


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0  # seconds before the first retry, at most
    maximum: float = 300.0
    factor: float = 2.0

    def delay(self, failures: int) -> float:
        """Full jitter: uniform between 0 and the capped exponential delay."""
        return random.uniform(0, min(self.maximum, self.initial * self.factor ** (failures - 1)))


DEFAULT_BACKOFF = Backoff()


@dataclass(frozen=True)
class ClientTls:
    """A member's client certificate, for aggregators that require mutual TLS."""

    certificate_chain: bytes
    private_key: bytes

    @classmethod
    def from_files(cls, certificate: Path | None, key: Path | None) -> ClientTls | None:
        """The certificate and key named on a command line or in a configuration, if any,
        read and checked before anything is done with them.

        The key file must be readable by its owner only (privacy/keys.py
        ``read_private_file``, as guanai's own key files); the pair is loaded as OpenSSL loads
        it for a TLS client (``ssl.SSLContext.load_cert_chain``: PEM certificate chain, an
        unencrypted PEM private key, the key belonging to the certificate). Raises GuanaiError
        (Chinese first, naming the file, never its content) for one without the other, a key
        readable by others, a file that is not PEM, or a key of another certificate.
        """
        if (certificate is None) != (key is None):
            raise GuanaiError("客户端证书和私钥须一同给出 --client-cert and --client-key (or "
                              "client_cert and client_key) go together")
        if certificate is None or key is None:
            return None
        private_key = read_private_file(key)
        _check_pair(certificate, key)
        return cls(certificate.read_bytes(), private_key)


def _check_pair(certificate: Path, key: Path) -> None:
    """GuanaiError unless OpenSSL takes ``certificate`` and ``key`` as a TLS client's pair;
    the message says which file is wrong."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=certificate)
    except (ssl.SSLError, ValueError):
        raise GuanaiError(f"客户端证书不是 PEM 证书 the client certificate {certificate} is not a "
                          "PEM certificate") from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(certificate, key,
                                                                password=_no_passphrase)
    except ssl.SSLError as exc:
        if getattr(exc, "reason", None) == "KEY_VALUES_MISMATCH":
            raise GuanaiError(f"客户端私钥与证书不配 the client key {key} is not the key of the "
                              f"certificate {certificate}") from None
        raise GuanaiError(f"客户端私钥不是未加密的 PEM 私钥 the client key {key} is not an "
                          "unencrypted PEM private key") from None


def _no_passphrase() -> str:
    """OpenSSL asks for a passphrase only for an encrypted key, which gRPC cannot use."""
    raise ssl.SSLError("encrypted key")


def open_channel(target: Identity, client_tls: ClientTls | None = None) -> grpc.Channel:
    if not target.address:
        raise GuanaiError(f"汇总节点无地址 the export of {target.id} has no address")
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 5000),
    ]
    if target.tls_ca is None:
        return grpc.insecure_channel(target.address, options)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=target.tls_ca.encode("ascii"),
        private_key=client_tls.private_key if client_tls else None,
        certificate_chain=client_tls.certificate_chain if client_tls else None,
    )
    return grpc.secure_channel(target.address, credentials, options)


def explain_unavailable(target: Identity, client_tls: ClientTls | None, error: grpc.RpcError,
                        timeout: float = 10.0) -> None:
    """Raise ``TlsMisconfigured`` if ``error`` is an UNAVAILABLE that one TLS handshake with
    ``target`` explains (member/handshake.py, at most ``timeout`` seconds, capped at 10);
    return otherwise, leaving ``error`` to the caller."""
    if error.code() != grpc.StatusCode.UNAVAILABLE:
        return
    mismatch = diagnose(target, client_tls, timeout=min(timeout, 10.0))
    if mismatch is not None:
        raise TlsMisconfigured(f"{mismatch} (gRPC: {error.details() or ''})") from None


@contextmanager
def calling(target: Identity, client_tls: ClientTls | None = None,
            timeout: float = 10.0) -> Iterator[grpc.Channel]:
    """A channel to ``target`` (``open_channel``) for one or a few calls: an RpcError that
    leaves the block is first checked with ``explain_unavailable``, so a TLS mismatch raises
    ``TlsMisconfigured`` instead; any other RpcError leaves as it is."""
    with open_channel(target, client_tls) as channel:
        try:
            yield channel
        except grpc.RpcError as error:
            explain_unavailable(target, client_tls, error, timeout)
            raise


Failure = Callable[[int, grpc.StatusCode, str, float | None], None]
# Which call of which service a submission goes to, given the channel: an Aggregator's Submit
# (the default), its SubmitShare, or the Helper's SubmitShare or Enrol.
Rpc = Callable[[grpc.Channel], Callable[..., object]]


def aggregator_submit(channel: grpc.Channel) -> Callable[..., object]:
    """guanai.v1.Aggregator/Submit: a report or rollup to the parent."""
    return AggregatorStub(channel).Submit


def leader_share(channel: grpc.Channel) -> Callable[..., object]:
    """guanai.v1.Aggregator/SubmitShare: a school's leader share to its parent."""
    return AggregatorStub(channel).SubmitShare


def helper_share(channel: grpc.Channel) -> Callable[..., object]:
    """guanai.v1.Helper/SubmitShare: a school's helper share to the province's helper."""
    return HelperStub(channel).SubmitShare


def helper_enrol(channel: grpc.Channel) -> Callable[..., object]:
    """guanai.v1.Helper/Enrol: a leader's signed enrolment to the helper."""
    return HelperStub(channel).Enrol


def helper_publish(channel: grpc.Channel) -> Callable[..., object]:
    """guanai.v1.Helper/Publish: a leader's signed named set; the helper's noisy partial back."""
    return HelperStub(channel).Publish


def submit_until_receipt(
    target: Identity,
    submission: Submission,
    *,
    attempts: int | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    timeout: float = 60.0,
    client_tls: ClientTls | None = None,
    on_failure: Failure | None = None,
    rpc: Rpc = aggregator_submit,
) -> Receipt:
    """Submit until the aggregator answers with a receipt (not yet verified: the caller does).

    ``attempts`` bounds the tries (None: no bound); ``on_failure(failures, code, details,
    delay)`` is told of each retryable failure before the pause (delay None: giving up);
    ``rpc`` picks the call (``aggregator_submit`` by default; the share and enrolment calls
    answer the same way, the Helper's Enrol with an EnrolResponse).
    """
    with open_channel(target, client_tls) as channel:
        call = rpc(channel)
        failures = 0
        while True:
            try:
                return call(submission, timeout=timeout)
            except grpc.RpcError as exc:
                code, details = exc.code(), exc.details() or ""
                if code not in RETRYABLE:
                    raise SubmitRefused(code, details) from None
                if failures == 0:
                    explain_unavailable(target, client_tls, exc, timeout)
            failures += 1
            giving_up = attempts is not None and failures >= attempts
            delay = None if giving_up else backoff.delay(failures)
            if on_failure is not None:
                on_failure(failures, code, details, delay)
            if giving_up:
                raise SubmitGaveUp(
                    f"未获回执 no receipt from {target.id} at {target.address} after {failures} "
                    f"attempts ({code.name}: {details}); it stays queued — run the submit again"
                )
            time.sleep(delay)
