"""Signed warnings (发布警示) and the signed responses of the regions warned.

A warning is signed by the aggregator that judged it over ``WARNING_CONTEXT || warning``; a
response by the warned region's aggregator over ``RESPONSE_CONTEXT || response``. Each has a
context of its own (privacy/envelope.py), so neither can pass for a report, a receipt or a
credential. A response is structured — an action from a fixed list and a date — and never
free text, so that nothing identifiable can travel with it (invariant 1, docs/architecture.md).

Every rule's answer for a region travels the same way (aggregator/warnings/verdicts.py): 警示,
未见异常 and 数据不足以判断 alike are signed, delivered and answerable; what a region may
answer depends on what it was told (``RESPONSES``): one cannot be "rectifying" a clear answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError, Message
from nacl.signing import SigningKey

from common.errors import GuanaiError
from privacy.envelope import WARNING_CONTEXT, sign_with_context, verify_with_context
from protos.catalogue import Label
from protos.query_pb2 import SignedWarning, SignedWarningResponse, Warning, WarningResponse

RESPONSE_CONTEXT = b"guanai.v1.warning-response\x00"
STATUSES = {
    "new": Label("新发", "new"),
    "persisting": Label("持续", "persisting"),
    "resolved": Label("已解除", "resolved"),
    "judged": Label("已研判", "judged, no warning"),
}
WARNED = ("new", "persisting")  # statuses of a notice that is a warning
ACTIONS = {
    "acknowledged": Label("已知悉", "acknowledged"),
    "rectifying": Label("整改中", "rectifying"),
    "rectified": Label("已整改", "rectified"),
    "checking": Label("自查核实中", "checking its own figures"),
    "disputed": Label("有异议（数据待核实）", "disputed (figures to be checked)"),
}
RESPONSES = {  # answer → the actions a region may respond with
    "warning": ("acknowledged", "rectifying", "rectified", "disputed"),
    "clear": ("acknowledged", "disputed"),
    "undecided": ("acknowledged", "checking", "disputed"),
}


def answer_of(warning: Warning) -> str:
    """The answer a notice gives: warning | clear | undecided (one signed before answers
    travelled is a warning)."""
    return warning.answer or "warning"


def check_action(warning: Warning, action: str) -> None:
    """Raise NoticeError unless ``action`` answers this notice (``RESPONSES``)."""
    allowed = RESPONSES.get(answer_of(warning), ())
    if action not in allowed:
        raise NoticeError(f"处理情况错误 action {action!r} does not answer a "
                          f"{answer_of(warning)} notice; one of: {', '.join(allowed)} "
                          f"({'、'.join(ACTIONS[a].zh for a in allowed)})")


class NoticeError(GuanaiError):
    """A warning or response that is malformed."""


@dataclass(frozen=True)
class _Kind:
    """One kind of signed notice: its envelope, the field holding the body, its context."""

    envelope: type[Message]
    field: str
    body: type[Message]
    context: bytes
    malformed: str


_WARNING = _Kind(SignedWarning, "warning", Warning, WARNING_CONTEXT,
                 "警示格式错误 malformed warning")
_RESPONSE = _Kind(SignedWarningResponse, "response", WarningResponse, RESPONSE_CONTEXT,
                  "回复格式错误 malformed warning response")


def _sign(kind: _Kind, message: Message, key: SigningKey) -> bytes:
    body = message.SerializeToString(deterministic=True)
    return kind.envelope(**{kind.field: body, "signature": sign_with_context(
        kind.context, body, key)}).SerializeToString()


def _read(kind: _Kind, signed: bytes, public_key: bytes | None = None) -> Message:
    """The body; with ``public_key``, only once its signature verifies (BadSignature)."""
    try:
        envelope = kind.envelope.FromString(signed)
        body = getattr(envelope, kind.field)
        message = kind.body.FromString(body)
    except DecodeError:
        raise NoticeError(kind.malformed) from None
    if public_key is not None:
        verify_with_context(kind.context, body, envelope.signature, public_key)
    return message


def sign_warning(warning: Warning, key: SigningKey) -> bytes:
    return _sign(_WARNING, warning, key)


def read_warning(signed: bytes) -> Warning:
    """The warning inside a SignedWarning, without checking the signature."""
    return _read(_WARNING, signed)


def open_warning(signed: bytes, public_key: bytes) -> Warning:
    """The warning, once its signature by ``public_key`` verifies (BadSignature otherwise)."""
    return _read(_WARNING, signed, public_key)


def sign_response(response: WarningResponse, key: SigningKey) -> bytes:
    return _sign(_RESPONSE, response, key)


def read_response(signed: bytes) -> WarningResponse:
    return _read(_RESPONSE, signed)


def open_response(signed: bytes, public_key: bytes) -> WarningResponse:
    return _read(_RESPONSE, signed, public_key)
