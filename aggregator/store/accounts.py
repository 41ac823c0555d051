"""The bureau's web accounts and their sign-in attempts (docs/bureau-web.md).

aggregator/keys/accounts.py decides who may sign in; ``AccountStore`` is what it needs of
storage, ``SqliteAccounts`` its SQLite implementation mixed into the Store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection


@dataclass(frozen=True)
class Account:
    name: str
    role: str  # operator | reviewer | head | viewer
    region: str  # 6-digit code: the account sees this region and below
    password_hash: str  # argon2id modular crypt string
    staff_key_id: str | None  # its registered staff credential (decisions), if any
    sealed_key: bytes | None  # SecretBox of the credential's 32-byte seed
    salt: bytes | None  # argon2id salt of the key that seals it
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AccountStore(Protocol):
    """Accounts by name; sign-in attempts (UTC ISO 8601 times) by name and by address."""

    def forgetting(self) -> Iterator[object]: ...  # a transaction leaving no old copy
    def add_account(self, account: Account) -> None: ...
    def account(self, name: str) -> Account | None: ...
    def accounts(self) -> list[Account]: ...
    def revoke_account(self, name: str, at: str) -> int: ...
    def set_account_secrets(self, name: str, password_hash: str, staff_key_id: str | None,
                            sealed_key: bytes | None, salt: bytes | None) -> int: ...
    def add_login_attempt(self, name: str, address: str, at: str, ok: bool) -> None: ...
    def failures_since(self, since: str, name: str | None = None,
                       address: str | None = None) -> int: ...
    def login_attempts(self, name: str) -> list[tuple[str, str, bool]]: ...


class SqliteAccounts(SqliteConnection):
    """AccountStore over the ``accounts`` and ``login_attempts`` tables."""

    def add_account(self, account: Account) -> None:
        self._run("INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?)",
                  [account.name, account.role, account.region, account.password_hash,
                   account.staff_key_id, account.sealed_key, account.salt, account.created_at,
                   account.revoked_at])

    def account(self, name: str) -> Account | None:
        row = self._one("SELECT * FROM accounts WHERE name = ?", [name])
        return _account(row) if row else None

    def accounts(self) -> list[Account]:
        return [_account(r) for r in self._all("SELECT * FROM accounts ORDER BY created_at, name")]

    def revoke_account(self, name: str, at: str) -> int:
        """Revoke the account (if active); how many were revoked (0 or 1)."""
        return self._run("UPDATE accounts SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                         [at, name])

    def set_account_secrets(self, name: str, password_hash: str, staff_key_id: str | None,
                            sealed_key: bytes | None, salt: bytes | None) -> int:
        """Replace an active account's password hash and sealed credential (a password change);
        how many accounts changed (0 or 1)."""
        return self._run(
            "UPDATE accounts SET password_hash = ?, staff_key_id = ?, sealed_key = ?, salt = ? "
            "WHERE name = ? AND revoked_at IS NULL",
            [password_hash, staff_key_id, sealed_key, salt, name])

    def add_login_attempt(self, name: str, address: str, at: str, ok: bool) -> None:
        self._run("INSERT INTO login_attempts (name, address, at, ok) VALUES (?,?,?,?)",
                  [name, address, at, int(ok)])

    def login_attempts(self, name: str) -> list[tuple[str, str, bool]]:
        """The name's sign-in attempts, oldest first: (time, address, succeeded)."""
        return [(r[0], r[1], bool(r[2])) for r in self._all(
            "SELECT at, address, ok FROM login_attempts WHERE name = ? ORDER BY id", [name])]

    def failures_since(self, since: str, name: str | None = None,
                       address: str | None = None) -> int:
        """Failed attempts at or after ``since`` for the name, or from the address, since the
        last success of that name (or address)."""
        column, value = ("name", name) if name is not None else ("address", address)
        row = self._one(
            f"SELECT count(*) FROM login_attempts WHERE {column} = ? AND ok = 0 AND at >= ? "
            f"AND at > coalesce((SELECT max(at) FROM login_attempts WHERE {column} = ? "
            "AND ok = 1), '')", [value, since, value])
        return row[0]


def _account(row: tuple) -> Account:
    return Account(row[0], row[1], row[2], row[3], row[4],
                   bytes(row[5]) if row[5] is not None else None,
                   bytes(row[6]) if row[6] is not None else None, row[7], row[8])
