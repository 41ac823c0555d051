"""Passwords kept only as argon2id hashes (PyNaCl, libsodium's interactive limits).

Used by the school's single web password (node/web/auth.py) and by the bureaus' staff
accounts (aggregator/keys/accounts.py).
"""

from __future__ import annotations

import nacl.pwhash
from nacl.exceptions import InvalidkeyError

MIN_LENGTH = 8


class PasswordTooShort(ValueError):
    """A new password shorter than ``MIN_LENGTH`` characters."""


def hash_password(password: str) -> str:
    """The argon2id hash to store (a modular crypt string starting ``$argon2id$``).

    Raises PasswordTooShort below ``MIN_LENGTH`` characters. Source: libsodium
    ``crypto_pwhash_str`` (RFC 9106 argon2id), interactive ops and memory limits.
    """
    if len(password) < MIN_LENGTH:
        raise PasswordTooShort(f"密码至少 {MIN_LENGTH} 位 the password needs at least "
                               f"{MIN_LENGTH} characters")
    return nacl.pwhash.argon2id.str(password.encode()).decode()


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored argon2id hash (constant-time in libsodium)."""
    try:
        return nacl.pwhash.verify(stored.encode(), password.encode())
    except InvalidkeyError:
        return False
