from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Credential(_message.Message):
    __slots__ = ("issuer", "role", "region", "subject", "issued_unix", "expires_unix", "nonce")
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_UNIX_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_UNIX_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    issuer: str
    role: str
    region: str
    subject: str
    issued_unix: int
    expires_unix: int
    nonce: bytes
    def __init__(self, issuer: _Optional[str] = ..., role: _Optional[str] = ..., region: _Optional[str] = ..., subject: _Optional[str] = ..., issued_unix: _Optional[int] = ..., expires_unix: _Optional[int] = ..., nonce: _Optional[bytes] = ...) -> None: ...

class SignedCredential(_message.Message):
    __slots__ = ("credential", "signature", "signer_key")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_KEY_FIELD_NUMBER: _ClassVar[int]
    credential: bytes
    signature: bytes
    signer_key: bytes
    def __init__(self, credential: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., signer_key: _Optional[bytes] = ...) -> None: ...

class FiguresRequest(_message.Message):
    __slots__ = ("numerator", "denominator", "regions", "below", "stage", "periods", "confidence")
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    BELOW_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    numerator: _containers.RepeatedScalarFieldContainer[str]
    denominator: _containers.RepeatedScalarFieldContainer[str]
    regions: _containers.RepeatedScalarFieldContainer[str]
    below: str
    stage: str
    periods: _containers.RepeatedScalarFieldContainer[str]
    confidence: float
    def __init__(self, numerator: _Optional[_Iterable[str]] = ..., denominator: _Optional[_Iterable[str]] = ..., regions: _Optional[_Iterable[str]] = ..., below: _Optional[str] = ..., stage: _Optional[str] = ..., periods: _Optional[_Iterable[str]] = ..., confidence: _Optional[float] = ...) -> None: ...

class Figure(_message.Message):
    __slots__ = ("region", "level", "period", "held", "value", "low", "high", "members", "missing", "schools")
    REGION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    SCHOOLS_FIELD_NUMBER: _ClassVar[int]
    region: str
    level: str
    period: str
    held: bool
    value: float
    low: float
    high: float
    members: int
    missing: int
    schools: int
    def __init__(self, region: _Optional[str] = ..., level: _Optional[str] = ..., period: _Optional[str] = ..., held: _Optional[bool] = ..., value: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., members: _Optional[int] = ..., missing: _Optional[int] = ..., schools: _Optional[int] = ...) -> None: ...

class FiguresResponse(_message.Message):
    __slots__ = ("kind", "label_zh", "label_en", "unit_zh", "unit_en", "confidence", "catalogue_version", "figures", "unbounded_below")
    KIND_FIELD_NUMBER: _ClassVar[int]
    LABEL_ZH_FIELD_NUMBER: _ClassVar[int]
    LABEL_EN_FIELD_NUMBER: _ClassVar[int]
    UNIT_ZH_FIELD_NUMBER: _ClassVar[int]
    UNIT_EN_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    UNBOUNDED_BELOW_FIELD_NUMBER: _ClassVar[int]
    kind: str
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    confidence: float
    catalogue_version: str
    figures: _containers.RepeatedCompositeFieldContainer[Figure]
    unbounded_below: bool
    def __init__(self, kind: _Optional[str] = ..., label_zh: _Optional[str] = ..., label_en: _Optional[str] = ..., unit_zh: _Optional[str] = ..., unit_en: _Optional[str] = ..., confidence: _Optional[float] = ..., catalogue_version: _Optional[str] = ..., figures: _Optional[_Iterable[_Union[Figure, _Mapping]]] = ..., unbounded_below: _Optional[bool] = ...) -> None: ...

class Warning(_message.Message):
    __slots__ = ("warning_id", "issuer", "rules_version", "rule_id", "region", "level", "period", "since", "status", "value", "low", "high", "threshold", "direction", "severity", "confidence", "title_zh", "title_en", "advice_zh", "advice_en", "members", "missing", "issued_unix_ms", "kind", "answer", "basis_zh", "basis_en", "settle_zh", "settle_en", "unbounded_below")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    RULES_VERSION_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    TITLE_ZH_FIELD_NUMBER: _ClassVar[int]
    TITLE_EN_FIELD_NUMBER: _ClassVar[int]
    ADVICE_ZH_FIELD_NUMBER: _ClassVar[int]
    ADVICE_EN_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    ISSUED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    BASIS_ZH_FIELD_NUMBER: _ClassVar[int]
    BASIS_EN_FIELD_NUMBER: _ClassVar[int]
    SETTLE_ZH_FIELD_NUMBER: _ClassVar[int]
    SETTLE_EN_FIELD_NUMBER: _ClassVar[int]
    UNBOUNDED_BELOW_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    issuer: str
    rules_version: str
    rule_id: str
    region: str
    level: str
    period: str
    since: str
    status: str
    value: float
    low: float
    high: float
    threshold: float
    direction: str
    severity: str
    confidence: float
    title_zh: str
    title_en: str
    advice_zh: str
    advice_en: str
    members: int
    missing: int
    issued_unix_ms: int
    kind: str
    answer: str
    basis_zh: str
    basis_en: str
    settle_zh: str
    settle_en: str
    unbounded_below: bool
    def __init__(self, warning_id: _Optional[str] = ..., issuer: _Optional[str] = ..., rules_version: _Optional[str] = ..., rule_id: _Optional[str] = ..., region: _Optional[str] = ..., level: _Optional[str] = ..., period: _Optional[str] = ..., since: _Optional[str] = ..., status: _Optional[str] = ..., value: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., threshold: _Optional[float] = ..., direction: _Optional[str] = ..., severity: _Optional[str] = ..., confidence: _Optional[float] = ..., title_zh: _Optional[str] = ..., title_en: _Optional[str] = ..., advice_zh: _Optional[str] = ..., advice_en: _Optional[str] = ..., members: _Optional[int] = ..., missing: _Optional[int] = ..., issued_unix_ms: _Optional[int] = ..., kind: _Optional[str] = ..., answer: _Optional[str] = ..., basis_zh: _Optional[str] = ..., basis_en: _Optional[str] = ..., settle_zh: _Optional[str] = ..., settle_en: _Optional[str] = ..., unbounded_below: _Optional[bool] = ...) -> None: ...

class SignedWarning(_message.Message):
    __slots__ = ("warning", "signature")
    WARNING_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    warning: bytes
    signature: bytes
    def __init__(self, warning: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class DeliverReply(_message.Message):
    __slots__ = ("warning_id",)
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    def __init__(self, warning_id: _Optional[str] = ...) -> None: ...

class WarningResponse(_message.Message):
    __slots__ = ("warning_id", "responder", "action", "planned_by", "responded_unix_ms")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PLANNED_BY_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    responder: str
    action: str
    planned_by: str
    responded_unix_ms: int
    def __init__(self, warning_id: _Optional[str] = ..., responder: _Optional[str] = ..., action: _Optional[str] = ..., planned_by: _Optional[str] = ..., responded_unix_ms: _Optional[int] = ...) -> None: ...

class SignedWarningResponse(_message.Message):
    __slots__ = ("response", "signature")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    response: bytes
    signature: bytes
    def __init__(self, response: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class RespondReply(_message.Message):
    __slots__ = ("warning_id",)
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    def __init__(self, warning_id: _Optional[str] = ...) -> None: ...

class TableRequest(_message.Message):
    __slots__ = ("region", "period")
    REGION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    region: str
    period: str
    def __init__(self, region: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class TableRow(_message.Message):
    __slots__ = ("cell", "official", "estimate", "variance")
    CELL_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    VARIANCE_FIELD_NUMBER: _ClassVar[int]
    cell: str
    official: int
    estimate: float
    variance: float
    def __init__(self, cell: _Optional[str] = ..., official: _Optional[int] = ..., estimate: _Optional[float] = ..., variance: _Optional[float] = ...) -> None: ...

class TableResponse(_message.Message):
    __slots__ = ("region", "level", "period", "catalogue_version", "rows", "members", "missing", "schools")
    REGION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    SCHOOLS_FIELD_NUMBER: _ClassVar[int]
    region: str
    level: str
    period: str
    catalogue_version: str
    rows: _containers.RepeatedCompositeFieldContainer[TableRow]
    members: int
    missing: int
    schools: int
    def __init__(self, region: _Optional[str] = ..., level: _Optional[str] = ..., period: _Optional[str] = ..., catalogue_version: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[TableRow, _Mapping]]] = ..., members: _Optional[int] = ..., missing: _Optional[int] = ..., schools: _Optional[int] = ...) -> None: ...
