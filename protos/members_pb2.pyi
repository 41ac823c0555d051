from protos import report_pb2 as _report_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MemberRequest(_message.Message):
    __slots__ = ("member_id", "aggregator_id", "unix_ms", "nonce", "new_signing_key", "revocations")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    AGGREGATOR_ID_FIELD_NUMBER: _ClassVar[int]
    UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    NEW_SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    REVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    aggregator_id: str
    unix_ms: int
    nonce: bytes
    new_signing_key: bytes
    revocations: _containers.RepeatedCompositeFieldContainer[_report_pb2.Enrolled]
    def __init__(self, member_id: _Optional[str] = ..., aggregator_id: _Optional[str] = ..., unix_ms: _Optional[int] = ..., nonce: _Optional[bytes] = ..., new_signing_key: _Optional[bytes] = ..., revocations: _Optional[_Iterable[_Union[_report_pb2.Enrolled, _Mapping]]] = ...) -> None: ...

class SignedRequest(_message.Message):
    __slots__ = ("request", "signature", "signer_key", "new_key_signature")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_KEY_FIELD_NUMBER: _ClassVar[int]
    NEW_KEY_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    request: bytes
    signature: bytes
    signer_key: bytes
    new_key_signature: bytes
    def __init__(self, request: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., signer_key: _Optional[bytes] = ..., new_key_signature: _Optional[bytes] = ...) -> None: ...

class PeriodStanding(_message.Message):
    __slots__ = ("period", "due_unix_ms", "lock_unix_ms", "exception_until_unix_ms", "revision", "timeliness", "returned_revision", "return_reason", "returned_unix_ms")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    DUE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    LOCK_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_UNTIL_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TIMELINESS_FIELD_NUMBER: _ClassVar[int]
    RETURNED_REVISION_FIELD_NUMBER: _ClassVar[int]
    RETURN_REASON_FIELD_NUMBER: _ClassVar[int]
    RETURNED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    period: str
    due_unix_ms: int
    lock_unix_ms: int
    exception_until_unix_ms: int
    revision: int
    timeliness: str
    returned_revision: int
    return_reason: str
    returned_unix_ms: int
    def __init__(self, period: _Optional[str] = ..., due_unix_ms: _Optional[int] = ..., lock_unix_ms: _Optional[int] = ..., exception_until_unix_ms: _Optional[int] = ..., revision: _Optional[int] = ..., timeliness: _Optional[str] = ..., returned_revision: _Optional[int] = ..., return_reason: _Optional[str] = ..., returned_unix_ms: _Optional[int] = ...) -> None: ...

class KeyRotation(_message.Message):
    __slots__ = ("old_signing_key", "signing_key", "sealing_key", "rotated_unix_ms", "endorsement")
    OLD_SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    SEALING_KEY_FIELD_NUMBER: _ClassVar[int]
    ROTATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    ENDORSEMENT_FIELD_NUMBER: _ClassVar[int]
    old_signing_key: bytes
    signing_key: bytes
    sealing_key: bytes
    rotated_unix_ms: int
    endorsement: bytes
    def __init__(self, old_signing_key: _Optional[bytes] = ..., signing_key: _Optional[bytes] = ..., sealing_key: _Optional[bytes] = ..., rotated_unix_ms: _Optional[int] = ..., endorsement: _Optional[bytes] = ...) -> None: ...

class MemberStatus(_message.Message):
    __slots__ = ("aggregator_id", "member_id", "unix_ms", "request_sha256", "periods", "rotations", "policy")
    AGGREGATOR_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_SHA256_FIELD_NUMBER: _ClassVar[int]
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    ROTATIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    aggregator_id: str
    member_id: str
    unix_ms: int
    request_sha256: bytes
    periods: _containers.RepeatedCompositeFieldContainer[PeriodStanding]
    rotations: _containers.RepeatedCompositeFieldContainer[KeyRotation]
    policy: PrivacyPolicy
    def __init__(self, aggregator_id: _Optional[str] = ..., member_id: _Optional[str] = ..., unix_ms: _Optional[int] = ..., request_sha256: _Optional[bytes] = ..., periods: _Optional[_Iterable[_Union[PeriodStanding, _Mapping]]] = ..., rotations: _Optional[_Iterable[_Union[KeyRotation, _Mapping]]] = ..., policy: _Optional[_Union[PrivacyPolicy, _Mapping]] = ...) -> None: ...

class PrivacyPolicy(_message.Message):
    __slots__ = ("rho_half_year", "rho_annual", "annual_cap")
    RHO_HALF_YEAR_FIELD_NUMBER: _ClassVar[int]
    RHO_ANNUAL_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_CAP_FIELD_NUMBER: _ClassVar[int]
    rho_half_year: float
    rho_annual: float
    annual_cap: float
    def __init__(self, rho_half_year: _Optional[float] = ..., rho_annual: _Optional[float] = ..., annual_cap: _Optional[float] = ...) -> None: ...

class SignedStatus(_message.Message):
    __slots__ = ("status", "signature")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    status: bytes
    signature: bytes
    def __init__(self, status: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...
