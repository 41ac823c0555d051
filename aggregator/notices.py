"""Signed warnings (发布警示) and the signed responses of the regions warned.

A warning is signed by the aggregator that judged it over ``WARNING_CONTEXT || warning``; a
response by the warned region's aggregator over ``RESPONSE_CONTEXT || response``. Each has a
context of its own (privacy/envelope.py), so neither can pass for a report, a receipt or a
credential. A response is structured — an action from a fixed list and a date — and never
free text, so that nothing identifiable can travel with it (DESIGN §4.1).
"""

from __future__ import annotations

from google.protobuf.message import DecodeError
from nacl.signing import SigningKey

from privacy.envelope import WARNING_CONTEXT, sign_with_context, verify_with_context
from protos.catalogue import Label
from protos.errors import GuanaiError
from protos.query_pb2 import SignedWarning, SignedWarningResponse, Warning, WarningResponse

RESPONSE_CONTEXT = b"guanai.v1.warning-response\x00"
STATUSES = {
    "new": Label("新发", "new"),
    "persisting": Label("持续", "persisting"),
    "resolved": Label("已解除", "resolved"),
}
ACTIONS = {
    "acknowledged": Label("已知悉", "acknowledged"),
    "rectifying": Label("整改中", "rectifying"),
    "rectified": Label("已整改", "rectified"),
    "disputed": Label("有异议（数据待核实）", "disputed (figures to be checked)"),
}


class NoticeError(GuanaiError):
    """A warning or response that is malformed."""


def sign_warning(warning: Warning, key: SigningKey) -> bytes:
    body = warning.SerializeToString(deterministic=True)
    return SignedWarning(warning=body, signature=sign_with_context(WARNING_CONTEXT, body, key)
                         ).SerializeToString()


def read_warning(signed: bytes) -> Warning:
    """The warning inside a SignedWarning, without checking the signature."""
    try:
        return Warning.FromString(SignedWarning.FromString(signed).warning)
    except DecodeError:
        raise NoticeError("警示格式错误 malformed warning") from None


def open_warning(signed: bytes, public_key: bytes) -> Warning:
    """The warning, once its signature by ``public_key`` verifies (BadSignature otherwise)."""
    try:
        envelope = SignedWarning.FromString(signed)
    except DecodeError:
        raise NoticeError("警示格式错误 malformed warning") from None
    verify_with_context(WARNING_CONTEXT, envelope.warning, envelope.signature, public_key)
    return read_warning(signed)


def sign_response(response: WarningResponse, key: SigningKey) -> bytes:
    body = response.SerializeToString(deterministic=True)
    return SignedWarningResponse(
        response=body, signature=sign_with_context(RESPONSE_CONTEXT, body, key)
    ).SerializeToString()


def read_response(signed: bytes) -> WarningResponse:
    try:
        return WarningResponse.FromString(SignedWarningResponse.FromString(signed).response)
    except DecodeError:
        raise NoticeError("回复格式错误 malformed warning response") from None


def open_response(signed: bytes, public_key: bytes) -> WarningResponse:
    try:
        envelope = SignedWarningResponse.FromString(signed)
    except DecodeError:
        raise NoticeError("回复格式错误 malformed warning response") from None
    verify_with_context(RESPONSE_CONTEXT, envelope.response, envelope.signature, public_key)
    return read_response(signed)
