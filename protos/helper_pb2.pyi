from protos import aggregator_pb2 as _aggregator_pb2
from protos import share_pb2 as _share_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnrolResponse(_message.Message):
    __slots__ = ("schools",)
    SCHOOLS_FIELD_NUMBER: _ClassVar[int]
    schools: int
    def __init__(self, schools: _Optional[int] = ...) -> None: ...

class HeldSharesRequest(_message.Message):
    __slots__ = ("period", "region")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    period: str
    region: str
    def __init__(self, period: _Optional[str] = ..., region: _Optional[str] = ...) -> None: ...

class HeldShare(_message.Message):
    __slots__ = ("school_id", "region", "revision", "leaf_hash")
    SCHOOL_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    school_id: str
    region: str
    revision: int
    leaf_hash: bytes
    def __init__(self, school_id: _Optional[str] = ..., region: _Optional[str] = ..., revision: _Optional[int] = ..., leaf_hash: _Optional[bytes] = ...) -> None: ...

class HeldSharesResponse(_message.Message):
    __slots__ = ("shares",)
    SHARES_FIELD_NUMBER: _ClassVar[int]
    shares: _containers.RepeatedCompositeFieldContainer[HeldShare]
    def __init__(self, shares: _Optional[_Iterable[_Union[HeldShare, _Mapping]]] = ...) -> None: ...
