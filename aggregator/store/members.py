"""Who may submit here and with which keys: members, their signing keys and revocations, plus
this aggregator's own key rotations and its parent's retired keys.

Enrolment (aggregator/intake/enrolment.py) and key handling (aggregator/keys/) use it through
``MemberStore``; ``SqliteMembers`` is the SQLite implementation mixed into the Store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregator.store.connection import SqliteConnection


@dataclass(frozen=True)
class Member:
    member_id: str
    kind: str
    region: str
    enrolled_at: str


@dataclass(frozen=True)
class MemberKey:
    member_id: str
    key_id: str
    signing_key: bytes
    enrolled_at: str
    revoked_at: str | None


class MemberStore(Protocol):
    """Members (school code or region code), their Ed25519 keys (raw 32 bytes), revocations."""

    def add_member(self, member: Member) -> None: ...
    def member(self, member_id: str) -> Member | None: ...
    def members(self) -> list[Member]: ...
    def add_key(self, key: MemberKey) -> None: ...
    def keys(self, member_id: str) -> list[MemberKey]: ...
    def all_keys(self) -> list[MemberKey]: ...
    def revoke(self, member_id: str, key_id: str | None, at: str) -> int: ...
    def add_key_rotation(self, old_key_id: str, rotation: bytes, rotated_at: str) -> None: ...
    def key_rotations(self) -> list[tuple[str, bytes]]: ...
    def retire_parent_key(self, signing_key: bytes, replaced_at: str) -> None: ...
    def set_member_name(self, member_id: str, name: str) -> None: ...
    def member_names(self) -> dict[str, str]: ...
    def retired_parent_keys(self) -> list[bytes]: ...


class SqliteMembers(SqliteConnection):
    """MemberStore over the ``members``, ``member_keys``, ``key_rotations``, ``parent_keys``."""

    def add_member(self, member: Member) -> None:
        self._run("INSERT INTO members VALUES (?,?,?,?)",
                  [member.member_id, member.kind, member.region, member.enrolled_at])

    def member(self, member_id: str) -> Member | None:
        row = self._one("SELECT * FROM members WHERE member_id = ?", [member_id])
        return Member(*row) if row else None

    def members(self) -> list[Member]:
        return [Member(*row) for row in self._all("SELECT * FROM members ORDER BY member_id")]

    def add_key(self, key: MemberKey) -> None:
        self._run("INSERT INTO member_keys VALUES (?,?,?,?,?)",
                  [key.member_id, key.key_id, key.signing_key, key.enrolled_at, key.revoked_at])

    def keys(self, member_id: str) -> list[MemberKey]:
        rows = self._all("SELECT * FROM member_keys WHERE member_id = ? ORDER BY enrolled_at",
                         [member_id])
        return [MemberKey(r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def all_keys(self) -> list[MemberKey]:
        rows = self._all("SELECT * FROM member_keys ORDER BY member_id, enrolled_at")
        return [MemberKey(r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def revoke(self, member_id: str, key_id: str | None, at: str) -> int:
        """Revoke one key, or every key of the member; return how many were revoked."""
        sql = "UPDATE member_keys SET revoked_at = ? WHERE member_id = ? AND revoked_at IS NULL"
        params = [at, member_id]
        if key_id is not None:
            sql += " AND key_id = ?"
            params.append(key_id)
        return self._run(sql, params)

    def add_key_rotation(self, old_key_id: str, rotation: bytes, rotated_at: str) -> None:
        self._run("INSERT INTO key_rotations (old_key_id, rotation, rotated_at) VALUES (?,?,?)",
                  [old_key_id, rotation, rotated_at])

    def set_member_name(self, member_id: str, name: str) -> None:
        """Keep (or replace) the member's name, as its latest enrolled export gives it."""
        self._run("INSERT OR REPLACE INTO member_names VALUES (?, ?)", [member_id, name])

    def member_names(self) -> dict[str, str]:
        """Every member's name known here, by member id."""
        return dict(self._all("SELECT member_id, name FROM member_names"))

    def retire_parent_key(self, signing_key: bytes, replaced_at: str) -> None:
        """Keep the parent's replaced signing key (32 bytes), so old receipts still verify."""
        self._run("INSERT OR IGNORE INTO parent_keys VALUES (?, ?)", [signing_key, replaced_at])

    def retired_parent_keys(self) -> list[bytes]:
        """The parent's signing keys before its rotations, newest first."""
        rows = self._all("SELECT signing_key FROM parent_keys ORDER BY replaced_at DESC")
        return [bytes(r[0]) for r in rows]

    def key_rotations(self) -> list[tuple[str, bytes]]:
        """(old key id, serialized KeyRotation) of this aggregator's own rotations, oldest first."""
        rows = self._all("SELECT old_key_id, rotation FROM key_rotations ORDER BY seq")
        return [(r[0], bytes(r[1])) for r in rows]
