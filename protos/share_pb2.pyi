from protos import report_pb2 as _report_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Party(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTY_UNSPECIFIED: _ClassVar[Party]
    LEADER: _ClassVar[Party]
    HELPER: _ClassVar[Party]
PARTY_UNSPECIFIED: Party
LEADER: Party
HELPER: Party

class Share(_message.Message):
    __slots__ = ("share_id", "school_id", "region", "party", "recipient_key_id", "period", "catalogue_version", "revision", "values", "created_unix_ms")
    SHARE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHOOL_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    share_id: bytes
    school_id: str
    region: str
    party: Party
    recipient_key_id: str
    period: str
    catalogue_version: str
    revision: int
    values: _containers.RepeatedScalarFieldContainer[int]
    created_unix_ms: int
    def __init__(self, share_id: _Optional[bytes] = ..., school_id: _Optional[str] = ..., region: _Optional[str] = ..., party: _Optional[_Union[Party, str]] = ..., recipient_key_id: _Optional[str] = ..., period: _Optional[str] = ..., catalogue_version: _Optional[str] = ..., revision: _Optional[int] = ..., values: _Optional[_Iterable[int]] = ..., created_unix_ms: _Optional[int] = ...) -> None: ...

class Signed(_message.Message):
    __slots__ = ("body", "signature", "signer_key")
    BODY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_KEY_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    signature: bytes
    signer_key: bytes
    def __init__(self, body: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., signer_key: _Optional[bytes] = ...) -> None: ...

class Revocation(_message.Message):
    __slots__ = ("member_id", "signing_key", "revoked_unix_ms")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    REVOKED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    signing_key: bytes
    revoked_unix_ms: int
    def __init__(self, member_id: _Optional[str] = ..., signing_key: _Optional[bytes] = ..., revoked_unix_ms: _Optional[int] = ...) -> None: ...

class Enrolment(_message.Message):
    __slots__ = ("sender_id", "recipient_id", "enrolled", "revoked", "created_unix_ms")
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLED_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    sender_id: str
    recipient_id: str
    enrolled: _containers.RepeatedCompositeFieldContainer[_report_pb2.Enrolled]
    revoked: _containers.RepeatedCompositeFieldContainer[Revocation]
    created_unix_ms: int
    def __init__(self, sender_id: _Optional[str] = ..., recipient_id: _Optional[str] = ..., enrolled: _Optional[_Iterable[_Union[_report_pb2.Enrolled, _Mapping]]] = ..., revoked: _Optional[_Iterable[_Union[Revocation, _Mapping]]] = ..., created_unix_ms: _Optional[int] = ...) -> None: ...
