"""Key files and exported public keys.

A node or aggregator has an Ed25519 signing key (签名密钥) and, if it receives submissions,
an X25519 sealing key (加密密钥). Each private key lives in its own text file of one line,
``<kind> <base64 of the 32 raw bytes>`` (docs/formats.md), created with mode 0600 and never
overwritten. Key material is never logged; error messages name the file, never its content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey, VerifyKey

from common.errors import GuanaiError

KEY_SIZE = 32
SIGNING_KEY_KIND = "guanai-ed25519-signing-key"
SEALING_KEY_KIND = "guanai-x25519-sealing-key"
# DER of SubjectPublicKeyInfo{AlgorithmIdentifier{id-Ed25519 (1.3.101.112)}, BIT STRING} up to
# the 32 key bytes (RFC 8410 §4).
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


class KeyFileError(GuanaiError):
    """A key file that is missing, unsafe, malformed or already present."""


def generate_signing_key(path: Path) -> SigningKey:
    """Create a new Ed25519 signing key in a new file at ``path`` (mode 0600)."""
    key = SigningKey.generate()
    _write_key_file(Path(path), SIGNING_KEY_KIND, bytes(key))
    return key


def load_signing_key(path: Path) -> SigningKey:
    """The Ed25519 signing key of a key file; raises ``KeyFileError`` when the file is
    missing, readable by others than its owner, or not a guanai signing key."""
    return SigningKey(_read_key_file(Path(path), SIGNING_KEY_KIND))


def generate_sealing_key(path: Path) -> PrivateKey:
    """Create a new X25519 sealing key in a new file at ``path`` (mode 0600)."""
    key = PrivateKey.generate()
    _write_key_file(Path(path), SEALING_KEY_KIND, bytes(key))
    return key


def load_sealing_key(path: Path) -> PrivateKey:
    """The X25519 sealing key of a key file; raises ``KeyFileError`` as ``load_signing_key``."""
    return PrivateKey(_read_key_file(Path(path), SEALING_KEY_KIND))


def key_id(public_key: bytes) -> str:
    """A short name for a public key: hex of the first 8 bytes of its SHA-256."""
    return hashlib.sha256(bytes(public_key)).digest()[:8].hex()


def public_key_pem(verify_key: VerifyKey) -> str:
    """The Ed25519 public key as SubjectPublicKeyInfo PEM, as ``openssl pkeyutl`` reads it."""
    der = ED25519_SPKI_PREFIX + bytes(verify_key)
    body = base64.b64encode(der).decode("ascii")
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


@dataclass(frozen=True)
class PublicKeys:
    """The public half of a party's keys, as a parent exports them for its members."""

    signing: bytes
    sealing: bytes | None = None

    def __post_init__(self) -> None:
        for name in ("signing", "sealing"):
            value = getattr(self, name)
            if value is not None and len(value) != KEY_SIZE:
                raise KeyFileError(
                    f"公钥格式错误 bad public key: the {name} key must be {KEY_SIZE} bytes, "
                    f"got {len(value)}; export the keys again"
                )

    @classmethod
    def of(cls, signing: SigningKey, sealing: PrivateKey | None = None) -> PublicKeys:
        """The public halves (32 bytes each) of a signing and an optional sealing key."""
        return cls(
            signing=bytes(signing.verify_key),
            sealing=None if sealing is None else bytes(sealing.public_key),
        )

    def to_dict(self) -> dict[str, str | None]:
        """The keys in base64, as export files hold them."""
        return {"signing": _b64(self.signing), "sealing": _b64(self.sealing)}

    @classmethod
    def from_dict(cls, data: dict) -> PublicKeys:
        """The keys of ``to_dict``'s form; raises ``KeyFileError`` for anything else."""
        if not isinstance(data, dict) or not isinstance(data.get("signing"), str):
            raise KeyFileError(
                "公钥格式错误 bad public keys: expected an object with a base64 'signing' key "
                "and an optional base64 'sealing' key"
            )
        sealing = data.get("sealing")
        return cls(
            signing=_unb64(data["signing"], "signing"),
            sealing=None if sealing is None else _unb64(sealing, "sealing"),
        )


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


def _unb64(text: object, name: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except binascii.Error as exc:
        raise KeyFileError(
            f"公钥格式错误 bad public key: the {name} key is not valid base64; "
            "export the keys again"
        ) from exc


def _write_key_file(path: Path, kind: str, raw: bytes) -> None:
    line = f"{kind} {base64.b64encode(raw).decode('ascii')}\n".encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(
            f"密钥文件已存在 key file already exists: {path}; a key is never overwritten — "
            "choose another path, or move the old file away if you really mean to replace it"
        ) from exc
    except OSError as exc:
        raise KeyFileError(
            f"无法创建密钥文件 cannot create key file {path}: {exc.strerror}"
        ) from exc
    with os.fdopen(fd, "wb") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_private_file(path: Path) -> bytes:
    """The bytes of a private key file (guanai's own, or a TLS client key in PEM), once it is
    readable by its owner only; raises ``KeyFileError`` naming the file (never its content)
    when it is missing, unreadable, or its mode grants the group or others any access."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"找不到密钥文件 key file not found: {path}") from exc
    except OSError as exc:
        raise KeyFileError(f"无法读取密钥文件 cannot read key file {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"密钥文件权限过宽 key file is accessible by others: {path} has mode "
            f"{stat.S_IMODE(mode):04o}; run `chmod 600 {path}`"
        )
    return text


def _read_key_file(path: Path, kind: str) -> bytes:
    parts = read_private_file(path).split()
    if len(parts) != 2 or parts[0] != kind.encode("ascii"):
        raise KeyFileError(
            f"密钥文件格式错误 not a {kind} file: {path} must hold one line '{kind} <base64 key>'"
        )
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != KEY_SIZE:
        raise KeyFileError(
            f"密钥文件格式错误 corrupt key file: {path} does not hold a {KEY_SIZE}-byte base64 key"
        )
    return raw
