from protos import summary_pb2 as _summary_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Budget(_message.Message):
    __slots__ = ("rho", "rho_year_total", "rho_year_cap", "epsilon", "delta")
    RHO_FIELD_NUMBER: _ClassVar[int]
    RHO_YEAR_TOTAL_FIELD_NUMBER: _ClassVar[int]
    RHO_YEAR_CAP_FIELD_NUMBER: _ClassVar[int]
    EPSILON_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    rho: float
    rho_year_total: float
    rho_year_cap: float
    epsilon: float
    delta: float
    def __init__(self, rho: _Optional[float] = ..., rho_year_total: _Optional[float] = ..., rho_year_cap: _Optional[float] = ..., epsilon: _Optional[float] = ..., delta: _Optional[float] = ...) -> None: ...

class NoiseGroup(_message.Message):
    __slots__ = ("group", "mechanism", "scale", "l2_sensitivity", "rho")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    MECHANISM_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    L2_SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    RHO_FIELD_NUMBER: _ClassVar[int]
    group: str
    mechanism: str
    scale: float
    l2_sensitivity: float
    rho: float
    def __init__(self, group: _Optional[str] = ..., mechanism: _Optional[str] = ..., scale: _Optional[float] = ..., l2_sensitivity: _Optional[float] = ..., rho: _Optional[float] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("sender_id", "revision", "report_sha256", "log_index", "timeliness")
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    REPORT_SHA256_FIELD_NUMBER: _ClassVar[int]
    LOG_INDEX_FIELD_NUMBER: _ClassVar[int]
    TIMELINESS_FIELD_NUMBER: _ClassVar[int]
    sender_id: str
    revision: int
    report_sha256: bytes
    log_index: int
    timeliness: str
    def __init__(self, sender_id: _Optional[str] = ..., revision: _Optional[int] = ..., report_sha256: _Optional[bytes] = ..., log_index: _Optional[int] = ..., timeliness: _Optional[str] = ...) -> None: ...

class Enrolled(_message.Message):
    __slots__ = ("member_id", "region", "signing_keys", "returned_revision", "revoked")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEYS_FIELD_NUMBER: _ClassVar[int]
    RETURNED_REVISION_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    region: str
    signing_keys: _containers.RepeatedScalarFieldContainer[bytes]
    returned_revision: int
    revoked: _containers.RepeatedCompositeFieldContainer[Revoked]
    def __init__(self, member_id: _Optional[str] = ..., region: _Optional[str] = ..., signing_keys: _Optional[_Iterable[bytes]] = ..., returned_revision: _Optional[int] = ..., revoked: _Optional[_Iterable[_Union[Revoked, _Mapping]]] = ...) -> None: ...

class Revoked(_message.Message):
    __slots__ = ("signing_key", "revoked_unix_ms")
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    REVOKED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    signing_key: bytes
    revoked_unix_ms: int
    def __init__(self, signing_key: _Optional[bytes] = ..., revoked_unix_ms: _Optional[int] = ...) -> None: ...

class Approval(_message.Message):
    __slots__ = ("role", "name", "key_id", "public_key", "approved_unix_ms", "waiver_reason", "signature")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    WAIVER_REASON_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    role: str
    name: str
    key_id: str
    public_key: bytes
    approved_unix_ms: int
    waiver_reason: str
    signature: bytes
    def __init__(self, role: _Optional[str] = ..., name: _Optional[str] = ..., key_id: _Optional[str] = ..., public_key: _Optional[bytes] = ..., approved_unix_ms: _Optional[int] = ..., waiver_reason: _Optional[str] = ..., signature: _Optional[bytes] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("report_id", "kind", "sender_id", "region_code", "recipient_id", "period", "catalogue_version", "revision", "values", "noise_variance", "noise", "budget", "created_unix_ms", "stage_code", "members", "missing", "summary", "enrolled", "approvals")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Report.Kind]
        SCHOOL: _ClassVar[Report.Kind]
        ROLLUP: _ClassVar[Report.Kind]
        SUMMARY: _ClassVar[Report.Kind]
    KIND_UNSPECIFIED: Report.Kind
    SCHOOL: Report.Kind
    ROLLUP: Report.Kind
    SUMMARY: Report.Kind
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    NOISE_VARIANCE_FIELD_NUMBER: _ClassVar[int]
    NOISE_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    STAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ENROLLED_FIELD_NUMBER: _ClassVar[int]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    report_id: bytes
    kind: Report.Kind
    sender_id: str
    region_code: str
    recipient_id: str
    period: str
    catalogue_version: str
    revision: int
    values: _containers.RepeatedScalarFieldContainer[int]
    noise_variance: _containers.RepeatedScalarFieldContainer[float]
    noise: _containers.RepeatedCompositeFieldContainer[NoiseGroup]
    budget: Budget
    created_unix_ms: int
    stage_code: str
    members: _containers.RepeatedCompositeFieldContainer[Member]
    missing: _containers.RepeatedScalarFieldContainer[str]
    summary: _summary_pb2.AnnualSummary
    enrolled: _containers.RepeatedCompositeFieldContainer[Enrolled]
    approvals: _containers.RepeatedCompositeFieldContainer[Approval]
    def __init__(self, report_id: _Optional[bytes] = ..., kind: _Optional[_Union[Report.Kind, str]] = ..., sender_id: _Optional[str] = ..., region_code: _Optional[str] = ..., recipient_id: _Optional[str] = ..., period: _Optional[str] = ..., catalogue_version: _Optional[str] = ..., revision: _Optional[int] = ..., values: _Optional[_Iterable[int]] = ..., noise_variance: _Optional[_Iterable[float]] = ..., noise: _Optional[_Iterable[_Union[NoiseGroup, _Mapping]]] = ..., budget: _Optional[_Union[Budget, _Mapping]] = ..., created_unix_ms: _Optional[int] = ..., stage_code: _Optional[str] = ..., members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ..., missing: _Optional[_Iterable[str]] = ..., summary: _Optional[_Union[_summary_pb2.AnnualSummary, _Mapping]] = ..., enrolled: _Optional[_Iterable[_Union[Enrolled, _Mapping]]] = ..., approvals: _Optional[_Iterable[_Union[Approval, _Mapping]]] = ...) -> None: ...
