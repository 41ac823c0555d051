"""Signed checkpoints of an aggregator's log, in the C2SP tlog-checkpoint and signed-note formats.

A checkpoint is the text ``<origin>\\n<tree size>\\n<base64 root>\\n``, optionally followed by
extension lines (guanai writes one, ``timestamp-ms <Unix milliseconds>``), then a blank line,
then one line per signature: ``— <name> <base64(key hash || Ed25519 signature)>``. The key
hash is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key). The signature is
over the body's UTF-8 bytes exactly, so Go's ``sumdb/note``, C2SP witnesses and ``openssl
pkeyutl`` all verify it (docs/formats.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

from common.errors import GuanaiError
from privacy.merkle import HASH_SIZE

ED25519_ALGORITHM = b"\x01"
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, then a space
TIMESTAMP_PREFIX = "timestamp-ms "
KEY_HASH_SIZE = 4
_MAX_SIZE = 2**64 - 1


class CheckpointError(GuanaiError):
    """A checkpoint that is malformed, unsigned by the expected key, or forged."""


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a C2SP signed note: the signer's name, its 4-byte key hash and
    the 64-byte Ed25519 signature (c2sp.org/signed-note)."""

    name: str
    key_hash: bytes
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    """A parsed C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the log's origin, its tree
    size in leaves, the RFC 9162 root hash (32 bytes), the signing time in Unix milliseconds
    (guanai's ``timestamp`` extension line, if any) and the note's signatures."""

    origin: str
    size: int
    root: bytes
    timestamp_ms: int | None
    signatures: tuple[NoteSignature, ...]
    body: str  # the signed text: origin, size, root and extension lines, each ending in \n
    extensions: tuple[str, ...] = ()  # extension lines other than the timestamp


def note_key_hash(name: str, public_key: bytes | VerifyKey) -> bytes:
    """The 4-byte C2SP signed-note key hash of an Ed25519 key under ``name``."""
    data = name.encode("utf-8") + b"\n" + ED25519_ALGORITHM + bytes(public_key)
    return hashlib.sha256(data).digest()[:KEY_HASH_SIZE]


def checkpoint_body(origin: str, size: int, root: bytes, timestamp_ms: int | None = None) -> str:
    """The text a checkpoint signs."""
    if not origin or not _is_clean(origin) or "\n" in origin:
        raise CheckpointError(
            "日志标识无效 bad log origin: it must be one non-empty line of printable text"
        )
    if not 0 <= size <= _MAX_SIZE:
        raise CheckpointError(f"bad tree size {size}: it must be a non-negative 64-bit integer")
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"bad root: a root hash is {HASH_SIZE} bytes, got {len(root)}")
    lines = [origin, str(size), base64.b64encode(root).decode("ascii")]
    if timestamp_ms is not None:
        if timestamp_ms < 0:
            raise CheckpointError(f"bad checkpoint time {timestamp_ms}: it must not be negative")
        lines.append(f"{TIMESTAMP_PREFIX}{timestamp_ms}")
    return "".join(line + "\n" for line in lines)


def sign_note(text: str, key: SigningKey, name: str) -> str:
    """A C2SP signed note: ``text``, a blank line, and one Ed25519 signature line by ``name``."""
    _check_name(name)
    _check_text(text)
    signature = key.sign(text.encode("utf-8")).signature
    blob = base64.b64encode(note_key_hash(name, key.verify_key) + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{name} {blob}\n"


def sign_checkpoint(
    origin: str,
    size: int,
    root: bytes,
    key: SigningKey,
    name: str,
    timestamp_ms: int | None = None,
) -> str:
    """A signed checkpoint of the tree of ``size`` leaves with ``root``.

    By C2SP convention ``name`` is the log's origin; a cosigner (a parent aggregator, say)
    signs the same body under its own name.
    """
    return sign_note(checkpoint_body(origin, size, root, timestamp_ms), key, name)


def open_note(note: str, name: str, verify_key: VerifyKey | bytes) -> str:
    """The text of a signed note, once a signature by ``name`` with ``verify_key`` verifies."""
    text, signatures = _split_note(note)
    _verify(text, signatures, name, verify_key)
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a signed checkpoint without verifying any signature."""
    body, signatures = _split_note(text)
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[0] or any(not line for line in lines):
        raise _malformed("the body must have an origin, a tree size and a root, each on a line")
    origin, size_text, root_text, *extra = lines
    if not size_text.isascii() or not size_text.isdigit() or size_text != str(int(size_text)):
        raise _malformed(f"the tree size {size_text!r} is not a decimal number")
    size = int(size_text)
    if size > _MAX_SIZE:
        raise _malformed(f"the tree size {size} does not fit in 64 bits")
    root = _decode_base64(root_text, "the root")
    if len(root) != HASH_SIZE or base64.b64encode(root).decode("ascii") != root_text:
        raise _malformed("the root is not the standard base64 of a 32-byte hash")
    timestamps = [line for line in extra if line.startswith(TIMESTAMP_PREFIX)]
    if len(timestamps) > 1:
        raise _malformed("more than one timestamp line")
    timestamp_ms = None
    if timestamps:
        digits = timestamps[0][len(TIMESTAMP_PREFIX) :]
        if not digits.isascii() or not digits.isdigit() or digits != str(int(digits)):
            raise _malformed(f"the timestamp {digits!r} is not a decimal number of milliseconds")
        timestamp_ms = int(digits)
    return Checkpoint(
        origin=origin,
        size=size,
        root=root,
        timestamp_ms=timestamp_ms,
        signatures=signatures,
        body=body,
        extensions=tuple(line for line in extra if not line.startswith(TIMESTAMP_PREFIX)),
    )


def verify_checkpoint(text: str, name: str, verify_key: VerifyKey | bytes) -> Checkpoint:
    """Parse a checkpoint and check its signature by ``name`` with ``verify_key``.

    Signatures by other keys are ignored (they may be cosignatures); the caller still checks
    that the origin is the log it expects.
    """
    checkpoint = parse_checkpoint(text)
    _verify(checkpoint.body, checkpoint.signatures, name, verify_key)
    return checkpoint


def _verify(
    text: str, signatures: tuple[NoteSignature, ...], name: str, verify_key: VerifyKey | bytes
) -> None:
    key_hash = note_key_hash(name, verify_key)
    mine = [s for s in signatures if s.name == name and s.key_hash == key_hash]
    if not mine:
        raise CheckpointError(
            f"检查点未签名 not signed by {name}: no signature by this key; "
            "check the log's name and public key"
        )
    message = text.encode("utf-8")
    for signature in mine:
        try:
            VerifyKey(bytes(verify_key)).verify(message, signature.signature)
        except CryptoError as exc:
            raise CheckpointError(
                f"检查点签名无效 bad checkpoint signature by {name}: the checkpoint was altered "
                "or forged; do not trust it"
            ) from exc


def _split_note(note: str) -> tuple[str, tuple[NoteSignature, ...]]:
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise _malformed("no blank line between the text and its signatures")
    text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    return text, tuple(_parse_signature_line(line) for line in lines)


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise _malformed("a signature line must start with an em dash (—) and a space")
    name, _, blob_text = line[len(SIGNATURE_PREFIX) :].partition(" ")
    _check_name(name)
    blob = _decode_base64(blob_text, "a signature")
    if len(blob) <= KEY_HASH_SIZE:
        raise _malformed("a signature is too short")
    return NoteSignature(name=name, key_hash=blob[:KEY_HASH_SIZE], signature=blob[KEY_HASH_SIZE:])


def _check_text(text: str) -> None:
    if not text.endswith("\n") or not _is_clean(text):
        raise _malformed("a note is UTF-8 text ending in a newline, without control characters")


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name) or not _is_clean(name):
        raise CheckpointError(
            f"密钥名称无效 bad key name {name!r}: it must be non-empty, without spaces or '+'"
        )


def _is_clean(text: str) -> bool:
    """No ASCII control characters except newline; encodable as UTF-8."""
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _decode_base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise _malformed(f"{what} is not valid base64") from exc


def _malformed(what: str) -> CheckpointError:
    return CheckpointError(f"检查点格式错误 malformed checkpoint: {what}")
