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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
from common.web.passwords import PasswordTooShort, check_password, hash_password
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
    try:
        hashed = hash_password(password)
    except PasswordTooShort as exc:
        raise AccountError(str(exc)) from None
    key_id = sealed = salt = None
    with store.transaction():
        if ROLES[role][2]:
            key = SigningKey.generate()
            salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
            sealed = bytes(_box(password, salt).encrypt(bytes(key)))
            key_id = register_staff_key(store, settings, account_name, key, at)
        account = Account(account_name, role, region, hashed, key_id, sealed, salt, stamp(at))
        store.add_account(account)
    return account


def revoke(store: Store, account_name: str, at: datetime) -> None:
    """Revoke the account from ``at``: it can no longer sign in, and its open sessions end at
    their next request. Its decisions stay recorded. AccountError if none is active."""
    if not store.revoke_account(account_name.strip(), stamp(at)):
        raise AccountError(f"没有这个有效账号 no active account named {account_name}")


def sign_in(store: Store, account_name: str, password: str, address: str,
            now: datetime) -> SignedIn:
    """Check a sign-in; record it; SignInRefused if it fails or the rate limit holds."""
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
        raise SignInRefused("账号或密码不对 wrong name or password")
    logger.info("web sign-in of %r (%s) from %s", account.name, account.role, address)
    return SignedIn(account, _open_credential(account, password))


def current(store: Store, account_name: str) -> Account | None:
    """The account if it is still active (a session checks it at every request)."""
    account = store.account(account_name)
    return account if account is not None and account.active else None


def _open_credential(account: Account, password: str) -> staff.Credential | None:
    if account.sealed_key is None or account.salt is None:
        return None
    try:
        seed = _box(password, account.salt).decrypt(account.sealed_key)
    except CryptoError:  # the password matched its hash: the store was tampered with
        raise SignInRefused("凭据无法打开 the account's credential cannot be opened") from None
    return staff.Credential(f"staff:{account.staff_key_id}", SigningKey(seed))


def _box(password: str, salt: bytes) -> nacl.secret.SecretBox:
    key = nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, password.encode(), salt,
                                   opslimit=KDF_OPS, memlimit=KDF_MEM)
    return nacl.secret.SecretBox(key)


def _dummy() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password(nacl.utils.random(16).hex())
    return _DUMMY
