"""Passwords kept only as argon2id hashes (PyNaCl, libsodium's interactive limits), and the one
rule every new password keeps.

Used by the school's single web password (node/web/auth.py, node/cli_web.py) and by the
bureaus' staff accounts (aggregator/keys/accounts.py: add, change, reset).
"""

from __future__ import annotations

import unicodedata

import nacl.pwhash
from nacl.exceptions import InvalidkeyError

MIN_LENGTH = 8
# argon2id itself takes any length, but a 10 KB password took 1.3 s: a sign-in form must not
# become a way to burn the server's cores
MAX_LENGTH = 1024
RULES = (f"至少 {MIN_LENGTH} 位、最多 {MAX_LENGTH} 位，不能全是空白，不能含控制字符或不可见字符"
         "（如制表符、零宽空格）。",
         f"{MIN_LENGTH} to {MAX_LENGTH} characters, not only whitespace, no control or invisible "
         "characters (such as tabs or zero-width spaces).")


class PasswordRefused(ValueError):
    """A new password that breaks ``RULES``; the message says which, Chinese first."""


def check_new_password(password: str) -> None:
    """Raise PasswordRefused unless ``password`` keeps ``RULES``: ``MIN_LENGTH`` to
    ``MAX_LENGTH`` characters (code points), not whitespace only (``str.isspace``), no control
    character (Unicode general category Cc: NUL, tab, newline, DEL, C1 controls) nor invisible
    format character (Cf: zero-width space, joiner, BOM), which nobody can see to retype."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(f"密码至少 {MIN_LENGTH} 位 the password needs at least "
                              f"{MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(f"密码最多 {MAX_LENGTH} 位 the password may have at most "
                              f"{MAX_LENGTH} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in password):
        raise PasswordRefused("密码不能含控制字符或不可见字符（如制表符、换行、NUL、零宽空格） the "
                              "password must not contain control or invisible characters (such "
                              "as tab, newline, NUL or a zero-width space)")
    if password.isspace():
        raise PasswordRefused("密码不能全是空格 the password must not be only spaces")


def hash_password(password: str) -> str:
    """The argon2id hash to store (a modular crypt string starting ``$argon2id$``) of a new
    password, once it keeps the rules (``check_new_password``; PasswordRefused otherwise).

    Source: libsodium ``crypto_pwhash_str`` (RFC 9106 argon2id), interactive ops and memory
    limits.
    """
    check_new_password(password)
    return nacl.pwhash.argon2id.str(password.encode()).decode()


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored argon2id hash (constant-time in libsodium).
    One longer than ``MAX_LENGTH`` never matches and is not hashed (no new password is)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return nacl.pwhash.verify(stored.encode(), password.encode())
    except InvalidkeyError:
        return False
