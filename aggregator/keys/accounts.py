"""The bureau's web accounts (网页账号): who may sign in, with which role and region, and the
staff credential a signed-in official's decisions are signed with.

Design (docs/bureau-web.md §accounts). A password is kept only as an argon2id hash
(common/web/passwords.py). An account of a role that decides (operator 操作员, reviewer 审核人,
unit head 单位负责人) is also a registered official (aggregator/keys/staff.py): a fresh Ed25519
credential is made for it and registered by the aggregator's own signed decision, exactly as
``guanai aggregator staff add`` does, but its 32-byte seed is not written to a file: it is kept
sealed with SecretBox (XSalsa20-Poly1305) under a key derived from the password with argon2id
(``nacl.pwhash.argon2id.kdf``, own random salt). Signing in opens it into the session's memory
only; a decision made in the pages then calls the same function as the CLI with that
credential, so the record names ``staff:<key id>`` and is signed by it. Nobody holding the
store alone (not even its operator) can sign as the official. Viewers (查看) have none.

Sign-in is rate-limited from the recorded attempts (so a restart does not reset it): after
``LOCK_FAILURES`` failures within ``LOCK_MINUTES`` the account is locked until the window
passes; an address is locked after ``ADDRESS_FAILURES`` (several officials may share one
office's address). Every attempt is recorded with its name, address and time.

A password is changed in place (``change_password``, the page 修改密码): the current password is
checked as a sign-in attempt (a wrong one counts toward the lock), and the credential's seed,
opened with it, is sealed again under the new one with a fresh salt, in one transaction: the
same staff key, never written in clear. An administrator's reset (``reset_password``) cannot
open the seed without the old password: it takes the old one, or registers a new credential
(``new_key``), the old seed's only copy being destroyed (docs/bureau-web.md §2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey

from aggregator.calendar.decisions import register_staff_key
from aggregator.figures.holdings import region_within
from aggregator.keys import staff
from aggregator.keys.own_identity import Settings
from aggregator.store.sqlite import Account, Store
from common.clock import stamp
from common.errors import GuanaiError
from common.web.passwords import PasswordRefused, check_password, hash_password
from protos.regions import CodeError, check_region, name

logger = logging.getLogger(__name__)

# role: (Chinese, English, whether it decides and so holds a staff credential)
ROLES = {
    "operator": ("操作员", "Operator", True),
    "reviewer": ("审核人", "Reviewer", True),
    "head": ("单位负责人", "Unit head", True),
    "viewer": ("查看", "Viewer", False),
}
LOCK_FAILURES = 5
ADDRESS_FAILURES = 20
LOCK_MINUTES = 15
MAX_NAME = 100
# argon2id limits of the key that seals the credential: libsodium's interactive ones
KDF_OPS = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
KDF_MEM = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
_DUMMY = None  # a hash checked for unknown names, so they cost as much as known ones


class AccountError(GuanaiError):
    """An account that cannot be added or revoked as asked; nothing was changed."""


class SignInRefused(GuanaiError):
    """A sign-in refused: wrong name or password, revoked, or locked by the rate limit.

    ``locked`` is true for the rate limit (the page says to wait); the message never says
    whether the name exists.
    """

    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the account and, for a deciding role, its opened credential."""

    account: Account
    credential: staff.Credential | None


def role_label(role: str) -> str:
    """``操作员 Operator`` for ``operator``."""
    zh, en, _ = ROLES[role]
    return f"{zh} {en}"


def add(store: Store, settings: Settings, account_name: str, role: str, password: str,
        at: datetime, region: str | None = None) -> Account:
    """Add an account (and, for a deciding role, its registered staff credential).

    ``region`` (default the aggregator's own) must be this aggregator's region or below it.
    Raises AccountError for a bad name, role, region, a short password or a name in use.
    """
    account_name = account_name.strip()
    if not account_name or len(account_name) > MAX_NAME or any(c.isspace() for c in account_name):
        raise AccountError(f"账号名不合要求 give a name of 1–{MAX_NAME} characters without spaces")
    if role not in ROLES:
        raise AccountError(f"角色不对 role must be one of {', '.join(ROLES)}")
    region = region or settings.region
    try:
        check_region(region)
    except CodeError as exc:
        raise AccountError(str(exc)) from None
    if not region_within(region, settings.region):
        raise AccountError(f"不属本地区 {name(region)} {region} is outside this aggregator's "
                           f"region {settings.describe()}")
    if store.account(account_name) is not None:
        raise AccountError(f"账号已存在 an account named {account_name} exists (revoked ones "
                           "keep their name, for the record)")
    hashed = password_hash(account_name, password)
    key_id = sealed = salt = None
    with store.transaction():
        if ROLES[role][2]:
            key_id, sealed, salt = _new_credential(store, settings, account_name, password, at)
        account = Account(account_name, role, region, hashed, key_id, sealed, salt, stamp(at))
        store.add_account(account)
    return account


def password_hash(account_name: str, password: str) -> str:
    """The argon2id hash of an account's new password (common/web/passwords.py), once the
    password keeps the rules every account's does — common/web/passwords.py ``RULES`` (8 to
    1,024 characters, not only whitespace, no control or invisible characters), not the account's name —
    whether it is set by ``add``, ``change_password`` or ``reset_password``. AccountError
    (Chinese first) otherwise."""
    if password.strip() == account_name.strip():
        raise AccountError("密码不能与账号名相同 the password must not be the account's name")
    try:
        return hash_password(password)
    except PasswordRefused as exc:
        raise AccountError(str(exc)) from None


def change_password(store: Store, account_name: str, current: str, new: str, address: str,
                    now: datetime) -> Account:
    """An official changes their own password (the page 修改密码): the account as changed.

    ``current`` is checked as a sign-in attempt from ``address`` (recorded; a wrong one counts
    toward the lock of ``LOCK_FAILURES`` in ``LOCK_MINUTES``); the staff credential's seed is
    opened with it and sealed again under ``new`` with a fresh argon2id salt, with the new
    hash, in one transaction: the same staff key id, never a new credential, never the seed in
    clear. Raises AccountError for a new password that breaks the rules or equals the current
    one, SignInRefused for a wrong current password or a locked account; nothing changed.
    """
    account_name = account_name.strip()
    hashed = password_hash(account_name, new)
    if new == current:
        raise AccountError("新密码与当前密码相同 the new password is the current one")
    account = _checked(store, account_name, current, address, now,
                       "当前密码不对 the current password is wrong")
    seed = _opened_seed(account, current)
    changed = _saved(store, _resealed(account, hashed, seed, new))
    logger.info("web account %r changed its password from %s", account.name, address)
    return changed


def reset_password(store: Store, settings: Settings, account_name: str, new: str, at: datetime,
                   old: str | None = None, new_key: bool = False) -> Account:
    """The administrator sets an account's password (``account password``): the account as
    changed. A viewer's only hash changes. A deciding role's credential seed is sealed under
    the password, so either ``old`` (the current password) opens it and it is sealed again
    under ``new``, the same key, as ``change_password`` does; or, with ``new_key``, a new
    credential is made and registered by the aggregator's signed decision as ``add`` does, the
    old seed's only copy destroyed (its public key stays registered, so the decisions it signed
    still verify). Raises AccountError for an unknown or revoked account, a password that
    breaks the rules, a wrong ``old``, or a deciding role given neither; nothing changed.
    """
    account = active_account(store, account_name)
    hashed = password_hash(account.name, new)
    if account.sealed_key is None and new_key:
        raise AccountError("查看账号没有签字凭据 a viewer's account holds no staff credential")
    if account.sealed_key is None:
        changed = _resealed(account, hashed, None, new)
    elif new_key:
        with store.forgetting():
            key_id, sealed, salt = _new_credential(store, settings, account.name, new, at)
            store.set_account_secrets(account.name, hashed, key_id, sealed, salt)
        return store.account(account.name)
    elif old is None:
        raise AccountError("该账号的签字凭据由密码加密：需要旧密码，或用 --new-key 登记新凭据 the "
                           "account's staff credential is sealed by its password: give the old "
                           "password, or register a new credential with --new-key")
    else:
        try:
            changed = _resealed(account, hashed, _opened_seed(account, old), new)
        except SignInRefused:
            raise AccountError("旧密码不对 the old password does not open the credential") from None
    return _saved(store, changed)


def _saved(store: Store, changed: Account) -> Account:
    """Write the account's new hash and sealed credential together (one transaction), the old
    sealed seed overwritten in the file and the WAL (``Store.forgetting``)."""
    with store.forgetting():
        store.set_account_secrets(changed.name, changed.password_hash, changed.staff_key_id,
                                  changed.sealed_key, changed.salt)
    return changed


def active_account(store: Store, account_name: str) -> Account:
    """The active account of that name; AccountError if there is none (unknown or revoked)."""
    account = store.account(account_name.strip())
    if account is None or not account.active:
        raise AccountError(f"没有这个有效账号 no active account named {account_name}")
    return account


def _new_credential(store: Store, settings: Settings, account_name: str, password: str,
                    at: datetime) -> tuple[str, bytes, bytes]:
    """A fresh staff key registered for the account (inside the caller's transaction), sealed
    under the password: (key id, sealed seed, salt)."""
    key = SigningKey.generate()
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    sealed = bytes(_box(password, salt).encrypt(bytes(key)))
    return register_staff_key(store, settings, account_name, key, at), sealed, salt


def _resealed(account: Account, hashed: str, seed: bytes | None, password: str) -> Account:
    """The account with its new hash and, if it holds a credential, ``seed`` sealed under
    ``password`` with a fresh salt."""
    if seed is None:
        return replace(account, password_hash=hashed)
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    return replace(account, password_hash=hashed, salt=salt,
                   sealed_key=bytes(_box(password, salt).encrypt(seed)))


def revoke(store: Store, account_name: str, at: datetime) -> None:
    """Revoke the account from ``at``: it can no longer sign in, and its open sessions end at
    their next request. Its decisions stay recorded. AccountError if none is active."""
    if not store.revoke_account(account_name.strip(), stamp(at)):
        raise AccountError(f"没有这个有效账号 no active account named {account_name}")


def sign_in(store: Store, account_name: str, password: str, address: str,
            now: datetime) -> SignedIn:
    """Check a sign-in; record it; SignInRefused if it fails or the rate limit holds."""
    account = _checked(store, account_name, password, address, now,
                       "账号或密码不对 wrong name or password")
    logger.info("web sign-in of %r (%s) from %s", account.name, account.role, address)
    return SignedIn(account, _open_credential(account, password))


def _checked(store: Store, account_name: str, password: str, address: str, now: datetime,
             wrong: str) -> Account:
    """The active account whose password this is, the attempt recorded; SignInRefused
    (``wrong``) if it is not, or (locked) while the rate limit holds."""
    account_name = account_name.strip()[:MAX_NAME]
    since = stamp(now - timedelta(minutes=LOCK_MINUTES))
    if (store.failures_since(since, name=account_name) >= LOCK_FAILURES
            or store.failures_since(since, address=address) >= ADDRESS_FAILURES):
        store.add_login_attempt(account_name, address, stamp(now), False)
        logger.warning("web sign-in refused (locked) for %r from %s", account_name, address)
        raise SignInRefused(f"尝试次数过多，已锁定 {LOCK_MINUTES} 分钟 too many failed attempts: "
                            f"locked for {LOCK_MINUTES} minutes", locked=True)
    account = store.account(account_name)
    ok = check_password(account.password_hash if account else _dummy(), password)
    ok = ok and account is not None and account.active
    store.add_login_attempt(account_name, address, stamp(now), ok)
    if not ok:
        logger.warning("web sign-in failed for %r from %s", account_name, address)
        raise SignInRefused(wrong)
    return account


def current(store: Store, account_name: str) -> Account | None:
    """The account if it is still active (a session checks it at every request)."""
    account = store.account(account_name)
    return account if account is not None and account.active else None


def _open_credential(account: Account, password: str) -> staff.Credential | None:
    seed = _opened_seed(account, password)
    if seed is None:
        return None
    return staff.Credential(f"staff:{account.staff_key_id}", SigningKey(seed))


def _opened_seed(account: Account, password: str) -> bytes | None:
    """The credential's 32-byte seed opened with the password (None for a viewer);
    SignInRefused if it does not open."""
    if account.sealed_key is None or account.salt is None:
        return None
    try:
        return _box(password, account.salt).decrypt(account.sealed_key)
    except CryptoError:  # after a matching hash: the store was tampered with
        raise SignInRefused("凭据无法打开 the account's credential cannot be opened") from None


def _box(password: str, salt: bytes) -> nacl.secret.SecretBox:
    key = nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, password.encode(), salt,
                                   opslimit=KDF_OPS, memlimit=KDF_MEM)
    return nacl.secret.SecretBox(key)


def _dummy() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password(nacl.utils.random(16).hex())
    return _DUMMY
