from protos import share_pb2 as _share_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SetMember(_message.Message):
    __slots__ = ("school_id", "revision", "leader_leaf", "helper_leaf")
    SCHOOL_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    LEADER_LEAF_FIELD_NUMBER: _ClassVar[int]
    HELPER_LEAF_FIELD_NUMBER: _ClassVar[int]
    school_id: str
    revision: int
    leader_leaf: bytes
    helper_leaf: bytes
    def __init__(self, school_id: _Optional[str] = ..., revision: _Optional[int] = ..., leader_leaf: _Optional[bytes] = ..., helper_leaf: _Optional[bytes] = ...) -> None: ...

class NamedSet(_message.Message):
    __slots__ = ("level", "region", "period", "catalogue_version", "members", "created_unix_ms")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    level: str
    region: str
    period: str
    catalogue_version: str
    members: _containers.RepeatedCompositeFieldContainer[SetMember]
    created_unix_ms: int
    def __init__(self, level: _Optional[str] = ..., region: _Optional[str] = ..., period: _Optional[str] = ..., catalogue_version: _Optional[str] = ..., members: _Optional[_Iterable[_Union[SetMember, _Mapping]]] = ..., created_unix_ms: _Optional[int] = ...) -> None: ...

class GroupScale(_message.Message):
    __slots__ = ("group", "scale")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    group: str
    scale: float
    def __init__(self, group: _Optional[str] = ..., scale: _Optional[float] = ...) -> None: ...

class Partial(_message.Message):
    __slots__ = ("level", "region", "period", "party", "set_sha256", "values")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    SET_SHA256_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    level: str
    region: str
    period: str
    party: _share_pb2.Party
    set_sha256: bytes
    values: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, level: _Optional[str] = ..., region: _Optional[str] = ..., period: _Optional[str] = ..., party: _Optional[_Union[_share_pb2.Party, str]] = ..., set_sha256: _Optional[bytes] = ..., values: _Optional[_Iterable[int]] = ...) -> None: ...

class NoisyPartial(_message.Message):
    __slots__ = ("level", "region", "period", "party", "set_sha256", "catalogue_version", "rho", "noise", "values", "created_unix_ms")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    SET_SHA256_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    RHO_FIELD_NUMBER: _ClassVar[int]
    NOISE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    level: str
    region: str
    period: str
    party: _share_pb2.Party
    set_sha256: bytes
    catalogue_version: str
    rho: float
    noise: _containers.RepeatedCompositeFieldContainer[GroupScale]
    values: _containers.RepeatedScalarFieldContainer[int]
    created_unix_ms: int
    def __init__(self, level: _Optional[str] = ..., region: _Optional[str] = ..., period: _Optional[str] = ..., party: _Optional[_Union[_share_pb2.Party, str]] = ..., set_sha256: _Optional[bytes] = ..., catalogue_version: _Optional[str] = ..., rho: _Optional[float] = ..., noise: _Optional[_Iterable[_Union[GroupScale, _Mapping]]] = ..., values: _Optional[_Iterable[int]] = ..., created_unix_ms: _Optional[int] = ...) -> None: ...
