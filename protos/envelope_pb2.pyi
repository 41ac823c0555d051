from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class SignedReport(_message.Message):
    __slots__ = ("report", "signature", "signer_key")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_KEY_FIELD_NUMBER: _ClassVar[int]
    report: bytes
    signature: bytes
    signer_key: bytes
    def __init__(self, report: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., signer_key: _Optional[bytes] = ...) -> None: ...
